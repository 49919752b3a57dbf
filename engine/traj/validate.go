package traj

import (
	"fmt"
	"math"

	"github.com/fluxcore/fluxcore/engine/limits"
)

// MaxSteps bounds the rollout length, so that a candidate's per-step state fits the kernels'
// fixed buffers.
const MaxSteps = 1000

// checker collects the first violation, named by its JSON path.
type checker struct{ err error }

func (c *checker) fail(path, format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("scenario: %s: %s", path, fmt.Sprintf(format, args...))
	}
}

func (c *checker) finite(path string, v float64) bool {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		c.fail(path, "%v, want a finite number", v)
		return false
	}
	return true
}

// coord checks a position: finite and within limits.MaxCoordinateM.
func (c *checker) coord(path string, v float64) { c.bounded(path, v, "m") }

// bounded checks a value in unit: finite and within limits.MaxCoordinateM in magnitude.
func (c *checker) bounded(path string, v float64, unit string) {
	if c.finite(path, v) && math.Abs(v) > limits.MaxCoordinateM {
		c.fail(path, "%g %s exceeds limit %g %s in magnitude", v, unit, limits.MaxCoordinateM, unit)
	}
}

// length checks a size: > 0 and at most limits.MaxLengthM.
func (c *checker) length(path string, v float64) {
	c.positive(path, v)
	c.atMostLength(path, v)
}

// distance checks a distance that may be 0: ≥ 0 and at most limits.MaxLengthM.
func (c *checker) distance(path string, v float64) {
	c.nonNegative(path, v)
	c.atMostLength(path, v)
}

func (c *checker) atMostLength(path string, v float64) {
	if c.err == nil && v > limits.MaxLengthM {
		c.fail(path, "%g m exceeds limit %g m", v, limits.MaxLengthM)
	}
}

func (c *checker) positive(path string, v float64) {
	if c.finite(path, v) && !(v > 0) {
		c.fail(path, "%v, want > 0", v)
	}
}

func (c *checker) nonNegative(path string, v float64) {
	if c.finite(path, v) && v < 0 {
		c.fail(path, "%v, want ≥ 0", v)
	}
}

// psd checks a 2×2 covariance: finite, symmetric and positive semi-definite.
func (c *checker) psd(path string, m Cov2) {
	for i := range 2 {
		for j := range 2 {
			at := fmt.Sprintf("%s[%d][%d]", path, i, j)
			if !c.finite(at, m[i][j]) {
				return
			}
			if math.Abs(m[i][j]) > limits.MaxCoordinateM*limits.MaxCoordinateM {
				c.fail(at, "%g m² exceeds limit %g m² in magnitude", m[i][j], limits.MaxCoordinateM*limits.MaxCoordinateM)
				return
			}
		}
	}
	if m[0][1] != m[1][0] {
		c.fail(path, "not symmetric (%v ≠ %v)", m[0][1], m[1][0])
		return
	}
	half, dev := 0.5*(m[0][0]+m[1][1]), math.Hypot(0.5*(m[0][0]-m[1][1]), m[0][1])
	if lo := half - dev; lo < -1e-12*max(1, math.Abs(half)) {
		c.fail(path, "not positive semi-definite (eigenvalue %.3g)", lo)
	}
}

// Validate checks every value of s against its constraint and returns the first violation,
// naming its JSON path.
func (s *Scenario) Validate() error {
	var c checker
	s.Robot.validate(&c)
	h := s.Horizon
	c.positive("horizon.duration_s", h.DurationS)
	c.positive("horizon.dt_s", h.DtS)
	if c.err == nil {
		steps := h.DurationS / h.DtS
		if math.Abs(steps-math.Round(steps)) > 1e-9*steps {
			c.fail("horizon.dt_s", "%v does not divide the duration %v s", h.DtS, h.DurationS)
		} else if n := h.Steps(); n < 1 || n > MaxSteps {
			c.fail("horizon", "%d steps, want 1..%d", n, MaxSteps)
		}
	}
	if s.Map != nil {
		s.Map.validate(&c)
	}
	s.Guidance.validate(&c)
	for i, o := range s.Obstacles {
		o.validate(&c, fmt.Sprintf("obstacles[%d]", i), h.Steps())
	}
	if c.finite("latency_s", s.LatencyS) && (s.LatencyS < 0 || s.LatencyS > MaxLatencyS) {
		c.fail("latency_s", "%v s, want 0..%v s", s.LatencyS, MaxLatencyS)
	}
	if cu := s.Caution; cu != nil {
		c.nonNegative("caution.speed_mps", cu.SpeedMps)
		c.distance("caution.distance_m", cu.DistanceM)
	}
	if w := s.Weights; w != nil {
		for _, f := range []struct {
			name string
			v    float64
		}{{"progress", w.Progress}, {"smoothness", w.Smoothness}, {"path_distance", w.PathDist}, {"goal", w.Goal},
			{"heading", w.Heading}, {"forward", w.Forward}, {"map", w.Map}, {"collision", w.Collision},
			{"caution", w.Caution}} {
			c.nonNegative("weights."+f.name, f.v)
		}
	}
	return c.err
}

