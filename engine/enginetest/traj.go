package enginetest

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/cpu"
)

// collisionCase is one collision-probability input: the offset p − μ, Σ, the radius.
type collisionCase struct{ dx, dy, sxx, sxy, syy, r float64 }

// bruteCollisionProb is ∫_{‖x − p‖ ≤ R} N(x; μ, Σ) dx by the midpoint rule in polar
// coordinates around p, 400 radii × 720 angles, in float64: no principal axes, chords or
// normal CDFs, so it shares nothing with the kernels but the definition.
func bruteCollisionProb(c collisionCase) float64 {
	const nr, nt = 400, 720
	det := c.sxx*c.syy - c.sxy*c.sxy
	ixx, ixy, iyy := c.syy/det, -c.sxy/det, c.sxx/det
	norm := 1 / (2 * math.Pi * math.Sqrt(det))
	sum := 0.0
	for i := range nr {
		r := (float64(i) + 0.5) * c.r / nr
		for j := range nt {
			th := (float64(j) + 0.5) * 2 * math.Pi / nt
			// The point x = p + r(cos θ, sin θ), relative to μ.
			x, y := c.dx+r*math.Cos(th), c.dy+r*math.Sin(th)
			q := ixx*x*x + 2*ixy*x*y + iyy*y*y
			sum += norm * math.Exp(-0.5*q) * r
		}
	}
	return sum * (c.r / nr) * (2 * math.Pi / nt)
}

// randomCollisionCase draws standard deviations between minRatio·R and 5R in a random
// orientation, and an offset of up to 2.5 times the larger of R and the spread.
func randomCollisionCase(rng *rand.Rand, minRatio float64) collisionCase {
	r := 0.3 + 0.7*rng.Float64()
	s1 := r * math.Exp(math.Log(minRatio)+rng.Float64()*(math.Log(5)-math.Log(minRatio)))
	s2 := r * math.Exp(math.Log(minRatio)+rng.Float64()*(math.Log(5)-math.Log(minRatio)))
	a := rng.Float64() * math.Pi
	c, s := math.Cos(a), math.Sin(a)
	reach := 2.5 * max(r, s1, s2)
	return collisionCase{
		dx: reach * (2*rng.Float64() - 1), dy: reach * (2*rng.Float64() - 1),
		sxx: c*c*s1*s1 + s*s*s2*s2, sxy: c * s * (s1*s1 - s2*s2), syy: s*s*s1*s1 + c*c*s2*s2, r: r,
	}
}

// testCollisionProb holds both forms to their documented bounds against the brute-force
// integral: the accurate one to 1e-3 (it measures 3e-4) for standard deviations from R/20 to
// 5R, the fast one to fastBound for σ_min ≥ R/10 and anisotropy up to 10 (testCollisionGrid
// proves that bound densely against closed forms).
func testCollisionProb(t *testing.T, b backend.Backend) {
	cases, want := collisionReference()
	got := runCollisionProb(t, b, cases, backend.CollisionAccurate)
	worst := 0.0
	for i := range cases {
		worst = max(worst, math.Abs(got[i]-want[i]))
	}
	t.Logf("accurate form: largest error %.2g over %d cases", worst, len(cases))
	for i, c := range cases {
		if d := math.Abs(got[i] - want[i]); d > 1e-3 || math.IsNaN(got[i]) {
			t.Errorf("accurate, case %+v: P = %.6f, brute force %.6f", c, got[i], want[i])
		}
	}
	// A nearly certain obstacle (σ = 1 mm, below the midpoint grid's resolution): inside the
	// disk P is 1, outside 0, by the definition.
	certain := runCollisionProb(t, b, []collisionCase{{0.2, -0.1, 1e-6, 0, 1e-6, 0.5}, {0.2, -0.6, 1e-6, 0, 1e-6, 0.5}}, backend.CollisionAccurate)
	if math.Abs(certain[0]-1) > 1e-3 || certain[1] > 1e-3 {
		t.Errorf("a certain obstacle 0.22 m and 0.63 m from a 0.5 m disk's centre: P = %g and %g, want 1 and 0", certain[0], certain[1])
	}
	fast := runCollisionProb(t, b, cases, backend.CollisionFast)
	for i, c := range cases {
		half, dev := 0.5*(c.sxx+c.syy), math.Hypot(0.5*(c.sxx-c.syy), c.sxy)
		sdMin, sdMax := math.Sqrt(half-dev), math.Sqrt(half+dev)
		bound := 1.0 // outside the bound's range, only P ∈ [0, 1]
		if sdMin >= fastBoundMinRatio*c.r && sdMax <= fastBoundMaxAniso*sdMin {
			bound = fastBound + 2e-3 // the brute force's own midpoint error
		}
		if d := math.Abs(fast[i] - want[i]); d > bound || !(fast[i] >= 0 && fast[i] <= 1) {
			t.Errorf("fast, case %+v (σ_min/R %.2f): P = %.6f, brute force %.6f, bound %g", c, sdMin/c.r, fast[i], want[i], bound)
		}
	}
}

