package traj

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/backend"
)

// Config tunes a Planner. A zero Candidates, Segments, TopK, CycleS, WarmFraction or
// WarmSpread takes DefaultConfig's value; Seed, Accurate, RefineStages and KeepTotals are
// used as given.
type Config struct {
	// Candidates sampled per cycle.
	Candidates int
	// Segments of piecewise-constant jerk over the horizon, per axis.
	Segments int
	// Seed offsets the Halton sequence, so that two seeds sample different candidates.
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
	// TopK candidates are reported with their costs.
	TopK int
	// RefineStages (0 to 3) sample half as many candidates again around the elite of the
	// ones so far, each stage.
	RefineStages int
	// KeepTotals keeps every candidate's total cost in the Result.
	KeepTotals bool
}

// DefaultConfig plans 2048 candidates of 4 jerk segments per axis at 10 Hz.
var DefaultConfig = Config{Candidates: 2048, Segments: 4, Seed: 1, WarmFraction: 0.25, WarmSpread: 0.3, CycleS: 0.1, TopK: 8}

// Planner plans on one backend, remembering its last best candidate for the warm start.
type Planner struct {
	b      backend.Backend
	cfg    Config
	prev   []float32     // the last best candidate's controls, 2·Segments
	last   *candidateSet // the last cycle's candidates
	halton []float32     // [Candidates, 2·Segments] Halton points in [−1, 1]
}

// NewPlanner returns a planner on e's backend.
func NewPlanner(e *engine.Engine, cfg Config) (*Planner, error) {
	d := DefaultConfig
	for _, f := range []struct{ dst, def *int }{{&cfg.Candidates, &d.Candidates}, {&cfg.Segments, &d.Segments}, {&cfg.TopK, &d.TopK}} {
		if *f.dst == 0 {
			*f.dst = *f.def
		}
	}
	if cfg.CycleS == 0 {
		cfg.CycleS = d.CycleS
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
		return nil, fmt.Errorf("traj: %d candidates, want 1..%d", cfg.Candidates, 1<<26)
	case cfg.Segments < 1 || cfg.Segments > 16:
		return nil, fmt.Errorf("traj: %d segments, want 1..16", cfg.Segments)
	case !(cfg.WarmFraction >= 0 && cfg.WarmFraction < 1):
		return nil, fmt.Errorf("traj: warm fraction %v, want [0, 1)", cfg.WarmFraction)
	case !(cfg.WarmSpread > 0 && cfg.WarmSpread <= 2), !(cfg.CycleS > 0):
		return nil, fmt.Errorf("traj: warm spread %v and cycle %v s, want (0, 2] and > 0", cfg.WarmSpread, cfg.CycleS)
	case cfg.RefineStages < 0 || cfg.RefineStages > 3:
		return nil, fmt.Errorf("traj: %d refinement stages, want 0..3", cfg.RefineStages)
	case cfg.TopK < 1 || cfg.TopK > cfg.Candidates:
		return nil, fmt.Errorf("traj: top %d of %d candidates", cfg.TopK, cfg.Candidates)
	}
	pl := &Planner{b: e.Backend(), cfg: cfg}
	// The Halton points are the same every cycle; only the warm start moves them.
	dims := 2 * cfg.Segments
	pl.halton = make([]float32, dims*cfg.Candidates)
	u := make([]float64, dims)
	for i := range cfg.Candidates {
		halton(uint64(i)+1+cfg.Seed*0x9E3779B9, u)
		for d, v := range u {
			pl.halton[i*dims+d] = float32(2*v - 1)
		}
	}
	return pl, nil
}

// Point is one rolled-out instant of a trajectory.
type Point struct {
	TS, XM, YM, ThetaRad, VMps, OmegaRadps, AccelMps2, AlphaRadps2 float64
}

// Costs are a candidate's total and its weighted terms (the README's cost section), and its
// probability of colliding over the horizon.
type Costs struct {
	Total, Progress, PathDistance, Smoothness, Goal, Heading, Forward, Map, Collision float64
	CollisionProb                                                                     float64
	Feasible                                                                          bool
}

// Candidate is one scored candidate: its index in the cycle, controls and costs.
type Candidate struct {
	Index    int
	Controls []float32 // jerk fractions, linear segments then angular
	Costs    Costs
}

