package traj

import (
	"context"
	"fmt"
	"math"

	"github.com/fluxcore/fluxcore/engine/limits"
)

// SimStep is one cycle of a closed-loop simulation.
type SimStep struct {
	TS    float64
	Mode  Mode
	Robot Point
	Costs Costs
	// ClearanceM is the smallest distance between the robot's footprint and an obstacle's
	// true position, edge to edge; negative is a collision, +Inf without obstacles.
	ClearanceM float64
}

// SimLog is a closed-loop simulation's record; Report gives its JSON form.
type SimLog struct {
	Steps []SimStep
	// Collisions counts the cycles that ended with the footprint overlapping an obstacle.
	Collisions int
	// ClosestApproachM is the smallest clearance over the run (+Inf without obstacles).
	ClosestApproachM float64
}

// Simulate runs the planner in closed loop on s for seconds at hz cycles per second: each
// cycle plans from the current state (with the warm start), the robot follows the chosen
// trajectory for one cycle, and the obstacles move along their predicted means (the mean is
// the truth; the prediction's uncertainty restarts from its initial covariance every cycle,
// as a fresh observation would make it). The cycle must be a whole number of rollout steps.
// observe, if not nil, sees every cycle's scenario and plan (cycles count from 1) before the
// world moves on; an error from it stops the run. s is not modified.
func Simulate(ctx context.Context, p *Planner, s *Scenario, hz, seconds float64,
	observe func(cycle, cycles int, s *Scenario, r *Result) error) (*SimLog, error) {
	if !(hz > 0) || !(seconds > 0) || math.IsInf(seconds, 0) {
		return nil, fmt.Errorf("traj: simulate at %v Hz for %v s, want both > 0", hz, seconds)
	}
	dt := s.Horizon.DtS
	per := 1 / hz / dt
	if k := math.Round(per); k < 1 || math.Abs(per-k) > 1e-9*per {
		return nil, fmt.Errorf("traj: a cycle of %v s is not a whole number of %v s rollout steps", 1/hz, dt)
	}
	stepsPerCycle := int(math.Round(per))
	if n := math.Round(seconds * hz); n < 1 || n > limits.MaxSimCycles {
		return nil, fmt.Errorf("traj: simulate %v s at %v Hz is %v cycles, want 1..%d", seconds, hz, n, limits.MaxSimCycles)
	}
	cycles := int(math.Round(seconds * hz))
	cur := *s // a shallow copy whose robot state and obstacles the loop replaces
	cur.Obstacles = append([]Obstacle(nil), s.Obstacles...)
	log := &SimLog{ClosestApproachM: math.Inf(1)}
	for c := range cycles {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res, err := p.Plan(ctx, &cur)
		if err != nil {
			return nil, fmt.Errorf("traj: simulate: cycle %d: %w", c, err)
		}
		if observe != nil {
			if err := observe(c+1, cycles, &cur, res); err != nil {
				return nil, err
			}
		}
		next := res.Best[min(stepsPerCycle, len(res.Best)-1)]
		cur.Robot.State = State{XM: next.XM, YM: next.YM, ThetaRad: next.ThetaRad, VMps: next.VMps,
			OmegaRadps: next.OmegaRadps, AccelMps2: next.AccelMps2, AlphaRadps2: next.AlphaRadps2}
		positions := make([][2]float64, len(cur.Obstacles))
		for i := range cur.Obstacles {
			cur.Obstacles[i], positions[i] = cur.Obstacles[i].advance(stepsPerCycle, dt)
		}
		clearance := cur.clearance(positions)
		next.TS = float64(c+1) / hz // the simulation's clock, not the plan's
		log.Steps = append(log.Steps, SimStep{TS: next.TS, Mode: res.Mode, Robot: next, Costs: res.BestCosts, ClearanceM: clearance})
		log.ClosestApproachM = math.Min(log.ClosestApproachM, clearance)
		if clearance < 0 {
			log.Collisions++
		}
	}
	return log, nil
}

// advance moves an obstacle's prediction k rollout steps on and returns it with the
// obstacle's position then (its predicted mean at k·dt): a constant-velocity model moves
// its position; a track drops its first k points and holds its last.
func (o Obstacle) advance(k int, dt float64) (Obstacle, [2]float64) {
	now, _ := o.At(float64(k)*dt, dt)
	if cv := o.ConstantVelocity; cv != nil {
		moved := *cv
		moved.PositionM = now
		o.ConstantVelocity = &moved
		return o, now
	}
	track := append([]TrackPoint(nil), o.Track[min(k, len(o.Track)):]...)
	for len(track) < len(o.Track) {
		track = append(track, o.Track[len(o.Track)-1])
	}
	o.Track = track
	return o, now
}

// clearance is the smallest edge-to-edge distance between the footprint's circles and the
// obstacles at positions.
func (s *Scenario) clearance(positions [][2]float64) float64 {
	st := s.Robot.State
	offsets, radii := s.Robot.Footprint.Circles()
	best := math.Inf(1)
	for j, o := range s.Obstacles {
		pos := positions[j]
		for i, off := range offsets {
			cx, cy := st.XM+off*math.Cos(st.ThetaRad), st.YM+off*math.Sin(st.ThetaRad)
			best = math.Min(best, math.Hypot(cx-pos[0], cy-pos[1])-radii[i]-o.RadiusM)
		}
	}
	return best
}
