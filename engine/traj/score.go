package traj

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/fluxcore/fluxcore/engine/backend"
)

// padCandidates rounds a candidate count up to whole blocks of TrajScore.
func padCandidates(n int) int {
	const m = backend.TrajLaneMultiple
	return (n + m - 1) / m * m
}

// placed is a scenario's inputs on a backend, shared by every TrajScore call of a cycle.
type placed struct {
	b     backend.Backend
	op    backend.TrajScore // extents, parameters and the placed inputs; no candidates yet
	start Point
	dtS   float64
}

// place copies in's arrays to b.
func place(ctx context.Context, b backend.Backend, s *Scenario, in *scoreInputs) (*placed, error) {
	st := s.Robot.State
	p := &placed{b: b, dtS: s.Horizon.DtS,
		start: Point{XM: st.XM, YM: st.YM, ThetaRad: st.ThetaRad, VMps: st.VMps, OmegaRadps: st.OmegaRadps, AccelMps2: st.AccelMps2,
			AlphaRadps2: st.AlphaRadps2}}
	p.op = backend.TrajScore{
		Steps: s.Horizon.Steps(), Segments: int(in.params[backend.TrajParamSegments]), Obstacles: len(s.Obstacles),
		PathPoints: len(in.path) / 2, Params: in.params,
	}
	if s.Map != nil {
		p.op.MapWidth, p.op.MapHeight = s.Map.Width, s.Map.Height
	}
	for _, a := range []struct {
		dst  *backend.Buffer
		host []float32
	}{{&p.op.Tracks, in.tracks}, {&p.op.Path, in.path}, {&p.op.Map, in.costMap}} {
		if a.host == nil {
			continue
		}
		buf, err := backend.FromHost(ctx, b, a.host)
		if err != nil {
			p.free()
			return nil, fmt.Errorf("traj: place the scenario on %s: %w", b.Name(), err)
		}
		*a.dst = buf
	}
	return p, nil
}

func (p *placed) free() { backend.FreeAll(p.b, p.op.Tracks, p.op.Path, p.op.Map) }

// candidates holds a batch's arrays on the backend: controls [2·Segments, n] and the
// scores, with terms and states for a detailed batch.
type candidates struct {
	n                                        int
	controls, total, feasible, terms, states backend.Buffer
}

// alloc makes the score arrays of a batch of n (a multiple of TrajLaneMultiple); controls
// stay for the caller to set.
func (p *placed) alloc(n int, detail bool) (*candidates, error) {
	c := &candidates{n: n}
	var err error
	get := func(dt backend.DType, count int) backend.Buffer {
		if err != nil {
			return nil
		}
		var buf backend.Buffer
		if buf, err = p.b.Alloc(dt, count); err != nil {
			return nil
		}
		return buf
	}
	c.total, c.feasible = get(backend.Float32, n), get(backend.Int32, n)
	if detail {
		c.terms, c.states = get(backend.Float32, backend.TrajTerms*n), get(backend.Float32, n*p.op.Steps*backend.TrajStateValues)
	}
	if err != nil {
		c.free(p.b)
		return nil, fmt.Errorf("traj: %d candidates on %s: %w", n, p.b.Name(), err)
	}
	return c, nil
}

func (c *candidates) free(b backend.Backend) {
	backend.FreeAll(b, c.controls, c.total, c.feasible, c.terms, c.states)
}

// score rolls out and scores candidates [first, first+count) of c (count 0: to the end).
func (p *placed) score(ctx context.Context, c *candidates, first, count int) error {
	op := p.op
	op.N, op.First, op.Count = c.n, first, count
	op.Controls, op.Total, op.Feasible, op.Terms, op.States = c.controls, c.total, c.feasible, c.terms, c.states
	return p.b.TrajScore(ctx, op)
}

// scored is a detailed batch brought back to the host, padded to stride candidates.
type scored struct {
	stride, steps int
	total         []float32
	feasible      []int32
	terms, states []float32
	dt            float64
	start         Point
}