func (r *Robot) validate(c *checker) {
	f := r.Footprint
	switch {
	case f.Rectangle == nil && f.RadiusM == 0:
		c.fail("robot.footprint", "give radius_m or rectangle")
	case f.Rectangle != nil && f.RadiusM != 0:
		c.fail("robot.footprint", "give radius_m or rectangle, not both")
	case f.Rectangle != nil:
		c.length("robot.footprint.rectangle.length_m", f.Rectangle.LengthM)
		c.length("robot.footprint.rectangle.width_m", f.Rectangle.WidthM)
		if n := f.Rectangle.Circles; n < 1 || n > MaxFootprintCircles {
			c.fail("robot.footprint.rectangle.circles", "%d, want 1..%d", n, MaxFootprintCircles)
		}
	default:
		c.length("robot.footprint.radius_m", f.RadiusM)
	}
	l := r.Limits
	c.finite("robot.limits.v_min_mps", l.VMinMps)
	c.positive("robot.limits.v_max_mps", l.VMaxMps)
	if c.err == nil && l.VMinMps > 0 {
		c.fail("robot.limits.v_min_mps", "%v, want ≤ 0 (the robot must be able to stop)", l.VMinMps)
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"omega_max_radps", l.OmegaMaxRadps}, {"accel_max_mps2", l.AccelMaxMps2}, {"alpha_max_radps2", l.AlphaMaxRadps2},
		{"jerk_max_mps3", l.JerkMaxMps3}, {"angular_jerk_max_radps3", l.AngularJerkMaxRadps3}} {
		c.positive("robot.limits."+p.name, p.v)
	}
	if l.WheelSpeedMaxMps != 0 {
		c.positive("robot.limits.wheel_speed_max_mps", l.WheelSpeedMaxMps)
		c.positive("robot.limits.track_width_m", l.TrackWidthM)
	}
	st := r.State
	for _, p := range []struct {
		name string
		v    float64
	}{{"x_m", st.XM}, {"y_m", st.YM}, {"theta_rad", st.ThetaRad}, {"v_mps", st.VMps}, {"omega_radps", st.OmegaRadps},
		{"accel_mps2", st.AccelMps2}, {"alpha_radps2", st.AlphaRadps2}} {
		c.finite("robot.state."+p.name, p.v)
	}
	c.coord("robot.state.x_m", st.XM)
	c.coord("robot.state.y_m", st.YM)
	if c.err != nil {
		return
	}
	switch {
	case st.VMps < l.VMinMps || st.VMps > l.VMaxMps:
		c.fail("robot.state.v_mps", "%v, outside the limits [%v, %v]", st.VMps, l.VMinMps, l.VMaxMps)
	case math.Abs(st.OmegaRadps) > l.OmegaMaxRadps:
		c.fail("robot.state.omega_radps", "%v, outside ±%v", st.OmegaRadps, l.OmegaMaxRadps)
	case math.Abs(st.AccelMps2) > l.AccelMaxMps2:
		c.fail("robot.state.accel_mps2", "%v, outside ±%v", st.AccelMps2, l.AccelMaxMps2)
	case math.Abs(st.AlphaRadps2) > l.AlphaMaxRadps2:
		c.fail("robot.state.alpha_radps2", "%v, outside ±%v", st.AlphaRadps2, l.AlphaMaxRadps2)
	case l.WheelSpeedMaxMps > 0 && math.Abs(st.VMps)+math.Abs(st.OmegaRadps)*l.TrackWidthM/2 > l.WheelSpeedMaxMps*(1+wheelSlack):
		c.fail("robot.state", "wheel speed |v| + |ω|·b/2 = %v exceeds wheel_speed_max_mps %v",
			math.Abs(st.VMps)+math.Abs(st.OmegaRadps)*l.TrackWidthM/2, l.WheelSpeedMaxMps)
	}
	if r.PositionCovarianceM2 != nil {
		c.psd("robot.position_covariance_m2", *r.PositionCovarianceM2)
	}
}

