package traj

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/fluxcore/fluxcore/engine/backend"
)

// laneMultiple is the padding of the candidate arrays: the widest CPU block (AVX-512's 16
// floats), so that every block is full.
const laneMultiple = 16

// scored is what one TrajScore call returned, padded to stride candidates.
type scored struct {
	n, stride, steps int
	total            []float32
	feasible         []int32
	terms, states    []float32
	dt               float64
	start            Point
}

// score runs TrajScore on n candidates whose controls are [2·segments, n]; with detail it
// also returns their terms and states.
func score(ctx context.Context, b backend.Backend, s *Scenario, in *scoreInputs, controls []float32, n int,
	detail bool) (*scored, error) {
	segments := int(in.params[backend.TrajParamSegments])
	stride := (n + laneMultiple - 1) / laneMultiple * laneMultiple
	padded := make([]float32, 2*segments*stride)
	for d := range 2 * segments {
		row := padded[d*stride : (d+1)*stride]
		copy(row, controls[d*n:(d+1)*n])
		for c := n; c < stride; c++ {
			row[c] = row[n-1] // padding candidates repeat the last one, and are ignored
		}
	}
	var err error
	op := backend.TrajScore{
		N: stride, Steps: s.Horizon.Steps(), Segments: segments, Obstacles: len(s.Obstacles),
		PathPoints: len(in.path) / 2, Params: in.params,
	}
	if s.Map != nil {
		op.MapWidth, op.MapHeight = s.Map.Width, s.Map.Height
	}
	var bufs []backend.Buffer
	defer func() { backend.FreeAll(b, bufs...) }()
	place := func(dst *backend.Buffer, host []float32) {
		if err != nil || host == nil {
			return
		}
		if *dst, err = backend.FromHost(ctx, b, host); err == nil {
			bufs = append(bufs, *dst)
		}
	}
	alloc := func(dst *backend.Buffer, dt backend.DType, count int) {
		if err != nil {
			return
		}
		if *dst, err = b.Alloc(dt, count); err == nil {
			bufs = append(bufs, *dst)
		}
	}
	place(&op.Controls, padded)
	place(&op.Tracks, in.tracks)
	place(&op.Path, in.path)
	place(&op.Map, in.costMap)
	alloc(&op.Total, backend.Float32, stride)
	alloc(&op.Feasible, backend.Int32, stride)
	if detail {
		alloc(&op.Terms, backend.Float32, backend.TrajTerms*stride)
		alloc(&op.States, backend.Float32, stride*op.Steps*backend.TrajStateValues)
	}
	if err != nil {
		return nil, fmt.Errorf("traj: place the candidates on %s: %w", b.Name(), err)
	}
	if err := b.TrajScore(ctx, op); err != nil {
		return nil, err
	}
	st := s.Robot.State
	out := &scored{n: n, stride: stride, steps: op.Steps, dt: s.Horizon.DtS, total: make([]float32, stride),
		feasible: make([]int32, stride),
		start:    Point{XM: st.XM, YM: st.YM, ThetaRad: st.ThetaRad, VMps: st.VMps, OmegaRadps: st.OmegaRadps, AccelMps2: st.AccelMps2, AlphaRadps2: st.AlphaRadps2}}
	if err := backend.Download(ctx, b, out.total, op.Total); err != nil {
		return nil, err
	}
	if err := backend.Download(ctx, b, out.feasible, op.Feasible); err != nil {
		return nil, err
	}
	if detail {
		out.terms = make([]float32, op.Terms.Len())
		out.states = make([]float32, op.States.Len())
		if err := backend.Download(ctx, b, out.terms, op.Terms); err != nil {
			return nil, err
		}
		if err := backend.Download(ctx, b, out.states, op.States); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// costs are candidate c's total and terms (detail calls only).
func (r *scored) costs(c int) Costs {
	t := func(k int) float64 { return float64(r.terms[k*r.stride+c]) }
	return Costs{
		Total: float64(r.total[c]), Progress: t(0), PathDistance: t(1), Smoothness: t(2), Goal: t(3), Heading: t(4),
		Forward: t(5), Map: t(6), Collision: t(7), CollisionProb: t(8), Feasible: r.feasible[c] != 0,
	}
}

// trajectory is candidate c's time series from the start (detail calls only).
func (r *scored) trajectory(c int, s *Scenario) []Point {
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

func newScoreInputs(s *Scenario, segments int, form backend.CollisionForm) (*scoreInputs, error) {
	steps, dt := s.Horizon.Steps(), s.Horizon.DtS
	l, st, w := s.Robot.Limits, s.Robot.State, s.Weights
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
	set(backend.TrajParamVMin, vMin)
	set(backend.TrajParamVMax, vMax)
	set(backend.TrajParamOmegaMax, wMax)
	set(backend.TrajParamAccelMax, l.AccelMaxMps2)
	set(backend.TrajParamAlphaMax, l.AlphaMaxRadps2)
	set(backend.TrajParamJerkMax, l.JerkMaxMps3)
	set(backend.TrajParamAngularJerkMax, l.AngularJerkMaxRadps3)
	for i, v := range []float64{st.XM, st.YM, st.ThetaRad, st.VMps, st.OmegaRadps, st.AccelMps2, st.AlphaRadps2} {
		set(backend.TrajParamX0+i, v)
	}
	set(backend.TrajParamObstacles, float64(len(s.Obstacles)))
	if form == backend.CollisionFast {
		set(backend.TrajParamFast, 1)
	}
	set(backend.TrajParamGoalX, s.Guidance.Goal.XM)
	set(backend.TrajParamGoalY, s.Guidance.Goal.YM)
	set(backend.TrajParamGoalTheta, s.Guidance.Goal.ThetaRad)
	for i, v := range []float64{w.Progress, w.PathDist, w.Smoothness, w.Goal, w.Heading, w.Forward, w.Map, w.Collision} {
		set(backend.TrajParamWeightProgress+i, v)
	}
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
		in.costMap = m.inflated(slices.Max(radii))
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

// inflated is the map with every cell within radius of a lethal one made lethal too: the
// kernel samples the map at the footprint circles' centres, so a lethal cell must stop a
// circle one radius early.
func (m *CostMap) inflated(radiusM float64) []float32 {
	out := make([]float32, len(m.Cost))
	for i, v := range m.Cost {
		out[i] = float32(v)
	}
	// The cell offsets within the radius, once.
	reach := int(math.Ceil(radiusM / m.ResolutionM))
	var disk [][2]int
	for dy := -reach; dy <= reach; dy++ {
		for dx := -reach; dx <= reach; dx++ {
			if math.Hypot(float64(dx), float64(dy))*m.ResolutionM <= radiusM {
				disk = append(disk, [2]int{dx, dy})
			}
		}
	}
	for y := range m.Height {
		for x := range m.Width {
			if m.Cost[y*m.Width+x] < 1 {
				continue
			}
			for _, d := range disk {
				if cx, cy := x+d[0], y+d[1]; cx >= 0 && cy >= 0 && cx < m.Width && cy < m.Height {
					out[cy*m.Width+cx] = 1
				}
			}
		}
	}
	return out
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
