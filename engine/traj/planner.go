package traj

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/internal/lifetime"
)

// Config tunes a Planner. A zero Candidates, Segments, Seed, TopK, CycleS, WarmFraction or
// WarmSpread takes DefaultConfig's value, so that Config{} plans as `fluxcore plan` does;
// Accurate, RefineStages and KeepTotals are used as given.
type Config struct {
	// Candidates sampled per cycle, rounded up to a multiple of backend.TrajLaneMultiple.
	Candidates int
	// Segments of piecewise-constant jerk over the horizon, per axis. A horizon of fewer
	// steps than segments leaves the last segments unused.
	Segments int
	// Seed scrambles the Halton sequence, so that two seeds sample different candidates
	// (0 takes DefaultConfig's, 1).
	Seed uint64
	// Accurate scores collisions with the accurate form (16-point chord quadrature) instead
	// of the fast one (the equal-area square); see kernels/include/fc_traj.h for both bounds.
	Accurate bool
	// WarmFraction of the candidates sit around the previous cycle's best, shifted by one
	// cycle, within ±WarmSpread of its jerk fractions; a negative fraction turns the warm
	// start off.
	WarmFraction, WarmSpread float64
	// CycleS is the planning period, by which the warm start shifts (0.1 s).
	CycleS float64
	// TopK candidates (at most backend.TrajSelectMax, and at most the candidates a cycle
	// scores) are reported with their costs.
	TopK int
	// RefineStages (0 to 3) sample half as many candidates again around the elite of the
	// ones so far, each stage: the best 1/32 of the first stage, from 8 to
	// backend.TrajSelectMax candidates.
	RefineStages int
	// KeepTotals keeps every candidate's total cost in the Result.
	KeepTotals bool
}

// MaxTopK bounds Config.TopK.
const MaxTopK = backend.TrajSelectMax

// DefaultConfig plans 2048 candidates of 4 jerk segments per axis at 10 Hz.
var DefaultConfig = Config{Candidates: 2048, Segments: 4, Seed: 1, WarmFraction: 0.25, WarmSpread: 0.3, CycleS: 0.1, TopK: 8}

// Planner plans on one backend, remembering its last best candidate for the warm start. Its
// candidates live on the backend from cycle to cycle, until Close releases them.
//
// A Planner serves one caller at a time: a Plan or Rollout entered while another is running
// fails with engine.ErrBusy (a planner's warm start is one robot's history, so make one per
// robot or goroutine). Close may be called from any goroutine: it waits for the call in
// flight, and every later call fails with engine.ErrClosed.
type Planner struct {
	gate lifetime.Gate
	b    backend.Backend
	cfg  Config
	prev []float32 // the last best candidate's controls, 2·Segments

	// The candidate arrays, allocated by NewPlanner: every stage side by side, stride
	// capacity, so that one selection covers them all.
	ws   *candidates
	pts  backend.Buffer // [first stage's size, 2·Segments] Halton points in [−1, 1]
	used int            // candidates the last cycle scored

	holding bool // arrived: stopping and holding until the goal is ResumeM away

	maps inflationCache // the last map, inflated

	// history holds the last plans, newest last, for latency compensation: the commands
	// in flight are theirs.
	history [][]Point
}

// Mode is what a planning cycle did.
type Mode int

const (
	// ModeDrive sampled and scored candidates toward the goal.
	ModeDrive Mode = iota
	// ModeHold stopped and held at the goal: the robot came within the goal's ToleranceM
	// and has not since been pushed ResumeM away.
	ModeHold
)

func (m Mode) String() string {
	if m == ModeHold {
		return "hold"
	}
	return "drive"
}

// sizes are the candidates of the first stage, of each refinement stage and of all of them,
// and the elite that refinement samples around.
func (p *Planner) sizes() (first, refine, capacity, elite int) {
	first = padCandidates(p.cfg.Candidates)
	refine = padCandidates(max(p.cfg.TopK, first/2))
	return first, refine, first + p.cfg.RefineStages*refine, min(max(8, first/32), backend.TrajSelectMax)
}