// fetch downloads c's scores, and its terms and states when it has them.
func (p *placed) fetch(ctx context.Context, c *candidates) (*scored, error) {
	r := &scored{stride: c.n, steps: p.op.Steps, dt: p.dtS, start: p.start, total: make([]float32, c.n),
		feasible: make([]int32, c.n)}
	err := backend.Download(ctx, p.b, r.total, c.total)
	if err == nil {
		err = backend.Download(ctx, p.b, r.feasible, c.feasible)
	}
	if err == nil && c.terms != nil {
		r.terms = make([]float32, c.terms.Len())
		err = backend.Download(ctx, p.b, r.terms, c.terms)
	}
	if err == nil && c.states != nil {
		r.states = make([]float32, c.states.Len())
		err = backend.Download(ctx, p.b, r.states, c.states)
	}
	if err != nil {
		return nil, fmt.Errorf("traj: scores from %s: %w", p.b.Name(), err)
	}
	return r, nil
}

// score rolls out and scores n candidates whose controls are on the host, [2·segments, n],
// with their terms and states: one call from placing the scenario to bringing the scores
// back, for the odd batch (a plot's candidates, tests) rather than a planning cycle.
func score(ctx context.Context, b backend.Backend, s *Scenario, in *scoreInputs, controls []float32, n int) (*scored, error) {
	p, err := place(ctx, b, s, in)
	if err != nil {
		return nil, err
	}
	defer p.free()
	stride := padCandidates(n)
	c, err := p.alloc(stride, true)
	if err != nil {
		return nil, err
	}
	defer c.free(b)
	padded := make([]float32, 2*p.op.Segments*stride)
	for d := range 2 * p.op.Segments {
		row := padded[d*stride : (d+1)*stride]
		copy(row, controls[d*n:(d+1)*n])
		for i := n; i < stride; i++ {
			row[i] = row[n-1] // padding candidates repeat the last one, and are ignored
		}
	}
	if c.controls, err = backend.FromHost(ctx, b, padded); err != nil {
		return nil, fmt.Errorf("traj: place the candidates on %s: %w", b.Name(), err)
	}
	if err := p.score(ctx, c, 0, 0); err != nil {
		return nil, err
	}
	return p.fetch(ctx, c)
}

// costs are candidate c's total and terms.
func (r *scored) costs(c int) Costs {
	t := func(k int) float64 { return float64(r.terms[k*r.stride+c]) }
	return Costs{
		Total: float64(r.total[c]), Progress: t(backend.TrajTermProgress), PathDistance: t(backend.TrajTermPath),
		Smoothness: t(backend.TrajTermSmooth), Goal: t(backend.TrajTermGoal), Heading: t(backend.TrajTermHeading),
		Forward: t(backend.TrajTermForward), Map: t(backend.TrajTermMap), Collision: t(backend.TrajTermCollision),
		Caution:       t(backend.TrajTermCaution),
		CollisionProb: t(backend.TrajTermProbability), Feasible: r.feasible[c] != 0,
	}
}

// trajectory is candidate c's time series from the start.
func (r *scored) trajectory(c int) []Point {
	out := []Point{r.start}
	for k := range r.steps {
		v := r.states[(c*r.steps+k)*backend.TrajStateValues:]
		out = append(out, Point{TS: float64(k+1) * r.dt, XM: float64(v[0]), YM: float64(v[1]), ThetaRad: float64(v[2]),
			VMps: float64(v[3]), OmegaRadps: float64(v[4]), AccelMps2: float64(v[5]), AlphaRadps2: float64(v[6])})
	}
	return out
}

// scoreInputs are a scenario's arrays in the kernel's layouts.
type scoreInputs struct {
	params                []float32
	tracks, path, costMap []float32
}