// wheelSlack is the relative tolerance of the wheel-speed check: the planner keeps the wheel
// limit by splitting it between v and ω, and the sum of the two shares, each on its limit,
// can round a float64 ulp past it.
const wheelSlack = 1e-12

// MaxFootprintCircles bounds a rectangle's covering circles.
const MaxFootprintCircles = 8

// MaxMapCells bounds a local map (a 6 m map at 5 mm).
const MaxMapCells = 1200 * 1200

func (m *CostMap) validate(c *checker) {
	c.positive("map.resolution_m", m.ResolutionM)
	if _, err := limits.Product("cells", MaxMapCells, m.Width, m.Height); err != nil || m.Width < 1 || m.Height < 1 {
		c.fail("map", "%d × %d cells, want at least 1 × 1 and at most %d cells", m.Width, m.Height, MaxMapCells)
		return
	}
	if len(m.Cost) != m.Width*m.Height {
		c.fail("map.cost", "%d values, want width × height = %d × %d = %d", len(m.Cost), m.Width, m.Height, m.Width*m.Height)
		return
	}
	if m.OriginM != nil {
		c.coord("map.origin_m[0]", m.OriginM[0])
		c.coord("map.origin_m[1]", m.OriginM[1])
	}
	for i, v := range m.Cost {
		if math.IsNaN(v) || v < 0 || v > 1 {
			c.fail(fmt.Sprintf("map.cost[%d]", i), "%v, want a value in [0, 1] (1 is lethal)", v)
			return
		}
	}
}

func (g *Guidance) validate(c *checker) {
	if len(g.Path) < 2 {
		c.fail("guidance.path", "%d points, want ≥ 2", len(g.Path))
		return
	}
	for i, p := range g.Path {
		c.coord(fmt.Sprintf("guidance.path[%d][0]", i), p[0])
		c.coord(fmt.Sprintf("guidance.path[%d][1]", i), p[1])
	}
	for i := 1; i < len(g.Path) && c.err == nil; i++ {
		if g.Path[i] == g.Path[i-1] {
			c.fail(fmt.Sprintf("guidance.path[%d]", i), "repeats point %d; segments must have length > 0", i-1)
		}
	}
	c.coord("guidance.goal.x_m", g.Goal.XM)
	c.coord("guidance.goal.y_m", g.Goal.YM)
	c.finite("guidance.goal.theta_rad", g.Goal.ThetaRad)
	tol, resume := g.Goal.Tolerances()
	c.length("guidance.goal.tolerance_m", tol)
	c.length("guidance.goal.resume_m", resume)
	if c.err == nil && resume <= tol {
		c.fail("guidance.goal.resume_m", "%v m, want more than tolerance_m %v m (the hysteresis)", resume, tol)
	}
}

func (o *Obstacle) validate(c *checker, path string, steps int) {
	c.length(path+".radius_m", o.RadiusM)
	switch {
	case (o.Track == nil) == (o.ConstantVelocity == nil):
		c.fail(path, "give exactly one of track and constant_velocity")
	case o.Track != nil:
		if len(o.Track) != steps {
			c.fail(path+".track", "%d points, want one per rollout step (%d)", len(o.Track), steps)
			return
		}
		for i, p := range o.Track {
			at := fmt.Sprintf("%s.track[%d]", path, i)
			c.coord(at+".mean_m[0]", p.MeanM[0])
			c.coord(at+".mean_m[1]", p.MeanM[1])
			c.psd(at+".covariance_m2", p.CovarianceM2)
		}
	default:
		cv := o.ConstantVelocity
		at := path + ".constant_velocity"
		for i := range 2 {
			c.coord(fmt.Sprintf("%s.position_m[%d]", at, i), cv.PositionM[i])
			c.bounded(fmt.Sprintf("%s.velocity_mps[%d]", at, i), cv.VelocityMps[i], "m/s")
		}
		c.psd(at+".covariance_m2", cv.CovarianceM2)
		c.psd(at+".growth_m2ps", cv.GrowthM2ps)
	}
}