// Result is one planning cycle's outcome.
type Result struct {
	// Best is the lowest-cost feasible candidate's trajectory, starting at the current state.
	Best      []Point
	BestCosts Costs
	// Top are the TopK best candidates, best first (infeasible ones last).
	Top []Candidate
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

// Plan runs one cycle on s: sample, roll out and score, select the top K, and roll out the
// best once more for its time series.
func (p *Planner) Plan(ctx context.Context, s *Scenario) (*Result, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	var res Result
	t0 := time.Now()
	in, err := newScoreInputs(s, p.cfg.Segments, p.cfg.form())
	if err != nil {
		return nil, err
	}
	controls := p.sample(s)
	res.Timings.Sample = time.Since(t0)

	t1 := time.Now()
	n, k, dims := p.cfg.Candidates, p.cfg.TopK, 2*p.cfg.Segments
	set := &candidateSet{dims: dims}
	if err := set.add(ctx, p.b, s, in, controls, n); err != nil {
		return nil, err
	}
	res.Timings.Score = time.Since(t1)

	// Refinement: each stage samples half as many candidates again around the elite (the
	// best 1/32) of everything so far, uniformly within ±√3 standard deviations of the
	// elite per control, so that the search closes in on a continuous optimum rather than
	// stopping at the best sample.
	t4 := time.Now()
	for range p.cfg.RefineStages {
		elite := topK(set.total, set.feasible, max(8, n/32))
		m := max(k, n/2)
		refined := make([]float32, dims*m)
		for d := range dims {
			mean, sq := 0.0, 0.0
			for _, c := range elite {
				u := float64(set.control(c, d))
				mean += u
				sq += u * u
			}
			mean /= float64(len(elite))
			spread := math.Sqrt(3 * max(sq/float64(len(elite))-mean*mean, 4e-4))
			for i := range m {
				u := mean + spread*float64(p.halton[(i%n)*dims+d])
				refined[d*m+i] = float32(max(-1, min(1, u)))
			}
		}
		if err := set.add(ctx, p.b, s, in, refined, m); err != nil {
			return nil, err
		}
	}
	res.Timings.Refine = time.Since(t4)

	t2 := time.Now()
	order := topK(set.total, set.feasible, k)
	if set.feasible[order[0]] == 0 {
		return nil, ErrNoFeasible
	}
	top := make([]float32, 0, dims*k)
	for _, c := range order {
		for d := range dims {
			top = append(top, set.control(c, d))
		}
	}
	if p.cfg.KeepTotals {
		res.Totals = set.total
	}
	res.Timings.Select = time.Since(t2)

	// The top K once more, with their states and terms.
	t3 := time.Now()
	detail, err := score(ctx, p.b, s, in, transposeControls(top, k, dims), k, true)
	if err != nil {
		return nil, err
	}
	res.Timings.Rollout = time.Since(t3)
	for i, c := range order {
		res.Top = append(res.Top, Candidate{Index: c, Controls: top[i*dims : (i+1)*dims], Costs: detail.costs(i)})
	}
	res.BestCosts = res.Top[0].Costs
	res.Best = detail.trajectory(0, s)
	p.prev = append(p.prev[:0], res.Top[0].Controls...)
	p.last = set
	return &res, nil
}

// candidateSet is every candidate a cycle scored, stage after stage: the controls of each
// stage ([2·Segments, n]) and the totals and feasibility of all, indexed in stage order.
type candidateSet struct {
	dims     int
	stages   [][]float32
	sizes    []int
	total    []float32
	feasible []int32
}

func (cs *candidateSet) add(ctx context.Context, b backend.Backend, s *Scenario, in *scoreInputs, controls []float32, n int) error {
	r, err := score(ctx, b, s, in, controls, n, false)
	if err != nil {
		return err
	}
	cs.stages, cs.sizes = append(cs.stages, controls), append(cs.sizes, n)
	cs.total, cs.feasible = append(cs.total, r.total[:n]...), append(cs.feasible, r.feasible[:n]...)
	return nil
}

func (cs *candidateSet) len() int { return len(cs.total) }

// control is control d of candidate c.
func (cs *candidateSet) control(c, d int) float32 {
	for i, n := range cs.sizes {
		if c < n {
			return cs.stages[i][d*n+c]
		}
		c -= n
	}
	panic("traj: candidate index out of range") // callers index below len()
}

// Evaluated is a candidate of the last cycle rolled out again: its costs and trajectory.
type Evaluated struct {
	Candidate
	Trajectory []Point
}

// Rollout rolls the last cycle's candidates at indices out again on s, for their
// trajectories (a plot of the candidate set, say).
func (p *Planner) Rollout(ctx context.Context, s *Scenario, indices []int) ([]Evaluated, error) {
	if p.last == nil {
		return nil, errors.New("traj: no cycle planned yet")
	}
	if len(indices) == 0 {
		return nil, nil
	}
	dims := 2 * p.cfg.Segments
	rows := make([]float32, 0, dims*len(indices))
	for _, c := range indices {
		if c < 0 || c >= p.last.len() {
			return nil, fmt.Errorf("traj: candidate %d of %d", c, p.last.len())
		}
		for d := range dims {
			rows = append(rows, p.last.control(c, d))
		}
	}
	in, err := newScoreInputs(s, p.cfg.Segments, p.cfg.form())
	if err != nil {
		return nil, err
	}
	r, err := score(ctx, p.b, s, in, transposeControls(rows, len(indices), dims), len(indices), true)
	if err != nil {
		return nil, err
	}
	out := make([]Evaluated, len(indices))
	for i, c := range indices {
		out[i] = Evaluated{Candidate{Index: c, Controls: rows[i*dims : (i+1)*dims], Costs: r.costs(i)}, r.trajectory(i, s)}
	}
	return out, nil
}

// transposeControls turns k rows of d controls into the [d, k] layout the kernel reads.
func transposeControls(rows []float32, k, d int) []float32 {
	out := make([]float32, len(rows))
	for i := range k {
		for j := range d {
			out[j*k+i] = rows[i*d+j]
		}
	}
	return out
}

// sample fills [2·Segments, Candidates] jerk fractions: the extreme manoeuvres first, then
// the warm start around the previous best, then a Halton sequence over the whole box.
func (p *Planner) sample(s *Scenario) []float32 {
	n, segs := p.cfg.Candidates, p.cfg.Segments
	dims := 2 * segs
	out := make([]float32, dims*n)
	set := func(c int, u []float64) {
		for d, v := range u {
			out[d*n+c] = float32(max(-1, min(1, v)))
		}
	}
	u := make([]float64, dims)
	c := 0
	for _, m := range extremes {
		if c == n {
			break
		}
		for d := range segs {
			u[d], u[segs+d] = m[0], m[1]
		}
		set(c, u)
		c++
	}
	warm := 0
	if p.prev != nil {
		warm = min(n-c, int(p.cfg.WarmFraction*float64(n)))
	}
	shifted := p.shiftedPrevious(s)
	for i := range n - c {
		for d := range u {
			u[d] = float64(p.halton[i*dims+d])
			if i < warm {
				u[d] = shifted[d] + p.cfg.WarmSpread*u[d]
			}
		}
		set(c+i, u)
	}
	return out
}

// extremes are the manoeuvres always among the candidates, as (linear, angular) jerk
// fractions held over the horizon: a full stop, straight on, full acceleration, and the
// hardest left and right turns.
var extremes = [][2]float64{{-1, 0}, {0, 0}, {1, 0}, {0, 1}, {0, -1}, {-1, 1}, {-1, -1}}

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

// halton writes the i-th point of the Halton sequence in len(u) dimensions (the first primes
// as bases), each coordinate in [0, 1).
func halton(i uint64, u []float64) {
	for d := range u {
		base := uint64(haltonPrimes[d%len(haltonPrimes)])
		f, r := 1.0, 0.0
		for k := i; k > 0; k /= base {
			f /= float64(base)
			r += f * float64(k%base)
		}
		u[d] = r
	}
}

var haltonPrimes = []int{2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131}

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

// topK are the indices of the k best candidates, best first: feasible before infeasible, then
// the lower total, then the lower index, so the choice is deterministic. One pass keeping a
// sorted list of k, which for k ≪ n beats sorting all n.
func topK(total []float32, feasible []int32, k int) []int {
	better := func(a, b int) bool {
		if fa, fb := feasible[a] != 0, feasible[b] != 0; fa != fb {
			return fa
		}
		if total[a] != total[b] {
			return total[a] < total[b]
		}
		return a < b
	}
	best := make([]int, 0, k+1)
	for c := range total {
		if len(best) == k && !better(c, best[k-1]) {
			continue
		}
		at := len(best)
		for at > 0 && better(c, best[at-1]) {
			at--
		}
		best = slices.Insert(best, at, c)
		if len(best) > k {
			best = best[:k]
		}
	}
	return best
}