// newScoreInputs lays s out for the kernels; hold rolls out the stop (ModeHold) instead of
// the candidates' controls. maps, when not nil, keeps the inflated map between calls.
func newScoreInputs(s *Scenario, segments int, form backend.CollisionForm, hold bool, maps *inflationCache) (*scoreInputs, error) {
	steps, dt := s.Horizon.Steps(), s.Horizon.DtS
	l, st, w, cu := s.Robot.Limits, s.Robot.State, s.weights(), s.caution()
	in := &scoreInputs{params: make([]float32, backend.TrajParamCount)}
	p := in.params
	set := func(i int, v float64) { p[i] = float32(v) }
	set(backend.TrajParamSteps, float64(steps))
	set(backend.TrajParamSegments, float64(segments))
	set(backend.TrajParamDt, dt)
	vMin, vMax, wMax := l.VMinMps, l.VMaxMps, l.OmegaMaxRadps
	if l.WheelSpeedMaxMps > 0 {
		// The wheel limit |v| + |ω|·b/2 ≤ v_wheel, kept by splitting it between the axes in
		// proportion to their own limits (coupling them per step would break the jerk
		// limits' guarantee); the start state must lie within the split.
		half := l.TrackWidthM / 2
		if scale := l.WheelSpeedMaxMps / (max(vMax, -vMin) + wMax*half); scale < 1 {
			vMin, vMax, wMax = vMin*scale, vMax*scale, wMax*scale
		}
		if st.VMps < vMin || st.VMps > vMax || math.Abs(st.OmegaRadps) > wMax {
			return nil, fmt.Errorf("traj: the start (v %v, ω %v) is outside the wheel-limited box v ∈ [%.3g, %.3g], |ω| ≤ %.3g",
				st.VMps, st.OmegaRadps, vMin, vMax, wMax)
		}
	}
	// The kernels roll out in float32, and float32(0.6) is 0.6000000238: the limits go in
	// rounded toward zero, so that every rolled-out state keeps the scenario's limits
	// exactly, and the start is clamped into them (it may sit on a limit the rounding moved).
	limitsF32 := []struct {
		at int
		v  float64
	}{{backend.TrajParamVMin, vMin}, {backend.TrajParamVMax, vMax}, {backend.TrajParamOmegaMax, wMax},
		{backend.TrajParamAccelMax, l.AccelMaxMps2}, {backend.TrajParamAlphaMax, l.AlphaMaxRadps2},
		{backend.TrajParamJerkMax, l.JerkMaxMps3}, {backend.TrajParamAngularJerkMax, l.AngularJerkMaxRadps3}}
	for _, lim := range limitsF32 {
		p[lim.at] = towardZero32(lim.v)
	}
	for i, v := range []float64{st.XM, st.YM, st.ThetaRad, st.VMps, st.OmegaRadps, st.AccelMps2, st.AlphaRadps2} {
		set(backend.TrajParamX0+i, v)
	}
	clamp32(&p[backend.TrajParamV0], p[backend.TrajParamVMin], p[backend.TrajParamVMax])
	clamp32(&p[backend.TrajParamOmega0], -p[backend.TrajParamOmegaMax], p[backend.TrajParamOmegaMax])
	clamp32(&p[backend.TrajParamAccel0], -p[backend.TrajParamAccelMax], p[backend.TrajParamAccelMax])
	clamp32(&p[backend.TrajParamAlpha0], -p[backend.TrajParamAlphaMax], p[backend.TrajParamAlphaMax])
	set(backend.TrajParamObstacles, float64(len(s.Obstacles)))
	if form == backend.CollisionFast {
		set(backend.TrajParamFast, 1)
	}
	if hold {
		set(backend.TrajParamHold, 1)
	}
	set(backend.TrajParamGoalX, s.Guidance.Goal.XM)
	set(backend.TrajParamGoalY, s.Guidance.Goal.YM)
	set(backend.TrajParamGoalTheta, s.Guidance.Goal.ThetaRad)
	for i, v := range []float64{w.Progress, w.PathDist, w.Smoothness, w.Goal, w.Heading, w.Forward, w.Map, w.Collision} {
		set(backend.TrajParamWeightProgress+i, v)
	}
	set(backend.TrajParamCautionSpeed, cu.SpeedMps)
	set(backend.TrajParamCautionDistance, cu.DistanceM)
	set(backend.TrajParamWeightCaution, w.Caution)
	offsets, radii := s.Robot.Footprint.Circles()
	set(backend.TrajParamCircles, float64(len(offsets)))
	for i := range offsets {
		set(backend.TrajParamCircle0+2*i, offsets[i])
		set(backend.TrajParamCircle0+2*i+1, radii[i])
	}
	reach := max(l.VMaxMps, -l.VMinMps)*s.Horizon.DurationS + slices.Max(radii) + 2
	for _, pt := range localPath(s.Guidance.Path, [2]float64{st.XM, st.YM}, reach) {
		in.path = append(in.path, float32(pt[0]), float32(pt[1]))
	}
	set(backend.TrajParamPathPoints, float64(len(in.path)/2))
	var robotCov Cov2
	if s.Robot.PositionCovarianceM2 != nil {
		robotCov = *s.Robot.PositionCovarianceM2
	}
	for _, o := range s.Obstacles {
		for k := range steps {
			mean, cov := o.At(float64(k+1)*dt, dt)
			in.tracks = append(in.tracks, float32(mean[0]), float32(mean[1]), float32(cov[0][0]+robotCov[0][0]),
				float32(cov[0][1]+robotCov[0][1]), float32(cov[1][1]+robotCov[1][1]), float32(o.RadiusM))
		}
	}
	if m := s.Map; m != nil {
		set(backend.TrajParamMapWidth, float64(m.Width))
		set(backend.TrajParamMapHeight, float64(m.Height))
		set(backend.TrajParamMapX0, m.OriginM[0])
		set(backend.TrajParamMapY0, m.OriginM[1])
		set(backend.TrajParamMapResolution, m.ResolutionM)
		in.costMap = maps.inflated(m, slices.Max(radii))
	}
	return in, nil
}

