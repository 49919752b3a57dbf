package traj

import (
	"fmt"
	"math"
)

// Safety is the reactive layer under the planner: many times a second it checks the command
// in force against the latest people positions and a small patch of the map around the
// robot, and calls for braking when the robot, following that command, would meet either
// within its stopping time. It is the planner's backstop against what the prediction missed
// (a person stepping out from behind a pillar), so it is simple and fast: the robot follows
// its last plan, and people keep their observed velocity.
type Safety struct {
	// PatchM is the side of the square of map around the robot that is checked (2 m).
	PatchM float64
	// MarginM is added to every clearance to a person (0.05 m).
	MarginM float64
}

// DefaultSafety checks a 2 m × 2 m patch with a 5 cm margin.
var DefaultSafety = Safety{PatchM: 2, MarginM: 0.05}

// Person is a person's latest observed position and velocity.
type Person struct {
	PositionM   [2]float64
	VelocityMps [2]float64
	RadiusM     float64
}

// StoppingTimeS bounds how long the robot at st takes to stop under lim: full deceleration
// from its speed, plus the jerk-limited ramps out of its acceleration and into the braking.
func StoppingTimeS(st State, lim Limits) float64 {
	return math.Abs(st.VMps)/lim.AccelMaxMps2 + lim.AccelMaxMps2/lim.JerkMaxMps3 + math.Abs(st.AccelMps2)/lim.JerkMaxMps3
}

// Brake reports whether the robot following path, the trajectory in force (path[0] is now,
// TS in seconds from now), would meet a person or a lethal cell of s's map within the patch
// before it could stop, and the time to that contact. The path is the last plan: between
// plans the world moves on, and this is the check that it has not moved into the robot's way.
func (sf Safety) Brake(s *Scenario, path []Point, people []Person) Verdict {
	if len(path) == 0 {
		return Verdict{}
	}
	const stepS = 0.02
	now := path[0]
	horizon := StoppingTimeS(State{VMps: now.VMps, AccelMps2: now.AccelMps2}, s.Robot.Limits)
	offsets, radii := s.Robot.Footprint.Circles()
	lethal := sf.patch(s, State{XM: now.XM, YM: now.YM})
	for t := 0.0; t <= horizon; t += stepS {
		at := pointAt(path, now.TS+t)
		for i, off := range offsets {
			cx, cy := at.XM+off*math.Cos(at.ThetaRad), at.YM+off*math.Sin(at.ThetaRad)
			for j, p := range people {
				px, py := p.PositionM[0]+t*p.VelocityMps[0], p.PositionM[1]+t*p.VelocityMps[1]
				if math.Hypot(cx-px, cy-py) < radii[i]+p.RadiusM+sf.MarginM {
					return Verdict{Brake: true, ContactS: t, Cause: fmt.Sprintf("person %d", j)}
				}
			}
		}
	}
	// The map at the path's own instants, in the planner's terms (the cell under a circle's
	// centre is lethal once inflated by the radius, as CostMap.inflated makes it): the plan
	// was feasible on the map it was made on, and this asks whether it still is on the patch.
	for _, q := range path[1:] {
		if t := q.TS - now.TS; t > 0 && t <= horizon && sf.onLethal(s, q, lethal) {
			return Verdict{Brake: true, ContactS: t, Cause: fmt.Sprintf("map at (%.2f, %.2f) m", q.XM, q.YM)}
		}
	}
	return Verdict{}
}

// Verdict is the safety layer's call: brake or not, and why.
type Verdict struct {
	Brake bool
	// ContactS is the time to the predicted contact, and Cause what it is with.
	ContactS float64
	Cause    string
}

// onLethal is whether a footprint circle of the robot at q sits on a cell within its radius
// of a lethal cell of the patch, by CostMap.inflated's own criterion.
func (sf Safety) onLethal(s *Scenario, q Point, lethal [][2]int) bool {
	if len(lethal) == 0 {
		return false
	}
	m := s.Map
	offsets, radii := s.Robot.Footprint.Circles()
	for i, off := range offsets {
		cx, cy := q.XM+off*math.Cos(q.ThetaRad), q.YM+off*math.Sin(q.ThetaRad)
		ix, iy := m.cell(cx, cy)
		for _, c := range lethal {
			if di, dj := ix-c[0], iy-c[1]; m.within(float64(di*di+dj*dj), radii[i]) {
				return true
			}
		}
	}
	return false
}

// pointAt is path's state at time tS, interpolated between its points and held past its end.
func pointAt(path []Point, tS float64) Point {
	for k := 0; k+1 < len(path); k++ {
		if tS <= path[k+1].TS {
			f := (tS - path[k].TS) / (path[k+1].TS - path[k].TS)
			a, b := path[k], path[k+1]
			lerp := func(x, y float64) float64 { return x + f*(y-x) }
			return Point{TS: tS, XM: lerp(a.XM, b.XM), YM: lerp(a.YM, b.YM), ThetaRad: lerp(a.ThetaRad, b.ThetaRad),
				VMps: lerp(a.VMps, b.VMps), OmegaRadps: lerp(a.OmegaRadps, b.OmegaRadps), AccelMps2: lerp(a.AccelMps2, b.AccelMps2),
				AlphaRadps2: lerp(a.AlphaRadps2, b.AlphaRadps2)}
		}
	}
	return path[len(path)-1]
}

// patch is the lethal cells (column, row) of s's map within PatchM/2 of the robot at st.
func (sf Safety) patch(s *Scenario, st State) [][2]int {
	m := s.Map
	if m == nil {
		return nil
	}
	half := sf.PatchM / 2
	i0, j0 := m.cell(st.XM-half, st.YM-half)
	i1, j1 := m.cell(st.XM+half, st.YM+half)
	var out [][2]int
	for j := max(0, j0); j <= min(m.Height-1, j1); j++ {
		for i := max(0, i0); i <= min(m.Width-1, i1); i++ {
			if m.Cost[j*m.Width+i] >= 1 {
				out = append(out, [2]int{i, j})
			}
		}
	}
	return out
}