var (
	collisionOnce  sync.Once
	collisionCases []collisionCase
	collisionWant  []float64
)

// collisionReference is the cases every backend runs and their brute-force probabilities,
// computed once per test binary.
func collisionReference() ([]collisionCase, []float64) {
	collisionOnce.Do(func() {
		rng := rand.New(rand.NewPCG(5, 5))
		for range 96 {
			collisionCases = append(collisionCases, randomCollisionCase(rng, 1.0/20))
		}
		// The obvious ones: centred and far, round, at the smallest spread (R/20), correlated.
		collisionCases = append(collisionCases,
			collisionCase{0, 0, 0.01, 0, 0.01, 0.5}, collisionCase{3, 0, 0.01, 0, 0.01, 0.5},
			collisionCase{0.2, -0.1, 6.25e-4, 0, 6.25e-4, 0.5}, collisionCase{0.4, 0.4, 0.25, 0.2, 0.25, 0.5})
		collisionWant = make([]float64, len(collisionCases))
		for i, c := range collisionCases {
			collisionWant[i] = bruteCollisionProb(c)
		}
	})
	return collisionCases, collisionWant
}

func runCollisionProb(t *testing.T, b backend.Backend, cases []collisionCase, form backend.CollisionForm) []float64 {
	t.Helper()
	n := len(cases)
	in := make([]float64, backend.CollisionProbRow*n)
	for i, c := range cases {
		for k, v := range []float64{c.dx, c.dy, c.sxx, c.sxy, c.syy, c.r} {
			in[k*n+i] = v
		}
	}
	op := backend.CollisionProb{N: n, In: uploadAs(t, b, backend.Float32, in), Out: alloc(t, b, backend.Float32, n), Form: form}
	if err := b.CollisionProb(context.Background(), op); err != nil {
		t.Fatal(err)
	}
	return downloadAs(t, b, backend.Float32, op.Out)
}