// At is the obstacle's predicted mean and covariance at time tS from now, for a rollout in
// steps of dtS: a constant-velocity model at tS exactly; a track at its point for step
// tS/dtS (its first point is at dtS; earlier times take it, later ones its last).
func (o *Obstacle) At(tS, dtS float64) ([2]float64, Cov2) {
	if cv := o.ConstantVelocity; cv == nil {
		k := min(len(o.Track), max(1, int(math.Round(tS/dtS)))) - 1
		return o.Track[k].MeanM, o.Track[k].CovarianceM2
	}
	cv := o.ConstantVelocity
	var cov Cov2
	for i := range 2 {
		for j := range 2 {
			cov[i][j] = cv.CovarianceM2[i][j] + tS*cv.GrowthM2ps[i][j]
		}
	}
	return [2]float64{cv.PositionM[0] + tS*cv.VelocityMps[0], cv.PositionM[1] + tS*cv.VelocityMps[1]}, cov
}

// inflationCache keeps the last map inflated: a robot's map changes far less often than it
// plans, and inflating the 120 × 120 cells of the benchmark's map took 0.3 ms, twice a
// cycle. The source's cells are kept and compared whole, so a map edited in place is seen.
type inflationCache struct {
	width, height int
	resolutionM   float64
	radiusM       float64
	cost          []float64
	out           []float32 // shared with every caller, which only read it
}

// inflated is m.inflated(radiusM), from the cache when m's cells and radiusM are the last
// call's; a nil cache always inflates.
func (c *inflationCache) inflated(m *CostMap, radiusM float64) []float32 {
	if c == nil {
		return m.inflated(radiusM)
	}
	if c.out == nil || c.width != m.Width || c.height != m.Height || c.resolutionM != m.ResolutionM ||
		c.radiusM != radiusM || !slices.Equal(c.cost, m.Cost) {
		c.width, c.height, c.resolutionM, c.radiusM = m.Width, m.Height, m.ResolutionM, radiusM
		c.cost = append(c.cost[:0], m.Cost...)
		c.out = m.inflated(radiusM)
	}
	return c.out
}

// inflated is the map with every cell within radius of a lethal one made lethal too: the
// kernel samples the map at the footprint circles' centres, so a lethal cell must stop a
// circle one radius early. The distance to the nearest lethal cell comes from an exact
// Euclidean distance transform (Felzenszwalb and Huttenlocher's, two passes of the lower
// envelope of parabolas), so the work is linear in the cells whatever the radius.
func (m *CostMap) inflated(radiusM float64) []float32 {
	out := make([]float32, len(m.Cost))
	anyLethal := false
	for i, v := range m.Cost {
		out[i] = float32(v)
		anyLethal = anyLethal || v >= 1
	}
	if !anyLethal {
		return out
	}
	d2 := lethalDistance2(m)
	for i, d := range d2 {
		if m.within(d, radiusM) {
			out[i] = 1
		}
	}
	return out
}

// within is whether cells d2 apart (the squared distance in cells) are within radiusM: the
// inflation's one criterion, which the safety layer shares so that the two agree on ties.
func (m *CostMap) within(d2 float64, radiusM float64) bool {
	return math.Sqrt(d2)*m.ResolutionM <= radiusM
}

// cell is the column and row of the cell holding (x, y), possibly outside the map.
func (m *CostMap) cell(x, y float64) (int, int) {
	return int(math.Floor((x - m.OriginM[0]) / m.ResolutionM)), int(math.Floor((y - m.OriginM[1]) / m.ResolutionM))
}

