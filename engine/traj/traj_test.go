package traj

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/backend"
)

func openCPU(t *testing.T) *engine.Engine {
	t.Helper()
	e, err := engine.Open(engine.Options{Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func inputs(t *testing.T, s *Scenario, segments int, form backend.CollisionForm) *scoreInputs {
	t.Helper()
	in, err := newScoreInputs(s, segments, form, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func randomControls(rng *rand.Rand, segments, n int) []float32 {
	u := make([]float32, 2*segments*n)
	for i := range u {
		u[i] = float32(2*rng.Float64() - 1)
	}
	return u
}

// With a wheel-speed limit, every rolled-out state keeps |v| + |ω|·b/2 within it.
func TestWheelLimitHolds(t *testing.T) {
	s, err := LoadScenario("testdata/corridor.json")
	if err != nil {
		t.Fatal(err)
	}
	l := s.Robot.Limits // wheel 1.3 m/s, track 0.4 m, v ≤ 1, |ω| ≤ 1.5: a split is needed
	s.Robot.State.VMps = 0.5
	rng := rand.New(rand.NewPCG(8, 8))
	const n, segments = 1 << 16, 4
	r, err := score(context.Background(), openCPU(t).Backend(), s, inputs(t, s, segments, backend.CollisionFast), randomControls(rng, segments, n), n)
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for c := range n {
		for k := range r.steps {
			st := r.states[(c*r.steps+k)*backend.TrajStateValues:]
			worst = max(worst, math.Abs(float64(st[3]))+math.Abs(float64(st[4]))*l.TrackWidthM/2)
		}
	}
	if worst > l.WheelSpeedMaxMps*(1+1e-6) {
		t.Errorf("wheel speed reaches %.6f m/s, above the limit %v", worst, l.WheelSpeedMaxMps)
	}
	t.Logf("largest wheel speed %.4f m/s of %v", worst, l.WheelSpeedMaxMps)
}

// Every rolled-out state of a million random candidates, from a start at speed and turning,
// respects every limit: speed, turn rate, both accelerations and both jerks, with the
// speeds the integrals of the accelerations (so no limit is kept by clamping a speed).
func TestLimitsHold(t *testing.T) {
	s, err := LoadScenario("testdata/corridor.json")
	if err != nil {
		t.Fatal(err)
	}
	s.Robot.Limits.VMinMps = -0.3
	s.Robot.Limits.WheelSpeedMaxMps = 0 // the box limits themselves
	s.Robot.State.VMps, s.Robot.State.OmegaRadps, s.Robot.State.AccelMps2, s.Robot.State.AlphaRadps2 = 0.9, -1.2, 0.4, 1
	b := openCPU(t).Backend()
	l, dt := s.Robot.Limits, s.Horizon.DtS
	rng := rand.New(rand.NewPCG(3, 3))
	const chunk, chunks, segments = 1 << 16, 16, 4
	names := []string{"v above v_max", "v below v_min", "|ω|", "|a|", "|α|", "|jerk|", "|angular jerk|",
		"Δv − a·dt (v clamped, not reached)", "Δω − α·dt"}
	var worst [9]float64
	for range chunks {
		r, err := score(context.Background(), b, s, inputs(t, s, segments, backend.CollisionFast), randomControls(rng, segments, chunk), chunk)
		if err != nil {
			t.Fatal(err)
		}
		for c := range chunk {
			aPrev, alPrev := s.Robot.State.AccelMps2, s.Robot.State.AlphaRadps2
			vPrev, omPrev := s.Robot.State.VMps, s.Robot.State.OmegaRadps
			for k := range r.steps {
				st := r.states[(c*r.steps+k)*backend.TrajStateValues:]
				v, om, a, al := float64(st[3]), float64(st[4]), float64(st[5]), float64(st[6])
				// Each excess over a limit, relative to it (float32 rounding allows ~1e-6).
				for i, excess := range [9]float64{
					(v - l.VMaxMps) / l.VMaxMps, (l.VMinMps - v) / -l.VMinMps,
					(math.Abs(om) - l.OmegaMaxRadps) / l.OmegaMaxRadps, (math.Abs(a) - l.AccelMaxMps2) / l.AccelMaxMps2,
					(math.Abs(al) - l.AlphaMaxRadps2) / l.AlphaMaxRadps2,
					(math.Abs(a-aPrev)/dt - l.JerkMaxMps3) / l.JerkMaxMps3,
					(math.Abs(al-alPrev)/dt - l.AngularJerkMaxRadps3) / l.AngularJerkMaxRadps3,
					math.Abs(v-vPrev-a*dt) / l.VMaxMps, math.Abs(om-omPrev-al*dt) / l.OmegaMaxRadps,
				} {
					worst[i] = max(worst[i], excess)
				}
				aPrev, alPrev, vPrev, omPrev = a, al, v, om
			}
		}
	}
	for i, excess := range worst {
		if excess > 1e-5 {
			t.Errorf("%s exceeds its limit by %.3g of it", names[i], excess)
		}
	}
	t.Logf("largest relative excess over any limit in %d candidates × %d steps: %.2g", chunk*chunks, s.Horizon.Steps(), slices.Max(worst[:]))
}

// referenceCosts are the documented formulas (fc_traj_score.h, the README) in plain float64
// Go, with the accurate collision probability by 200-point chords and math.Erf.
func referenceCosts(s *Scenario, u []float64, segments int) Costs {
	l, st, w, dt, steps := s.Robot.Limits, s.Robot.State, s.Weights, s.Horizon.DtS, s.Horizon.Steps()
	caution := s.Caution
	accel := func(v, a, u, jerk, amax, lo, hi float64) float64 {
		up := jerk * (math.Sqrt(dt*dt+2*max(hi-v, 0)/jerk) - dt)
		down := -jerk * (math.Sqrt(dt*dt+2*max(v-lo, 0)/jerk) - dt)
		top, bottom := min(amax, a+jerk*dt, up), max(-amax, a-jerk*dt, down)
		return max(bottom, min(max(top, bottom), a+u*jerk*dt))
	}
	project := func(x, y float64) (s0, d2 float64) {
		best, acc := math.Inf(1), 0.0
		path := s.Guidance.Path
		for i := 0; i+1 < len(path); i++ {
			ax, ay, dx, dy := path[i][0], path[i][1], path[i+1][0]-path[i][0], path[i+1][1]-path[i][1]
			ln := math.Hypot(dx, dy)
			t := math.Max(0, math.Min(1, ((x-ax)*dx+(y-ay)*dy)/(ln*ln)))
			if q := math.Pow(ax+t*dx-x, 2) + math.Pow(ay+t*dy-y, 2); q < best {
				best, s0 = q, acc+t*ln
			}
			acc += ln
		}
		return s0, best
	}
	x, y, th, v, om, a, al := st.XM, st.YM, st.ThetaRad, st.VMps, st.OmegaRadps, st.AccelMps2, st.AlphaRadps2
	sPrev, _ := project(x, y)
	var c Costs
	survival := 1.0
	offsets, radii := s.Robot.Footprint.Circles()
	for k := range steps {
		seg := k * segments / steps
		aN := accel(v, a, u[seg], l.JerkMaxMps3, l.AccelMaxMps2, l.VMinMps, l.VMaxMps)
		alN := accel(om, al, u[segments+seg], l.AngularJerkMaxRadps3, l.AlphaMaxRadps2, -l.OmegaMaxRadps, l.OmegaMaxRadps)
		c.Smoothness += (math.Pow((aN-a)/dt, 2) + math.Pow((alN-al)/dt, 2)) * dt
		vN, omN := v+aN*dt, om+alN*dt
		vBar, omBar := (v+vN)/2, (om+omN)/2
		mid := th + omBar*dt/2
		x, y, th = x+vBar*math.Cos(mid)*dt, y+vBar*math.Sin(mid)*dt, th+omBar*dt
		v, om, a, al = vN, omN, aN, alN
		c.Forward += math.Max(-v, 0) * dt
		clear, near := 1.0, false
		for _, o := range s.Obstacles {
			mean, cov := o.At(float64(k+1)*dt, dt)
			pMax := 0.0
			for i := range offsets {
				px, py := x+offsets[i]*math.Cos(th), y+offsets[i]*math.Sin(th)
				pMax = math.Max(pMax, chordProb(px-mean[0], py-mean[1], cov, radii[i]+o.RadiusM))
				near = near || math.Hypot(px-mean[0], py-mean[1])-radii[i]-o.RadiusM < caution.DistanceM
			}
			clear *= 1 - pMax
		}
		if near {
			c.Caution += math.Pow(math.Max(math.Abs(v)-caution.SpeedMps, 0), 2) * dt
		}
		survival *= clear
		sNow, d2 := project(x, y)
		c.Progress += survival * (sNow - sPrev)
		sPrev = sNow
		c.PathDistance += d2 * dt
		c.Goal += math.Hypot(x-s.Guidance.Goal.XM, y-s.Guidance.Goal.YM) / float64(steps)
	}
	g := s.Guidance.Goal
	near := math.Exp(-0.5 * (math.Pow(g.XM-st.XM, 2) + math.Pow(g.YM-st.YM, 2)))
	c.Progress *= -w.Progress
	c.PathDistance *= w.PathDist
	c.Smoothness *= w.Smoothness
	c.Goal *= w.Goal * near
	c.Heading = w.Heading * near * (1 - math.Cos(th-g.ThetaRad))
	c.Forward *= w.Forward
	c.CollisionProb = 1 - survival
	c.Collision = w.Collision * c.CollisionProb
	c.Caution *= w.Caution
	c.Total = c.Progress + c.PathDistance + c.Smoothness + c.Goal + c.Heading + c.Forward + c.Map + c.Collision + c.Caution
	return c
}

// chordProb is ∫_{‖x − p‖ ≤ R} N(x; μ, Σ) dx by 200 chords across the disk along x (no
// principal axes), each the exact conditional normal probability of its y-interval.
func chordProb(dx, dy float64, cov Cov2, r float64) float64 {
	sxx, sxy, syy := cov[0][0], cov[0][1], cov[1][1]
	const n = 200
	sum := 0.0
	for i := range n {
		// z = x − μx at the chord; y − μy given it is N(sxy/sxx·z, syy − sxy²/sxx).
		z := dx - r + (float64(i)+0.5)*2*r/n
		h := math.Sqrt(math.Max(r*r-(z-dx)*(z-dx), 0))
		condMean, condSD := sxy/sxx*z, math.Sqrt(syy-sxy*sxy/sxx)
		cdf := func(t float64) float64 { return 0.5 * (1 + math.Erf((t-condMean)/(condSD*math.Sqrt2))) }
		sum += math.Exp(-0.5*z*z/sxx) / math.Sqrt(2*math.Pi*sxx) * (cdf(dy+h) - cdf(dy-h)) * 2 * r / n
	}
	return sum
}

// The kernel's totals and terms are the documented formulas: against the float64 reference
// for random candidates in the corridor (an oncoming, uncertain person) and with a second,
// correlated obstacle.
func TestCostsMatchReference(t *testing.T) {
	s, err := LoadScenario("testdata/corridor.json")
	if err != nil {
		t.Fatal(err)
	}
	s.Guidance.Path = [][2]float64{{-1, 0}, {3, 0.5}, {8, 0}}
	s.Obstacles = append(s.Obstacles, Obstacle{RadiusM: 0.25, ConstantVelocity: &ConstantVelocity{
		PositionM: [2]float64{1.5, -1}, VelocityMps: [2]float64{0, 0.5}, CovarianceM2: Cov2{{0.04, 0.01}, {0.01, 0.02}}}})
	s.Weights.Smoothness = 0.05
	b := openCPU(t).Backend()
	rng := rand.New(rand.NewPCG(9, 9))
	const n, segments = 64, 4
	controls := randomControls(rng, segments, n)
	r, err := score(context.Background(), b, s, inputs(t, s, segments, backend.CollisionAccurate), controls, n)
	if err != nil {
		t.Fatal(err)
	}
	for c := range n {
		u := make([]float64, 2*segments)
		for d := range u {
			u[d] = float64(controls[d*n+c])
		}
		want, got := referenceCosts(s, u, segments), r.costs(c)
		wv, gv := reflect.ValueOf(want), reflect.ValueOf(got)
		for f := range wv.NumField() {
			if wv.Field(f).Kind() != reflect.Float64 {
				continue
			}
			w, g := wv.Field(f).Float(), gv.Field(f).Float()
			if math.Abs(g-w) > 2e-3*max(1, math.Abs(w)) {
				t.Errorf("candidate %d: %s = %.6f, reference %.6f", c, wv.Type().Field(f).Name, g, w)
			}
		}
	}
}

// planOnce plans one cycle of s with a new planner.
func planOnce(t *testing.T, e *engine.Engine, cfg Config, s *Scenario) *Result {
	t.Helper()
	p, err := NewPlanner(context.Background(), e.Backend(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r, err := p.Plan(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// eachEngine runs f on every CPU variant the processor has and on CUDA where there is a
// device.
func eachEngine(t *testing.T, f func(t *testing.T, e *engine.Engine)) {
	for _, opts := range []engine.Options{{Device: "cpu", CPUVariant: "generic"}, {Device: "cpu", CPUVariant: "avx2"},
		{Device: "cpu", CPUVariant: "avx512"}, {Device: "cuda"}} {
		t.Run(strings.TrimSuffix(opts.Device+"/"+opts.CPUVariant, "/"), func(t *testing.T) {
			e, err := engine.Open(opts)
			if err != nil {
				t.Skip(err)
			}
			defer e.Close()
			f(t, e)
		})
	}
}

// A fixed seed plans the same cycle twice on every backend, and the backends agree on the
// choice.
func TestPlanDeterministic(t *testing.T) {
	s, err := LoadScenario("testdata/corridor.json")
	if err != nil {
		t.Fatal(err)
	}
	var first *Result
	eachEngine(t, func(t *testing.T, e *engine.Engine) {
		cfg := Config{Candidates: 512, RefineStages: 1}
		r1, r2 := planOnce(t, e, cfg, s), planOnce(t, e, cfg, s)
		if !reflect.DeepEqual(r1.Best, r2.Best) || !reflect.DeepEqual(r1.Top, r2.Top) {
			t.Error("two plans with the same seed differ")
		}
		end := r1.Best[len(r1.Best)-1]
		if len(r1.Best) != 31 || end.XM <= 0.3 || !r1.BestCosts.Feasible || r1.BestCosts.Progress >= 0 {
			t.Errorf("best plan ends at %+v with costs %+v; want 31 points moving toward the goal", end, r1.BestCosts)
		}
		for i := 1; i < len(r1.Top); i++ {
			if r1.Top[i].Costs.Total < r1.Top[i-1].Costs.Total {
				t.Errorf("top candidates out of order at %d", i)
			}
		}
		if first == nil {
			first = r1
			return
		}
		// Another backend rounds differently, but not enough to change the choice here.
		if r1.Top[0].Index != first.Top[0].Index || math.Abs(r1.BestCosts.Total-first.BestCosts.Total) > 1e-4 {
			t.Errorf("%s chose candidate %d (total %.6f), the first backend %d (%.6f)", e.Backend().Name(), r1.Top[0].Index,
				r1.BestCosts.Total, first.Top[0].Index, first.BestCosts.Total)
		}
	})
}

// Refinement keeps every first-stage candidate, so it can only lower the best total; in the
// open room, where the best sample turns the wrong way first, it lowers it.
func TestRefinementImproves(t *testing.T) {
	s, err := LoadScenario("../../examples/open_room.json")
	if err != nil {
		t.Fatal(err)
	}
	e := openCPU(t)
	best := func(stages int) float64 {
		return planOnce(t, e, Config{Candidates: 1024, RefineStages: stages}, s).BestCosts.Total
	}
	plain, refined := best(0), best(2)
	t.Logf("best total without refinement %.4f, with two stages %.4f", plain, refined)
	if !(refined < plain) {
		t.Errorf("two refinement stages give %.4f, not below %.4f", refined, plain)
	}
}

// corridorSpeed is the planner's mean speed over the first second in the corridor with the
// person's covariance growing at growthM2ps, averaged over seeds; with walls (half-width
// wallM > 0) the corridor is closed beside the person.
func corridorSpeed(t *testing.T, e *engine.Engine, growthM2ps, wallM float64, cfg Config, seeds int) (speed, collision float64) {
	t.Helper()
	s, err := LoadScenario("../../examples/corridor.json")
	if err != nil {
		t.Fatal(err)
	}
	s.Obstacles[0].ConstantVelocity.GrowthM2ps = Cov2{{growthM2ps, 0}, {0, growthM2ps}}
	s.Caution = &Caution{} // the response to uncertainty alone; TestCautionNearPeople has caution
	if wallM > 0 {
		const cells, res = 120, 0.05
		m := &CostMap{ResolutionM: res, Width: cells, Height: cells, OriginM: &[2]float64{-3, -3}, Cost: make([]float64, cells*cells)}
		for j := range cells {
			if y := -3 + (float64(j)+0.5)*res; math.Abs(y) > wallM {
				for i := range cells {
					m.Cost[j*cells+i] = 1
				}
			}
		}
		s.Map = m
	}
	for seed := range seeds {
		cfg.Seed = uint64(seed + 1)
		r := planOnce(t, e, cfg, s)
		for _, q := range r.Best[1:11] {
			speed += q.VMps / 10 / float64(seeds)
		}
		collision += r.BestCosts.CollisionProb / float64(seeds)
	}
	return speed, collision
}

// In the shipped corridor the robot passes the person while passing is safe enough, and
// stops once it is not: the chosen speed falls as the person's uncertainty grows, though at
// the switch from one manoeuvre to the other it falls at once (see the README).
func TestCorridorUncertaintySlowsDown(t *testing.T) {
	e := openCPU(t)
	prev := math.Inf(1)
	for _, g := range []float64{0, 0.02, 0.05, 0.1, 0.2, 0.4} {
		speed, p := corridorSpeed(t, e, g, 0, Config{Candidates: 4096, RefineStages: 2}, 4)
		t.Logf("growth %.2f m²/s: mean speed over the first second %.3f m/s, collision probability %.3f", g, speed, p)
		if speed > prev+0.03 {
			t.Errorf("growth %.2f m²/s: mean speed %.3f m/s, above %.3f at the lower growth", g, speed, prev)
		}
		prev = speed
	}
}

// With walls that leave no room to pass (1.2 m apart, the person 0.2 m off the middle), the
// only choice is how fast to approach, and the chosen speed falls monotonically and
// continuously as the uncertainty grows, down to the hardest braking the limits allow. The
// speed is averaged over 4 seeds: a single cycle's choice scatters by about ±0.07 m/s
// between seeds (the cost is flat near its minimum), which would hide a 0.01 m²/s step. The
// steepest step is the first, from a certain position: 0.076 m/s with the accurate form,
// 0.106 with the fast one, whose regime can change between neighbouring growths.
func TestNarrowCorridorSlowsContinuously(t *testing.T) {
	e := openCPU(t)
	cfg := Config{Candidates: 16384, RefineStages: 3}
	var speeds []float64
	for i := range 13 {
		g := 0.005 * float64(i)
		speed, p := corridorSpeed(t, e, g, 0.6, cfg, 4)
		t.Logf("growth %.3f m²/s: mean speed over the first second %.3f m/s, collision probability %.3f", g, speed, p)
		speeds = append(speeds, speed)
	}
	for i := 1; i < len(speeds); i++ {
		if speeds[i] > slices.Min(speeds[:i])+0.03 {
			t.Errorf("growth %.3f m²/s: speed %.3f m/s, above %.3f at a lower growth", 0.005*float64(i), speeds[i], slices.Min(speeds[:i]))
		}
		if d := speeds[i-1] - speeds[i]; d > 0.11 {
			t.Errorf("growth %.3f → %.3f m²/s: the speed falls by %.3f m/s at once", 0.005*float64(i-1), 0.005*float64(i), d)
		}
	}
	if drop := speeds[0] - speeds[len(speeds)-1]; drop < 0.15 {
		t.Errorf("the speed falls by %.3f m/s over the sweep, want ≥ 0.15", drop)
	}
}

// Closed loop in the shipped scenarios with people: no collision, and in the open ones the
// robot gets somewhere.
func TestSimulateShippedScenarios(t *testing.T) {
	e := openCPU(t)
	// A small planner and the one `fluxcore plan sim` runs by default.
	for _, cfg := range []Config{{Candidates: 1024, RefineStages: 1}, {Candidates: DefaultConfig.Candidates, RefineStages: 1}} {
		for _, name := range []string{"open_room", "corridor", "crossing", "doorway", "cluttered"} {
			s, err := LoadScenario("../../examples/" + name + ".json")
			if err != nil {
				t.Fatal(err)
			}
			p, err := NewPlanner(context.Background(), e.Backend(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			log, err := Simulate(context.Background(), p, s, 10, 20, nil)
			if err != nil {
				t.Fatal(err)
			}
			end, goal := log.Steps[len(log.Steps)-1].Robot, s.Guidance.Goal
			label := fmt.Sprintf("%s, %d candidates", name, cfg.Candidates)
			t.Logf("%s: %d cycles, closest approach %.3f m, end (%.2f, %.2f)", label, len(log.Steps), log.ClosestApproachM, end.XM, end.YM)
			if log.Collisions > 0 {
				t.Errorf("%s: %d collisions, closest approach %.3f m", label, log.Collisions, log.ClosestApproachM)
			}
			if d := math.Hypot(end.XM-goal.XM, end.YM-goal.YM); d > 0.25 {
				t.Errorf("%s: after 20 s the robot is %.2f m from the goal, at (%.2f, %.2f)", label, d, end.XM, end.YM)
			}
			if name == "crossing" {
				// The person crossing in front: the robot slows rather than swerving hard.
				slowest, hardestTurn := math.Inf(1), 0.0
				for _, st := range log.Steps {
					slowest, hardestTurn = min(slowest, st.Robot.VMps), max(hardestTurn, math.Abs(st.Robot.OmegaRadps))
				}
				t.Logf("%s: slowest %.2f m/s, hardest turn %.2f rad/s", label, slowest, hardestTurn)
				if limit := s.Robot.Limits.OmegaMaxRadps / 2; slowest > 0.2 || hardestTurn > limit {
					t.Errorf("crossing: slowest %.2f m/s (want ≤ 0.2), hardest turn %.2f rad/s (want ≤ %.2f)", slowest, hardestTurn, limit)
				}
			}
		}
	}
}

// A long global path is cut to the reachable part around the robot and thinned, and the
// planner still follows it.
func TestLongPathIsClipped(t *testing.T) {
	var circle [][2]float64
	for i := range 2000 {
		a := 2 * math.Pi * float64(i) / 2000
		circle = append(circle, [2]float64{50 * math.Sin(a), 50 - 50*math.Cos(a)}) // starts at the origin heading +x
	}
	local := localPath(circle, [2]float64{0.1, 0}, 7)
	if len(local) > maxLocalPathPoints || len(local) < 2 || local[0] != circle[0] {
		t.Fatalf("local path of %d points from %v", len(local), local[0])
	}
	end := local[len(local)-1]
	if arc := 50 * math.Atan2(end[0], 50-end[1]); arc < 7 || arc > 8 {
		t.Errorf("the local path ends %.2f m of arc along, want just past 7 m", arc)
	}
	short := [][2]float64{{0, 0}, {8, 0}}
	if got := localPath(short, [2]float64{0, 0}, 7); !reflect.DeepEqual(got, short) {
		t.Errorf("a short path became %v", got)
	}
	s, err := LoadScenario("testdata/corridor.json")
	if err != nil {
		t.Fatal(err)
	}
	s.Guidance.Path = circle
	if r := planOnce(t, openCPU(t), Config{Candidates: 512}, s); r.BestCosts.Progress >= 0 {
		t.Errorf("no progress along the long path: %+v", r.BestCosts)
	}
}