func testCollisionProbErrors(t *testing.T, b backend.Backend) {
	ok := backend.CollisionProb{N: 4, In: alloc(t, b, backend.Float32, 24), Out: alloc(t, b, backend.Float32, 4)}
	for _, c := range []struct {
		name string
		op   backend.CollisionProb
		want string
	}{
		{"no cases", backend.CollisionProb{In: ok.In, Out: ok.Out}, "0 cases"},
		{"short input", backend.CollisionProb{N: 4, In: alloc(t, b, backend.Float32, 20), Out: ok.Out}, "input must be 24 float32 values"},
		{"float64 output", backend.CollisionProb{N: 4, In: ok.In, Out: alloc(t, b, backend.Float64, 4)}, "output must be 4 float32 values"},
		{"unknown form", backend.CollisionProb{N: 4, In: ok.In, Out: ok.Out, Form: 7}, "unknown form"},
	} {
		err := b.CollisionProb(context.Background(), c.op)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// trajGeometry is the extents of a TrajScore problem: candidates, steps in segments,
// obstacles, guidance path points (2 to 4), map cells and footprint circles.
type trajGeometry struct {
	n, steps, segments, obstacles, pathPoints, mapW, mapH, circles int
}

// trajDefault is 64 candidates, 20 steps of 0.1 s in 4 jerk segments, 3 obstacles, a bent
// path, a 20 × 20 map and a two-circle footprint.
var trajDefault = trajGeometry{n: 64, steps: 20, segments: 4, obstacles: 3, pathPoints: 3, mapW: 20, mapH: 20, circles: 2}

// trajScoreCase is a small planning problem in TrajScore's arrays: trajDefault's geometry,
// with a lethal block and a band of cost on the map.
func trajScoreCase(rng *rand.Rand) (op backend.TrajScore, controls, tracks, path, costMap []float64) {
	return trajScoreCaseOf(rng, trajDefault)
}

func trajScoreCaseOf(rng *rand.Rand, g trajGeometry) (op backend.TrajScore, controls, tracks, path, costMap []float64) {
	op = backend.TrajScore{N: g.n, Steps: g.steps, Segments: g.segments, Obstacles: g.obstacles, PathPoints: g.pathPoints,
		MapWidth: g.mapW, MapHeight: g.mapH, Params: make([]float32, backend.TrajParamCount)}
	p := op.Params
	for i, v := range map[int]float64{
		backend.TrajParamSteps: float64(g.steps), backend.TrajParamSegments: float64(g.segments), backend.TrajParamDt: 0.1,
		backend.TrajParamVMin: -0.2, backend.TrajParamVMax: 1, backend.TrajParamOmegaMax: 1.5, backend.TrajParamAccelMax: 1,
		backend.TrajParamAlphaMax: 3, backend.TrajParamJerkMax: 4, backend.TrajParamAngularJerkMax: 12,
		backend.TrajParamV0: 0.5, backend.TrajParamOmega0: 0.2, backend.TrajParamObstacles: float64(g.obstacles),
		backend.TrajParamFast: 1, backend.TrajParamPathPoints: float64(g.pathPoints), backend.TrajParamGoalX: 3,
		backend.TrajParamGoalY: 1, backend.TrajParamMapWidth: float64(g.mapW), backend.TrajParamMapHeight: float64(g.mapH),
		backend.TrajParamMapX0: -0.5, backend.TrajParamMapY0: -1, backend.TrajParamMapResolution: 2 / float64(max(g.mapW, 1)),
		backend.TrajParamWeightProgress: 1, backend.TrajParamWeightPath: 0.5, backend.TrajParamWeightSmooth: 0.01,
		backend.TrajParamWeightGoal: 1, backend.TrajParamWeightHeading: 0.2, backend.TrajParamWeightForward: 0.5,
		backend.TrajParamWeightMap: 1, backend.TrajParamWeightCollision: 5, backend.TrajParamCircles: float64(g.circles),
		backend.TrajParamCautionSpeed: 0.4, backend.TrajParamCautionDistance: 0.5, backend.TrajParamWeightCaution: 10,
	} {
		p[i] = float32(v)
	}
	// Circles spread along the heading from −0.15 to 0.15 m, 0.25 m in radius.
	for c := range g.circles {
		offset := 0.0
		if g.circles > 1 {
			offset = -0.15 + 0.3*float64(c)/float64(g.circles-1)
		}
		p[backend.TrajParamCircle0+2*c], p[backend.TrajParamCircle0+2*c+1] = float32(offset), 0.25
	}
	for range 2 * op.Segments * op.N {
		controls = append(controls, 2*rng.Float64()-1)
	}
	for range op.Obstacles * op.Steps {
		c := randomCollisionCase(rng, 0.2)
		tracks = append(tracks, 1+c.dx, c.dy, c.sxx, c.sxy, c.syy, 0.2)
	}
	bends := [][2]float64{{-0.5, 0}, {1, 0.3}, {2, 0.5}, {3, 1}}
	for _, pt := range append(bends[:g.pathPoints-1:g.pathPoints-1], bends[3]) {
		path = append(path, pt[0], pt[1])
	}
	// A lethal block over x ∈ [0.7, 0.85)·width, y ∈ [0.1, 0.3)·height, and cost 0.4 above
	// 0.75·height.
	costMap = make([]float64, g.mapW*g.mapH)
	for y := range g.mapH {
		for x := range g.mapW {
			switch {
			case 20*x >= 14*g.mapW && 20*x < 17*g.mapW && 10*y >= g.mapH && 10*y < 3*g.mapH:
				costMap[y*g.mapW+x] = 1
			case 4*y > 3*g.mapH:
				costMap[y*g.mapW+x] = 0.4
			}
		}
	}
	return op, controls, tracks, path, costMap
}

// testTrajScore holds the backend, with the accurate collision form, to the float64
// reference (trajref.go): every weighted term and the total within 2e-3·max(1, |value|),
// the final state within 1e-3, feasibility exactly. The fast form, an approximation with
// its own bounds (testCollisionProb), is held to the generic CPU loop to float32 rounding,
// so that every variant and device computes the same approximation.
func testTrajScore(t *testing.T, b backend.Backend) {
	infeasible := referenceTrajScore(t, b)
	if infeasible == 0 || infeasible == trajDefault.n {
		t.Errorf("%d of %d candidates infeasible: the case should have both", infeasible, trajDefault.n)
	}
	if isGenericOnGoHeap(b) {
		return // against itself the fast-form comparison could not fail
	}
	compareTrajScore(t, b, rand.New(rand.NewPCG(11, 11)), trajDefault)
}

var (
	trajRefOnce  sync.Once
	trajRefCase  trajCase
	trajRefWants []trajRef
)

// referenceTrajScore scores trajDefault's case with the accurate form on b and compares it
// with the reference; it returns how many candidates the reference finds infeasible.
func referenceTrajScore(t *testing.T, b backend.Backend) (infeasible int) {
	trajRefOnce.Do(func() {
		op, controls, tracks, path, costMap := trajScoreCaseOf(rand.New(rand.NewPCG(11, 11)), trajDefault)
		op.Params[backend.TrajParamFast] = 0
		trajRefCase = trajCase{op, controls, tracks, path, costMap}
		for c := range op.N {
			trajRefWants = append(trajRefWants, trajRefCase.reference(c))
		}
	})
	tc := trajRefCase
	op := tc.op
	op.Controls, op.Tracks = uploadAs(t, b, backend.Float32, tc.controls), uploadAs(t, b, backend.Float32, tc.tracks)
	op.Path, op.Map = uploadAs(t, b, backend.Float32, tc.path), uploadAs(t, b, backend.Float32, tc.costMap)
	op.Total, op.Feasible = alloc(t, b, backend.Float32, op.N), alloc(t, b, backend.Int32, op.N)
	op.Terms = alloc(t, b, backend.Float32, backend.TrajTerms*op.N)
	op.States = alloc(t, b, backend.Float32, op.N*op.Steps*backend.TrajStateValues)
	if err := b.TrajScore(context.Background(), op); err != nil {
		t.Fatal(err)
	}
	total, terms := downloadAs(t, b, backend.Float32, op.Total), downloadAs(t, b, backend.Float32, op.Terms)
	states, feasible := downloadAs(t, b, backend.Float32, op.States), download[int32](t, b, op.Feasible)
	close := func(got, want, tol float64) bool { return math.Abs(got-want) <= tol*max(1, math.Abs(want)) }
	ambiguous, cautious := 0, 0
	for c, want := range trajRefWants {
		if !want.feasible {
			infeasible++
		}
		if want.terms[backend.TrajTermCaution] > 0 {
			cautious++
		}
		if want.ambiguous {
			ambiguous++
		}
		for term, w := range want.terms {
			if (term == backend.TrajTermMap || term == backend.TrajTermCaution) && want.ambiguous {
				continue
			}
			if g := terms[term*op.N+c]; !close(g, w, 2e-3) {
				t.Errorf("candidate %d: term %d = %.6g, the float64 reference %.6g", c, term, g, w)
			}
		}
		if !want.ambiguous && (feasible[c] != 0) != want.feasible {
			t.Errorf("candidate %d: feasible %d, the float64 reference %v", c, feasible[c], want.feasible)
		}
		if !want.ambiguous && !close(total[c], want.total, 2e-3) {
			t.Errorf("candidate %d: total %.6g, the float64 reference %.6g", c, total[c], want.total)
		}
		last := states[(c*op.Steps+op.Steps-1)*backend.TrajStateValues:]
		for i, w := range want.final {
			if !close(last[i], w, 1e-3) {
				t.Errorf("candidate %d: final state value %d = %.6g, the float64 reference %.6g", c, i, last[i], w)
			}
		}
	}
	if cautious == 0 {
		t.Errorf("no candidate of %d passes an obstacle fast: the caution term goes unchecked", op.N)
	}
	if ambiguous > op.N/8 {
		t.Errorf("%d of %d candidates pass within 1e-4 m of an edge between map costs: too few are checked", ambiguous, op.N)
	}
	return infeasible
}

// isGenericOnGoHeap reports whether b is the generic CPU loop with its buffers on Go's heap:
// the backend compareTrajScore takes as its reference.
func isGenericOnGoHeap(b backend.Backend) bool {
	c, ok := b.(*cpu.Backend)
	return ok && c.Variant() == cpu.Generic && c.Memory() == cpu.MemoryGo
}

// compareTrajScore scores one problem of geometry g on b and on the generic CPU loop (on
// Go's heap) and compares them; it returns the number of infeasible candidates.
func compareTrajScore(t *testing.T, b backend.Backend, rng *rand.Rand, g trajGeometry) (infeasible int) {
	shape, controls, tracks, path, costMap := trajScoreCaseOf(rng, g)
	run := func(be backend.Backend) (total, terms, states []float64, feasible []int32) {
		op := shape
		op.Controls, op.Tracks = uploadAs(t, be, backend.Float32, controls), uploadAs(t, be, backend.Float32, tracks)
		op.Path, op.Map = uploadAs(t, be, backend.Float32, path), uploadAs(t, be, backend.Float32, costMap)
		op.Total, op.Feasible = alloc(t, be, backend.Float32, op.N), alloc(t, be, backend.Int32, op.N)
		op.Terms = alloc(t, be, backend.Float32, backend.TrajTerms*op.N)
		op.States = alloc(t, be, backend.Float32, op.N*op.Steps*backend.TrajStateValues)
		if err := be.TrajScore(context.Background(), op); err != nil {
			t.Fatal(err)
		}
		return downloadAs(t, be, backend.Float32, op.Total), downloadAs(t, be, backend.Float32, op.Terms),
			downloadAs(t, be, backend.Float32, op.States), download[int32](t, be, op.Feasible)
	}
	generic := cpu.Generic
	ref, err := cpu.New(cpu.Options{Variant: &generic})
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	wantTotal, wantTerms, wantStates, wantFeasible := run(ref)
	total, terms, states, feasible := run(b)
	for c := range shape.N {
		if feasible[c] != wantFeasible[c] {
			t.Errorf("%+v: candidate %d: feasible %d, the generic loop %d", g, c, feasible[c], wantFeasible[c])
		}
		infeasible += int(1 - wantFeasible[c])
	}
	for _, cmp := range []struct {
		name      string
		got, want []float64
	}{{"total", total, wantTotal}, {"terms", terms, wantTerms}, {"states", states, wantStates}} {
		for i := range cmp.want {
			if d := math.Abs(cmp.got[i] - cmp.want[i]); d > 1e-4*max(1, math.Abs(cmp.want[i])) || math.IsNaN(cmp.got[i]) != math.IsNaN(cmp.want[i]) {
				t.Errorf("%+v: %s[%d] = %.7g, the generic loop %.7g", g, cmp.name, i, cmp.got[i], cmp.want[i])
				break
			}
		}
	}
	return infeasible
}

func testTrajScoreErrors(t *testing.T, b backend.Backend) {
	shape, _, _, _, _ := trajScoreCase(rand.New(rand.NewPCG(1, 1)))
	ok := shape
	ok.Controls, ok.Tracks = alloc(t, b, backend.Float32, 2*4*64), alloc(t, b, backend.Float32, 3*20*6)
	ok.Path, ok.Map = alloc(t, b, backend.Float32, 6), alloc(t, b, backend.Float32, 400)
	ok.Total, ok.Feasible = alloc(t, b, backend.Float32, 64), alloc(t, b, backend.Int32, 64)
	mutate := func(f func(*backend.TrajScore)) backend.TrajScore {
		c := ok
		c.Params = append([]float32(nil), ok.Params...)
		f(&c)
		return c
	}
	for _, c := range []struct {
		name string
		op   backend.TrajScore
		want string
	}{
		{"steps disagree", mutate(func(s *backend.TrajScore) { s.Params[backend.TrajParamSteps] = 30 }), "the parameters say 30 steps, the call 20"},
		{"short controls", mutate(func(s *backend.TrajScore) { s.Controls = alloc(t, b, backend.Float32, 100) }), "controls must be 512 float32 values"},
		{"float feasible", mutate(func(s *backend.TrajScore) { s.Feasible = alloc(t, b, backend.Float32, 64) }), "feasible must be 64 int32 values"},
		{"one-point path", mutate(func(s *backend.TrajScore) { s.PathPoints = 1 }), "a path of 1 points"},
		{"no circles", mutate(func(s *backend.TrajScore) { s.Params[backend.TrajParamCircles] = 0 }), "0 footprint circles"},
		{"ragged span", mutate(func(s *backend.TrajScore) { s.First, s.Count = 8, 16 }), "candidates from 8, 16 of them, of 64"},
		{"span past the end", mutate(func(s *backend.TrajScore) { s.First, s.Count = 48, 32 }), "candidates from 48, 32 of them, of 64"},
	} {
		err := b.TrajScore(context.Background(), c.op)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// testTrajScoreSpan scores a span of the candidates: the same values as a whole call for
// those, and nothing written elsewhere.
func testTrajScoreSpan(t *testing.T, b backend.Backend) {
	shape, controls, tracks, path, costMap := trajScoreCase(rand.New(rand.NewPCG(12, 12)))
	run := func(first, count int) (total []float64, feasible []int32) {
		op := shape
		op.First, op.Count = first, count
		op.Controls, op.Tracks = uploadAs(t, b, backend.Float32, controls), uploadAs(t, b, backend.Float32, tracks)
		op.Path, op.Map = uploadAs(t, b, backend.Float32, path), uploadAs(t, b, backend.Float32, costMap)
		sentinel := make([]float64, op.N)
		for i := range sentinel {
			sentinel[i] = -7
		}
		op.Total, op.Feasible = uploadAs(t, b, backend.Float32, sentinel), upload(t, b, make([]int32, op.N))
		if err := b.TrajScore(context.Background(), op); err != nil {
			t.Fatal(err)
		}
		return downloadAs(t, b, backend.Float32, op.Total), download[int32](t, b, op.Feasible)
	}
	wantTotal, wantFeasible := run(0, 0)
	total, feasible := run(32, 32)
	for c := range shape.N {
		in := c >= 32
		switch {
		case in && (total[c] != wantTotal[c] || feasible[c] != wantFeasible[c]):
			t.Errorf("candidate %d: total %v feasible %d, the whole call %v %d", c, total[c], feasible[c], wantTotal[c], wantFeasible[c])
		case !in && (total[c] != -7 || feasible[c] != 0):
			t.Errorf("candidate %d outside the span written: total %v feasible %d", c, total[c], feasible[c])
		}
	}
}

// trajExtremes are the fixed manoeuvres as (linear, angular) jerk fractions, in the order
// backend.TrajSample documents them.
var trajExtremes = [backend.TrajExtremes][2]float64{{-1, 0}, {0, 0}, {1, 0}, {0, 1}, {0, -1}, {-1, 1}, {-1, -1}}

// trajSampleCall is one TrajSample call into a shared array.
type trajSampleCall struct{ first, count, extremes, warm int }

// testTrajSample checks two calls into one array against the documented rule: the extremes,
// then center + scale·point per group, clamped, points reused modulo their rows, and the
// candidates outside each span left alone.
func testTrajSample(t *testing.T, b backend.Backend) {
	runTrajSample(t, b, rand.New(rand.NewPCG(13, 13)), 96, 3, 11, []trajSampleCall{{0, 40, backend.TrajExtremes, 12}, {48, 30, 0, 0}})
}

func runTrajSample(t *testing.T, b backend.Backend, rng *rand.Rand, n, segs, rows int, calls []trajSampleCall) {
	dims := 2 * segs
	points := make([]float64, rows*dims)
	for i := range points {
		points[i] = 2*rng.Float64() - 1
	}
	controlsHost := make([]float64, dims*n)
	for i := range controlsHost {
		controlsHost[i] = 9
	}
	pts, controls := uploadAs(t, b, backend.Float32, points), uploadAs(t, b, backend.Float32, controlsHost)
	want := append([]float64(nil), controlsHost...)
	for ci, c := range calls {
		groups := make([]float64, 4*dims)
		for i := range groups {
			groups[i] = 1.5*rng.Float64() - 0.75 // centres and scales, some of them clamping
		}
		g32 := make([]float32, len(groups))
		for i, v := range groups {
			g32[i] = float32(v)
			groups[i] = float64(g32[i])
		}
		op := backend.TrajSample{N: n, First: c.first, Count: c.count, Segments: segs, Extremes: c.extremes, Warm: c.warm,
			Groups: g32, Points: pts, Controls: controls}
		if err := b.TrajSample(context.Background(), op); err != nil {
			t.Fatalf("call %d: %v", ci, err)
		}
		for i := range c.count {
			for d := range dims {
				var u float64
				if i < c.extremes {
					u = trajExtremes[i][d/segs]
				} else {
					j := i - c.extremes
					g := groups[2*dims:]
					if j < c.warm {
						g = groups
					}
					u = max(-1, min(1, g[d]+g[dims+d]*float64(float32(points[(j%rows)*dims+d]))))
				}
				want[d*n+c.first+i] = u
			}
		}
	}
	got := downloadAs(t, b, backend.Float32, controls)
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-6 {
			t.Fatalf("%d candidates, %d segments, %d rows, calls %v: control %d of candidate %d = %v, want %v",
				n, segs, rows, calls, i/n, i%n, got[i], want[i])
		}
	}
}

// testTrajSelect holds the selection to sorting every candidate by (feasible, total, index),
// with many ties and infeasible candidates, over counts that span several of the CUDA
// tiles, and checks the gathered controls with their padding.
func testTrajSelect(t *testing.T, b backend.Backend) {
	rng := rand.New(rand.NewPCG(14, 14))
	for _, c := range []struct{ n, count int }{{64, 50}, {4096, 4096}, {20000, 19999}} {
		runTrajSelect(t, b, rng, c.n, c.count, 2, []int{1, 8, 100, backend.TrajSelectMax})
	}
}

// runTrajSelect selects each k of ks (those up to count) from count of n candidates with
// many ties and infeasible ones, against a sort of every candidate.
func runTrajSelect(t *testing.T, b backend.Backend, rng *rand.Rand, n, count, segs int, ks []int) {
	dims := 2 * segs
	total, feasible := make([]float64, n), make([]int32, n)
	for i := range total {
		total[i] = float64(rng.IntN(40)) - 2 // many ties, zeros among the best
		if rng.IntN(5) > 0 {
			feasible[i] = 1
		}
	}
	if n > 3 {
		total[1], total[3], feasible[1], feasible[3] = 0, math.Copysign(0, -1), 1, 1 // −0 ties with +0
	}
	controls := make([]float64, dims*n)
	for i := range controls {
		controls[i] = float64(i)
	}
	order := make([]int, count)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if feasible[a] != feasible[b] {
			return int(feasible[b] - feasible[a])
		}
		if total[a] != total[b] {
			return cmp.Compare(total[a], total[b])
		}
		return a - b
	})
	tb, fb, cb := uploadAs(t, b, backend.Float32, total), upload(t, b, feasible), uploadAs(t, b, backend.Float32, controls)
	for _, k := range ks {
		if k > count {
			continue
		}
		stride := k + 5
		op := backend.TrajSelect{N: n, Count: count, K: k, Segments: segs, Total: tb, Feasible: fb, Controls: cb,
			Index: alloc(t, b, backend.Int32, k), Selected: alloc(t, b, backend.Float32, dims*stride)}
		if err := b.TrajSelect(context.Background(), op); err != nil {
			t.Fatal(err)
		}
		index := download[int32](t, b, op.Index)
		for i := range k {
			if int(index[i]) != order[i] {
				t.Fatalf("%d of %d, k %d: index[%d] = %d, want %d", count, n, k, i, index[i], order[i])
			}
		}
		selected := downloadAs(t, b, backend.Float32, op.Selected)
		for d := range dims {
			for i := range stride {
				if want := controls[d*n+order[min(i, k-1)]]; selected[d*stride+i] != want {
					t.Fatalf("%d of %d, k %d: selected[%d][%d] = %v, want %v", count, n, k, d, i, selected[d*stride+i], want)
				}
			}
		}
	}
}

func testTrajSelectErrors(t *testing.T, b backend.Backend) {
	ok := backend.TrajSelect{N: 64, Count: 64, K: 8, Segments: 2, Total: alloc(t, b, backend.Float32, 64),
		Feasible: alloc(t, b, backend.Int32, 64), Controls: alloc(t, b, backend.Float32, 256), Index: alloc(t, b, backend.Int32, 8),
		Selected: alloc(t, b, backend.Float32, 32)}
	mutate := func(f func(*backend.TrajSelect)) backend.TrajSelect { c := ok; f(&c); return c }
	for _, c := range []struct {
		name string
		op   backend.TrajSelect
		want string
	}{
		{"k above count", mutate(func(s *backend.TrajSelect) { s.Count, s.K = 4, 8 }), "the best 8 of 4 candidates"},
		{"k above the maximum", mutate(func(s *backend.TrajSelect) { s.K = 2000 }), "the best 2000 of 64"},
		{"short index", mutate(func(s *backend.TrajSelect) { s.Index = alloc(t, b, backend.Int32, 4) }), "index must be 8 int32 values"},
		{"short selection", mutate(func(s *backend.TrajSelect) { s.Selected = alloc(t, b, backend.Float32, 12) }), "S ≥ 8, not 12"},
		{"float feasible", mutate(func(s *backend.TrajSelect) { s.Feasible = alloc(t, b, backend.Float32, 64) }), "feasible must be 64 int32"},
	} {
		err := b.TrajSelect(context.Background(), c.op)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want one containing %q", c.name, err, c.want)
		}
	}
	sample := backend.TrajSample{N: 64, Count: 64, Segments: 2, Extremes: 9, Groups: make([]float32, 16),
		Points: alloc(t, b, backend.Float32, 40), Controls: alloc(t, b, backend.Float32, 256)}
	if err := b.TrajSample(context.Background(), sample); err == nil || !strings.Contains(err.Error(), "9 extremes") {
		t.Errorf("9 extremes: err %v", err)
	}
	sample.Extremes, sample.Groups[5] = 0, float32(math.NaN())
	if err := b.TrajSample(context.Background(), sample); err == nil || !strings.Contains(err.Error(), "group value 5 is NaN") {
		t.Errorf("a NaN centre: err %v", err)
	}
}