// NewPlanner returns a planner on b with its candidate arrays and sample points allocated
// (about a second of host time for 10⁶ candidates; ctx cancels it).
func NewPlanner(ctx context.Context, b backend.Backend, cfg Config) (*Planner, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	p := &Planner{b: b, cfg: cfg}
	if err := p.allocate(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// withDefaults fills the zero fields from DefaultConfig and checks the result.
func (cfg Config) withDefaults() (Config, error) {
	d := DefaultConfig
	for _, f := range []struct{ dst, def *int }{{&cfg.Candidates, &d.Candidates}, {&cfg.Segments, &d.Segments}, {&cfg.TopK, &d.TopK}} {
		if *f.dst == 0 {
			*f.dst = *f.def
		}
	}
	if cfg.CycleS == 0 {
		cfg.CycleS = d.CycleS
	}
	if cfg.Seed == 0 {
		cfg.Seed = d.Seed
	}
	if cfg.WarmSpread == 0 {
		cfg.WarmSpread = d.WarmSpread
	}
	switch {
	case cfg.WarmFraction == 0:
		cfg.WarmFraction = d.WarmFraction
	case cfg.WarmFraction < 0:
		cfg.WarmFraction = 0
	}
	switch {
	case cfg.Candidates < 1 || cfg.Candidates > 1<<26:
		return cfg, fmt.Errorf("traj: %d candidates, want 1..%d", cfg.Candidates, 1<<26)
	case cfg.Segments < 1 || cfg.Segments > 16:
		return cfg, fmt.Errorf("traj: %d segments, want 1..16", cfg.Segments)
	case !(cfg.WarmFraction >= 0 && cfg.WarmFraction < 1):
		return cfg, fmt.Errorf("traj: warm fraction %v, want [0, 1)", cfg.WarmFraction)
	case !(cfg.WarmSpread > 0 && cfg.WarmSpread <= 2), !(cfg.CycleS > 0):
		return cfg, fmt.Errorf("traj: warm spread %v and cycle %v s, want (0, 2] and > 0", cfg.WarmSpread, cfg.CycleS)
	case cfg.RefineStages < 0 || cfg.RefineStages > 3:
		return cfg, fmt.Errorf("traj: %d refinement stages, want 0..3", cfg.RefineStages)
	case cfg.TopK < 1 || cfg.TopK > backend.TrajSelectMax:
		return cfg, fmt.Errorf("traj: top %d candidates, want 1..%d", cfg.TopK, backend.TrajSelectMax)
	}
	// A cycle scores at least backend.TrajLaneMultiple candidates, so any top K up to the
	// limit fits; the clamp matters for a direct Candidates below K.
	cfg.TopK = min(cfg.TopK, padCandidates(cfg.Candidates))
	return cfg, nil
}

// Point is one rolled-out instant of a trajectory.
type Point struct {
	TS, XM, YM, ThetaRad, VMps, OmegaRadps, AccelMps2, AlphaRadps2 float64
}

// Costs are a candidate's total and its weighted terms (the README's cost section), and its
// probability of colliding over the horizon.
type Costs struct {
	Total, Progress, PathDistance, Smoothness, Goal, Heading, Forward, Map, Collision, Caution float64
	CollisionProb                                                                              float64
	Feasible                                                                                   bool
}

// Candidate is one scored candidate: its index in the cycle, controls and costs.
type Candidate struct {
	Index    int
	Controls []float32 // jerk fractions, linear segments then angular
	Costs    Costs
}

// Result is one planning cycle's outcome.
type Result struct {
	// Mode is ModeHold when the cycle stopped at the goal instead of planning; Best is then
	// the stop, and Top holds it alone.
	Mode Mode
	// Best is the lowest-cost feasible candidate's trajectory. It starts StartS from now:
	// at the current state, or with the scenario's latency at the state predicted for when
	// the command takes effect (Planner.Plan).
	Best      []Point
	StartS    float64
	BestCosts Costs
	// Top are the TopK best candidates, best first (infeasible ones last).
	Top []Candidate
	// Scored is the number of candidates the cycle scored: Candidates rounded up to a
	// multiple of backend.TrajLaneMultiple, and the refinement stages' on top.
	Scored int
	// Totals holds every candidate's total cost when Config.KeepTotals is set.
	Totals  []float32
	Timings Timings
}

// Timings of a cycle's stages.
type Timings struct {
	Sample, Score, Refine, Select, Rollout time.Duration
}

// ErrNoFeasible is returned when every candidate meets a lethal map cell.
var ErrNoFeasible = errors.New("traj: no feasible candidate: every one meets a lethal map cell")

// Plan runs one cycle on s: sample, roll out and score, refine, select the top K, and roll
// the top K out once more for the best one's time series and their terms. The candidates
// stay on the backend throughout; only the elite's controls (for each refinement) and the
// top K come back.
func (p *Planner) Plan(ctx context.Context, s *Scenario) (*Result, error) {
	if err := p.gate.EnterAlone(); err != nil {
		return nil, fmt.Errorf("traj: plan: %w", err)
	}
	defer p.gate.Leave()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	view := p.compensate(s)
	var res *Result
	var err error
	if p.arrived(view) { // where the robot will be when this command takes effect
		res, err = p.hold(ctx, view)
	} else {
		res, err = p.drive(ctx, view)
	}
	if err != nil {
		return nil, err
	}
	res.StartS = view.LatencyS
	p.remember(res.Best)
	return res, nil
}

// drive is a planning cycle proper: sample, score, refine, report.
func (p *Planner) drive(ctx context.Context, s *Scenario) (*Result, error) {
	var res Result
	t0 := time.Now()
	in, err := newScoreInputs(s, p.cfg.Segments, p.cfg.form(), false, &p.maps)
	if err != nil {
		return nil, err
	}
	pl, err := place(ctx, p.b, s, in)
	if err != nil {
		return nil, err
	}
	defer pl.free()
	groups, err := p.sampleFirst(ctx, s)
	if err != nil {
		return nil, err
	}
	res.Timings.Sample = time.Since(t0)

	t1 := time.Now()
	first, _, _, _ := p.sizes()
	if err := pl.score(ctx, p.ws, 0, first); err != nil {
		return nil, err
	}
	if err := p.b.Synchronize(ctx); err != nil {
		return nil, err
	}
	p.used = first
	res.Timings.Score = time.Since(t1)

	t2 := time.Now()
	if err := p.refine(ctx, pl, groups); err != nil {
		return nil, err
	}
	res.Timings.Refine = time.Since(t2)
	if err := p.report(ctx, pl, &res); err != nil {
		return nil, err
	}
	p.prev = append(p.prev[:0], res.Top[0].Controls...)
	return &res, nil
}

// arrived updates the settle state with hysteresis: holding starts within the goal's
// ToleranceM and ends beyond its ResumeM, so that a robot stopping a little past the
// tolerance does not turn back to it, and the goal's heading never makes it hunt in place.
func (p *Planner) arrived(s *Scenario) bool {
	st, g := s.Robot.State, s.Guidance.Goal
	d := math.Hypot(st.XM-g.XM, st.YM-g.YM)
	tol, resume := g.Tolerances()
	switch {
	case p.holding && d > resume:
		p.holding = false
	case !p.holding && d <= tol:
		p.holding = true
	}
	return p.holding
}

// hold is a cycle at the goal: one rollout of the time-optimal jerk-limited stop
// (fc_traj_hold_axis) instead of sampling. The warm start is dropped, since the next drive
// starts from rest somewhere else.
func (p *Planner) hold(ctx context.Context, s *Scenario) (*Result, error) {
	res, err := p.stop(ctx, s)
	if err == nil {
		res.Mode = ModeHold
		p.prev, p.used = nil, 0
	}
	return res, err
}

// Stop rolls out the time-optimal jerk-limited stop from s's state, what a safety layer
// commands when it brakes (Safety.Brake); the warm start is kept. It waits its turn like
// Plan.
func (p *Planner) Stop(ctx context.Context, s *Scenario) (*Result, error) {
	if err := p.gate.EnterAlone(); err != nil {
		return nil, fmt.Errorf("traj: stop: %w", err)
	}
	defer p.gate.Leave()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return p.stop(ctx, s)
}

// stop is Stop inside the gate: the hold at the goal, and the safety layer's brake.
func (p *Planner) stop(ctx context.Context, s *Scenario) (*Result, error) {
	t0 := time.Now()
	in, err := newScoreInputs(s, p.cfg.Segments, p.cfg.form(), true, &p.maps)
	if err != nil {
		return nil, err
	}
	controls := make([]float32, 2*p.cfg.Segments)
	r, err := score(ctx, p.b, s, in, controls, 1)
	if err != nil {
		return nil, err
	}
	res := &Result{Best: r.trajectory(0), BestCosts: r.costs(0), Scored: 1,
		Top: []Candidate{{Index: 0, Controls: controls, Costs: r.costs(0)}}}
	res.Timings.Rollout = time.Since(t0)
	return res, nil
}

// sampleFirst samples the first stage: the extremes, the warm start around the previous
// best and the Halton points over the whole box. It returns the sampling groups, [4, dims]:
// group 0 (centre, spread) is the warm start, group 1 what refinement fills in.
func (p *Planner) sampleFirst(ctx context.Context, s *Scenario) ([]float32, error) {
	first, _, _, _ := p.sizes()
	dims := 2 * p.cfg.Segments
	groups := make([]float32, 4*dims)
	warm := 0
	if p.prev != nil {
		warm = p.warmRows()
	}
	for d, c := range p.shiftedPrevious(s) {
		groups[d], groups[dims+d], groups[3*dims+d] = float32(c), float32(p.cfg.WarmSpread), 1
	}
	p.used = 0
	if err := p.b.TrajSample(ctx, backend.TrajSample{N: p.ws.n, Count: first, Segments: p.cfg.Segments,
		Extremes: backend.TrajExtremes, Warm: warm, Groups: groups, Points: p.pts, Controls: p.ws.controls}); err != nil {
		return nil, err
	}
	return groups, p.b.Synchronize(ctx)
}

// refine runs the refinement stages: each samples again around the elite of everything so
// far, uniformly within ±√3 standard deviations of the elite per control, so that the search
// closes in on a continuous optimum rather than stopping at the best sample.
func (p *Planner) refine(ctx context.Context, pl *placed, groups []float32) error {
	_, refine, _, eliteK := p.sizes()
	dims := 2 * p.cfg.Segments
	for range p.cfg.RefineStages {
		elite, err := p.best(ctx, eliteK)
		if err != nil {
			return err
		}
		for d := range dims {
			mean, sq := 0.0, 0.0
			for _, u := range elite[d*eliteK : (d+1)*eliteK] {
				mean += float64(u)
				sq += float64(u) * float64(u)
			}
			mean /= float64(eliteK)
			groups[2*dims+d] = float32(mean)
			groups[3*dims+d] = float32(math.Sqrt(3 * max(sq/float64(eliteK)-mean*mean, 4e-4)))
		}
		if err := p.b.TrajSample(ctx, backend.TrajSample{N: p.ws.n, First: p.used, Count: refine, Segments: p.cfg.Segments,
			Groups: groups, Points: p.pts, Controls: p.ws.controls}); err != nil {
			return err
		}
		if err := pl.score(ctx, p.ws, p.used, refine); err != nil {
			return err
		}
		p.used += refine
	}
	return nil
}

// report selects the top K, gathers their controls on the backend and rolls them out once
// more for the best one's time series and every one's terms.
func (p *Planner) report(ctx context.Context, pl *placed, res *Result) error {
	dims, k := 2*p.cfg.Segments, p.cfg.TopK
	t3 := time.Now()
	top, err := pl.alloc(padCandidates(k), true)
	if err != nil {
		return err
	}
	defer top.free(p.b)
	if top.controls, err = p.b.Alloc(backend.Float32, dims*top.n); err != nil {
		return err
	}
	order, err := p.selectTop(ctx, k, top.controls)
	if err != nil {
		return err
	}
	if p.cfg.KeepTotals {
		all := make([]float32, p.ws.n)
		if err := backend.Download(ctx, p.b, all, p.ws.total); err != nil {
			return err
		}
		res.Totals = all[:p.used]
	}
	res.Timings.Select = time.Since(t3)

	t4 := time.Now()
	if err := pl.score(ctx, top, 0, 0); err != nil {
		return err
	}
	detail, err := pl.fetch(ctx, top)
	if err != nil {
		return err
	}
	controls := make([]float32, dims*top.n)
	if err := backend.Download(ctx, p.b, controls, top.controls); err != nil {
		return err
	}
	res.Timings.Rollout = time.Since(t4)
	if detail.feasible[0] == 0 {
		return ErrNoFeasible
	}
	for i, c := range order {
		res.Top = append(res.Top, Candidate{Index: int(c), Controls: column(controls, top.n, dims, i), Costs: detail.costs(i)})
	}
	res.BestCosts, res.Best, res.Scored = res.Top[0].Costs, detail.trajectory(0), p.used
	return nil
}

// column is candidate i's controls from a [dims, n] array.
func column(controls []float32, n, dims, i int) []float32 {
	out := make([]float32, dims)
	for d := range out {
		out[d] = controls[d*n+i]
	}
	return out
}

// allocate makes the candidate arrays and places the Halton points (about a second of host
// time for 10⁶ candidates, most of it the scrambled Halton points).
func (p *Planner) allocate(ctx context.Context) error {
	_, _, capacity, _ := p.sizes()
	ws := &candidates{n: capacity}
	var err error
	for _, a := range []struct {
		dst   *backend.Buffer
		dt    backend.DType
		count int
	}{{&ws.controls, backend.Float32, 2 * p.cfg.Segments * capacity}, {&ws.total, backend.Float32, capacity},
		{&ws.feasible, backend.Int32, capacity}} {
		if *a.dst, err = p.b.Alloc(a.dt, a.count); err != nil {
			ws.free(p.b)
			return fmt.Errorf("traj: %d candidates on %s: %w", capacity, p.b.Name(), err)
		}
	}
	points, err := p.haltonPoints(ctx)
	if err != nil {
		ws.free(p.b)
		return err
	}
	if p.pts, err = backend.FromHost(ctx, p.b, points); err != nil {
		ws.free(p.b)
		return fmt.Errorf("traj: the sample points on %s: %w", p.b.Name(), err)
	}
	p.ws = ws
	return nil
}

// Close waits for a call in flight, then releases the planner's arrays on its backend. Every
// later call fails with engine.ErrClosed; a second Close returns nil.
func (p *Planner) Close() error {
	if !p.gate.Close() {
		return nil
	}
	err := backend.FreeAll(p.b, p.pts, p.ws.controls, p.ws.total, p.ws.feasible)
	p.ws, p.pts, p.used = nil, nil, 0
	return err
}

// best is the controls of the k best candidates scored so far, [2·Segments, k].
func (p *Planner) best(ctx context.Context, k int) ([]float32, error) {
	sel, err := p.b.Alloc(backend.Float32, 2*p.cfg.Segments*k)
	if err != nil {
		return nil, err
	}
	defer p.b.Free(sel)
	if _, err := p.selectTop(ctx, k, sel); err != nil {
		return nil, err
	}
	controls := make([]float32, sel.Len())
	if err := backend.Download(ctx, p.b, controls, sel); err != nil {
		return nil, err
	}
	return controls, nil
}

// selectTop gathers the k best candidates' controls into selected and returns their
// indices, best first.
func (p *Planner) selectTop(ctx context.Context, k int, selected backend.Buffer) ([]int32, error) {
	index, err := p.b.Alloc(backend.Int32, k)
	if err != nil {
		return nil, err
	}
	defer p.b.Free(index)
	if err := p.b.TrajSelect(ctx, backend.TrajSelect{N: p.ws.n, Count: p.used, K: k, Segments: p.cfg.Segments,
		Total: p.ws.total, Feasible: p.ws.feasible, Controls: p.ws.controls, Index: index, Selected: selected}); err != nil {
		return nil, err
	}
	order := make([]int32, k)
	if err := backend.Download(ctx, p.b, order, index); err != nil {
		return nil, err
	}
	return order, nil
}

// Evaluated is a candidate of the last cycle rolled out again: its costs and trajectory.
type Evaluated struct {
	Candidate
	Trajectory []Point
}

// Rollout rolls the last cycle's candidates at indices out again on s, for their
// trajectories (a plot of the candidate set, say).
func (p *Planner) Rollout(ctx context.Context, s *Scenario, indices []int) ([]Evaluated, error) {
	if err := p.gate.EnterAlone(); err != nil {
		return nil, fmt.Errorf("traj: rollout: %w", err)
	}
	defer p.gate.Leave()
	if p.used == 0 {
		return nil, errors.New("traj: no cycle planned yet")
	}
	if len(indices) == 0 {
		return nil, nil
	}
	all := make([]float32, p.ws.controls.Len())
	if err := backend.Download(ctx, p.b, all, p.ws.controls); err != nil {
		return nil, err
	}
	dims, n := 2*p.cfg.Segments, len(indices)
	cols := make([]float32, dims*n)
	for i, c := range indices {
		if c < 0 || c >= p.used {
			return nil, fmt.Errorf("traj: candidate %d of %d", c, p.used)
		}
		for d := range dims {
			cols[d*n+i] = all[d*p.ws.n+c]
		}
	}
	in, err := newScoreInputs(s, p.cfg.Segments, p.cfg.form(), false, &p.maps)
	if err != nil {
		return nil, err
	}
	r, err := score(ctx, p.b, s, in, cols, n)
	if err != nil {
		return nil, err
	}
	out := make([]Evaluated, n)
	for i, c := range indices {
		out[i] = Evaluated{Candidate{Index: c, Controls: column(cols, n, dims, i), Costs: r.costs(i)}, r.trajectory(i)}
	}
	return out, nil
}

// shiftedPrevious is the previous best's controls as seen one cycle later: segment d takes
// the control in force CycleS after its middle, the last one held.
func (p *Planner) shiftedPrevious(s *Scenario) []float64 {
	segs := p.cfg.Segments
	out := make([]float64, 2*segs)
	if p.prev == nil {
		return out
	}
	segLen := s.Horizon.DurationS / float64(segs)
	for d := range segs {
		from := min(segs-1, int(((float64(d)+0.5)*segLen+p.cfg.CycleS)/segLen))
		out[d], out[segs+d] = float64(p.prev[from]), float64(p.prev[segs+from])
	}
	return out
}

// warmRows are the rows of the Halton points that the warm start samples with, from the first.
func (p *Planner) warmRows() int {
	first, _, _, _ := p.sizes()
	return min(first-backend.TrajExtremes, int(p.cfg.WarmFraction*float64(first)))
}

// haltonPoints are the first stage's quasi-random points, [rows, 2·Segments] in [−1, 1]:
// Owen-scrambled Halton points, the scrambling seeded by Config.Seed. They are the same every
// cycle; only the warm start and the refinement move them. They are ordered by path within
// each range a sampling group takes (orderRuns), so every group keeps its points.
func (p *Planner) haltonPoints(ctx context.Context) ([]float32, error) {
	rows, refine, _, _ := p.sizes()
	points, err := owenHalton(ctx, rows, 2*p.cfg.Segments, rand.NewPCG(p.cfg.Seed, 0x9E3779B97F4A7C15))
	if err != nil {
		return nil, fmt.Errorf("traj: sampling %d Halton points: %w", rows, err)
	}
	orderRuns(points, 2*p.cfg.Segments, []int{p.warmRows(), refine, rows - backend.TrajExtremes})
	return points, nil
}

// Circles are the footprint as circles along the heading (offsets from the reference point)
// with their radii: the disk itself, or Circles equal circles covering the rectangle, each
// the circumscribed circle of its share of the length.
func (f Footprint) Circles() (offsets, radii []float64) {
	if f.Rectangle == nil {
		return []float64{0}, []float64{f.RadiusM}
	}
	r := f.Rectangle
	piece := r.LengthM / float64(r.Circles)
	radius := math.Hypot(piece/2, r.WidthM/2)
	for i := range r.Circles {
		offsets = append(offsets, -r.LengthM/2+piece*(float64(i)+0.5))
		radii = append(radii, radius)
	}
	return offsets, radii
}

func (c *Config) form() backend.CollisionForm {
	if c.Accurate {
		return backend.CollisionAccurate
	}
	return backend.CollisionFast
}

// maxHistory bounds the plans kept for latency compensation (1 s of latency at 10 Hz).
const maxHistory = 12

// remember keeps best as the newest plan in flight.
func (p *Planner) remember(best []Point) {
	p.history = append(p.history, best)
	if len(p.history) > maxHistory {
		p.history = append(p.history[:0], p.history[len(p.history)-maxHistory:]...)
	}
}

// compensate is s as the planner must see it with s.LatencyS > 0: a command takes effect
// LatencyS after the state was measured, and until then the robot follows the plans already
// sent. Planning is called every Config.CycleS = T, so plan c−i took effect at now − i·T + L
// and ran until plan c−i+1 took over. The robot's motion from now to now + L is theirs:
// each plan's stretch, taken in its own frame (relative to its pose where the stretch
// begins), is replayed from the measured pose, so that a plan's drift from where the robot
// truly is does not carry over. The speeds and accelerations are the last plan's at T. The
// obstacles' predictions move on by L. With no plan yet, the measured state stands.
func (p *Planner) compensate(s *Scenario) *Scenario {
	lat := s.LatencyS
	if lat <= 0 {
		return s
	}
	c := *s
	c.Obstacles = make([]Obstacle, len(s.Obstacles))
	for j, o := range s.Obstacles {
		c.Obstacles[j] = o.shifted(lat, s.Horizon.DtS)
	}
	n := len(p.history)
	if n == 0 {
		return &c
	}
	cycle := p.cfg.CycleS
	st := s.Robot.State
	for i := min(n, int(math.Ceil(lat/cycle-1e-9))); i >= 1; i-- {
		from, to := math.Max(0, lat-float64(i)*cycle), lat-float64(i-1)*cycle // in seconds from now
		if to <= from {
			continue
		}
		plan, start := p.history[n-i], lat-float64(i)*cycle // when plan c−i took effect
		a, b := pointAt(plan, from-start), pointAt(plan, to-start)
		ca, sa := math.Cos(a.ThetaRad), math.Sin(a.ThetaRad)
		along, across := ca*(b.XM-a.XM)+sa*(b.YM-a.YM), -sa*(b.XM-a.XM)+ca*(b.YM-a.YM)
		cs, sn := math.Cos(st.ThetaRad), math.Sin(st.ThetaRad)
		st.XM, st.YM = st.XM+cs*along-sn*across, st.YM+sn*along+cs*across
		st.ThetaRad += b.ThetaRad - a.ThetaRad
	}
	last := pointAt(p.history[n-1], cycle)
	st.VMps, st.OmegaRadps, st.AccelMps2, st.AlphaRadps2 = last.VMps, last.OmegaRadps, last.AccelMps2, last.AlphaRadps2
	c.Robot.State = st
	return &c
}

// shifted is o's prediction seen lat seconds later: a constant-velocity model moved and
// grown by lat, a track advanced by the nearest whole number of steps.
func (o Obstacle) shifted(lat, dtS float64) Obstacle {
	if cv := o.ConstantVelocity; cv != nil {
		moved := *cv
		moved.PositionM, moved.CovarianceM2 = o.At(lat, dtS)
		o.ConstantVelocity = &moved
		return o
	}
	moved, _ := o.advance(int(math.Round(lat/dtS)), dtS)
	return moved
}