// farCells2 stands for "no lethal cell": larger than any squared distance on a map of
// MaxMapCells, small enough that sums of it stay exact enough to compare.
const farCells2 = 1e12

// lethalDistance2 is each cell's squared distance, in cells, to the nearest lethal cell.
func lethalDistance2(m *CostMap) []float64 {
	w, h := m.Width, m.Height
	d := make([]float64, w*h)
	for i, v := range m.Cost {
		if v < 1 {
			d[i] = farCells2
		}
	}
	n := max(w, h)
	f, out, v, z := make([]float64, n), make([]float64, n), make([]int, n), make([]float64, n+1)
	for y := range h { // along rows
		row := d[y*w : (y+1)*w]
		copy(f, row)
		distance1D(f[:w], out[:w], v, z)
		copy(row, out[:w])
	}
	for x := range w { // then along columns
		for y := range h {
			f[y] = d[y*w+x]
		}
		distance1D(f[:h], out[:h], v, z)
		for y := range h {
			d[y*w+x] = out[y]
		}
	}
	return d
}

// distance1D is out[q] = min over p of (q − p)² + f[p], from the lower envelope of the
// parabolas rooted at each p: v holds the envelope's parabolas, z the boundaries between them.
func distance1D(f, out []float64, v []int, z []float64) {
	k := 0
	v[0], z[0], z[1] = 0, math.Inf(-1), math.Inf(1)
	for q := 1; q < len(f); q++ {
		s := intersect(f, q, v[k])
		for s <= z[k] {
			k--
			s = intersect(f, q, v[k])
		}
		k++
		v[k], z[k], z[k+1] = q, s, math.Inf(1)
	}
	k = 0
	for q := range f {
		for z[k+1] < float64(q) {
			k++
		}
		dq := float64(q - v[k])
		out[q] = dq*dq + f[v[k]]
	}
}

// intersect is where the parabolas rooted at q and p meet.
func intersect(f []float64, q, p int) float64 {
	fq, fp := f[q]+float64(q*q), f[p]+float64(p*p)
	return (fq - fp) / float64(2*(q-p))
}

// maxLocalPathPoints bounds the guidance the kernel projects onto every step.
const maxLocalPathPoints = 64

// localPath is the part of the global path the horizon can reach: from the segment closest
// to the robot, back to that segment's start and on until reach metres of arc past the
// closest point, thinned to at most maxLocalPathPoints by keeping every k-th point (and the
// last). Arc length differences, all the cost reads, are unchanged by where it starts.
func localPath(path [][2]float64, robot [2]float64, reach float64) [][2]float64 {
	closest, best, along := 0, math.Inf(1), 0.0
	for i := 0; i+1 < len(path); i++ {
		a, b := path[i], path[i+1]
		dx, dy := b[0]-a[0], b[1]-a[1]
		t := math.Max(0, math.Min(1, ((robot[0]-a[0])*dx+(robot[1]-a[1])*dy)/(dx*dx+dy*dy)))
		if d := math.Hypot(a[0]+t*dx-robot[0], a[1]+t*dy-robot[1]); d < best {
			closest, best, along = i, d, t*math.Hypot(dx, dy)
		}
	}
	out := [][2]float64{path[closest]}
	arc := -along
	for i := closest + 1; i < len(path); i++ {
		out = append(out, path[i])
		if arc += math.Hypot(path[i][0]-path[i-1][0], path[i][1]-path[i-1][1]); arc > reach {
			break
		}
	}
	if len(out) <= maxLocalPathPoints {
		return out
	}
	k := (len(out) + maxLocalPathPoints - 2) / (maxLocalPathPoints - 1)
	thin := make([][2]float64, 0, maxLocalPathPoints)
	for i := 0; i < len(out)-1; i += k {
		thin = append(thin, out[i])
	}
	return append(thin, out[len(out)-1])
}

// towardZero32 is v in float32, rounded toward zero: never larger in magnitude.
func towardZero32(v float64) float32 {
	f := float32(v)
	if math.Abs(float64(f)) > math.Abs(v) {
		f = math.Nextafter32(f, 0)
	}
	return f
}

// clamp32 puts *v into [lo, hi].
func clamp32(v *float32, lo, hi float32) { *v = min(max(*v, lo), hi) }
