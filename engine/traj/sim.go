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
	// Braked is set when the safety layer overrode the plan this cycle with the stop.
	Braked bool
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
	// SafetyBrakes counts the cycles the safety layer braked in.
	SafetyBrakes int
}

// SimOptions configure a closed-loop run.
type SimOptions struct {
	// Hz is the planning rate; a cycle must be a whole number of rollout steps.
	Hz float64
	// Seconds of simulated time.
	Seconds float64
	// SafetyHz, if > 0, runs Safety at that rate against the true people positions and the
	// map: the command in force is checked at every tick, and a predicted contact makes the
	// robot brake (the time-optimal stop) from the next rollout step on, for that cycle;
	// the planner replans from wherever the robot then is.
	SafetyHz float64
	Safety   Safety
	// Truth, if set, is obstacle j's true position at time tS: the obstacles then move along
	// it rather than their predicted means, and every cycle the planner sees each as a
	// constant-velocity prediction from its true position, with the velocity it moved at
	// over the last cycle (as a tracker would estimate it) and the scenario's covariance.
	// The scenario's obstacles must then all be constant-velocity ones.
	Truth func(j int, tS float64) [2]float64
	// LatencyS, if > 0, is the true delay from measuring the state to a command taking
	// effect: each cycle's plan is executed from LatencyS after it was made, the robot
	// following the plans before it meanwhile, its pose integrated from the commanded speeds
	// (every 10 ms). The scenario's latency_s is what the planner is told; the two differ
	// when a planner is tested without compensation. Not with SafetyHz.
	LatencyS float64
	// Observe, if not nil, sees every cycle's scenario and plan (cycles count from 1) before
	// the world moves on; an error from it stops the run.
	Observe func(cycle, cycles int, s *Scenario, r *Result) error
}

// Simulate runs the planner in closed loop on s for seconds at hz cycles per second: each
// cycle plans from the current state (with the warm start), the robot follows the chosen
// trajectory for one cycle, and the obstacles move along their predicted means (the mean is
// the truth; the prediction's uncertainty restarts from its initial covariance every cycle,
// as a fresh observation would make it). observe is SimOptions.Observe. s is not modified.
func Simulate(ctx context.Context, p *Planner, s *Scenario, hz, seconds float64,
	observe func(cycle, cycles int, s *Scenario, r *Result) error) (*SimLog, error) {
	return SimulateWith(ctx, p, s, SimOptions{Hz: hz, Seconds: seconds, Observe: observe})
}

// SimulateWith is Simulate with the options of o: a safety layer and true motions that the
// prediction does not know.
func SimulateWith(ctx context.Context, p *Planner, s *Scenario, o SimOptions) (*SimLog, error) {
	hz, seconds := o.Hz, o.Seconds
	if !(hz > 0) || !(seconds > 0) || math.IsInf(seconds, 0) || math.IsInf(hz, 0) {
		return nil, fmt.Errorf("traj: simulate at %v Hz for %v s, want both > 0", hz, seconds)
	}
	dt := s.Horizon.DtS
	per := 1 / hz / dt
	if k := math.Round(per); k < 1 || math.Abs(per-k) > 1e-9*per {
		return nil, fmt.Errorf("traj: a cycle of %v s is not a whole number of %v s rollout steps", 1/hz, dt)
	}
	if n := math.Round(seconds * hz); n < 1 || n > limits.MaxSimCycles {
		return nil, fmt.Errorf("traj: simulate %v s at %v Hz is %v cycles, want 1..%d", seconds, hz, n, limits.MaxSimCycles)
	}
	if o.SafetyHz < 0 || math.IsNaN(o.SafetyHz) || o.SafetyHz > 1000 {
		return nil, fmt.Errorf("traj: safety layer at %v Hz, want 0 (off) to 1000", o.SafetyHz)
	}
	if !(o.LatencyS >= 0 && o.LatencyS <= MaxLatencyS) || (o.LatencyS > 0 && o.SafetyHz > 0) {
		return nil, fmt.Errorf("traj: simulated latency %v s, want 0..%v s and no safety layer with it", o.LatencyS, MaxLatencyS)
	}
	for j, ob := range s.Obstacles {
		if o.Truth != nil && ob.ConstantVelocity == nil {
			return nil, fmt.Errorf("traj: simulate with true motions: obstacle %d has a track, want constant_velocity", j)
		}
	}
	if o.Safety == (Safety{}) {
		o.Safety = DefaultSafety
	}
	sim := &simulation{p: p, s: s, o: o, dt: dt, stepsPerCycle: int(math.Round(per)), cycles: int(math.Round(seconds * hz))}
	return sim.run(ctx)
}

// simulation is one SimulateWith run's state.
type simulation struct {
	p                     *Planner
	s                     *Scenario
	o                     SimOptions
	dt                    float64
	stepsPerCycle, cycles int
	cur                   Scenario // the planner's view: the robot's state and the obstacles' predictions now
	brakeNext             bool     // the safety layer fired during the last cycle
	sent                  []sentPlan
}

// sentPlan is a plan in flight under SimOptions.LatencyS: it takes effect at effS.
type sentPlan struct {
	path []Point
	effS float64
}

func (sim *simulation) run(ctx context.Context) (*SimLog, error) {
	sim.cur = *sim.s // a shallow copy whose robot state and obstacles the loop replaces
	sim.cur.Obstacles = append([]Obstacle(nil), sim.s.Obstacles...)
	log := &SimLog{ClosestApproachM: math.Inf(1)}
	for c := range sim.cycles {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		step, err := sim.cycle(ctx, c)
		if err != nil {
			return nil, err
		}
		log.Steps = append(log.Steps, step)
		log.ClosestApproachM = math.Min(log.ClosestApproachM, step.ClearanceM)
		if step.ClearanceM < 0 {
			log.Collisions++
		}
		if step.Braked {
			log.SafetyBrakes++
		}
	}
	return log, nil
}

// cycle plans, moves the robot one cycle (or brakes it) and the world with it.
func (sim *simulation) cycle(ctx context.Context, c int) (SimStep, error) {
	t0 := float64(c) / sim.o.Hz
	sim.observeTruth(t0)
	res, err := sim.p.Plan(ctx, &sim.cur)
	if err != nil {
		return SimStep{}, fmt.Errorf("traj: simulate: cycle %d: %w", c, err)
	}
	if sim.o.Observe != nil {
		if err := sim.o.Observe(c+1, sim.cycles, &sim.cur, res); err != nil {
			return SimStep{}, err
		}
	}
	if sim.o.LatencyS > 0 {
		return sim.delayed(c, res), nil
	}
	path, braked := res.Best, false
	if sim.o.SafetyHz > 0 && (sim.brakeNext || sim.unsafe(path, 0, t0)) {
		stop, err := sim.p.Stop(ctx, &sim.cur)
		if err != nil {
			return SimStep{}, fmt.Errorf("traj: simulate: cycle %d: the safety stop: %w", c, err)
		}
		path, braked = stop.Best, true
	}
	sim.brakeNext = sim.o.SafetyHz > 0 && sim.checkDuring(path, t0)
	next := path[min(sim.stepsPerCycle, len(path)-1)]
	sim.cur.Robot.State = State{XM: next.XM, YM: next.YM, ThetaRad: next.ThetaRad, VMps: next.VMps,
		OmegaRadps: next.OmegaRadps, AccelMps2: next.AccelMps2, AlphaRadps2: next.AlphaRadps2}
	t1 := float64(c+1) / sim.o.Hz
	positions := sim.moveWorld(t1)
	next.TS = t1 // the simulation's clock, not the plan's
	return SimStep{TS: t1, Mode: res.Mode, Robot: next, Costs: res.BestCosts, Braked: braked,
		ClearanceM: sim.cur.clearance(positions)}, nil
}

// moveWorld moves the planner's predictions on to t1, the cycle's end (observeTruth renews
// them instead under SimOptions.Truth), and returns where the obstacles truly are then.
func (sim *simulation) moveWorld(t1 float64) [][2]float64 {
	positions := make([][2]float64, len(sim.cur.Obstacles))
	for j := range sim.cur.Obstacles {
		if sim.o.Truth == nil {
			sim.cur.Obstacles[j], _ = sim.cur.Obstacles[j].advance(sim.stepsPerCycle, sim.dt)
		}
		positions[j] = sim.truePosition(j, t1)
	}
	return positions
}

// observeTruth gives the planner, under SimOptions.Truth, each obstacle as seen at t0: its
// true position, the velocity it moved at over the last cycle, the scenario's covariance.
func (sim *simulation) observeTruth(t0 float64) {
	if sim.o.Truth == nil {
		return
	}
	back := 1 / sim.o.Hz
	for j, ob := range sim.s.Obstacles {
		now, before := sim.o.Truth(j, t0), sim.o.Truth(j, math.Max(0, t0-back))
		cv := *ob.ConstantVelocity
		cv.PositionM = now
		if t0 > 0 {
			cv.VelocityMps = [2]float64{(now[0] - before[0]) / back, (now[1] - before[1]) / back}
		}
		sim.cur.Obstacles[j].ConstantVelocity = &cv
	}
}

// checkDuring runs the safety layer at SafetyHz over the cycle starting at t0 along path,
// the trajectory in force, and reports whether it fired.
func (sim *simulation) checkDuring(path []Point, t0 float64) bool {
	ticks := int(math.Round(sim.o.SafetyHz / sim.o.Hz))
	for i := 1; i < ticks; i++ {
		if tau := float64(i) / sim.o.SafetyHz; sim.unsafe(path, tau, t0+tau) {
			return true
		}
	}
	return false
}

// unsafe is the safety layer's verdict at time tS, tau into path, against the true positions.
func (sim *simulation) unsafe(path []Point, tau, tS float64) bool {
	const h = 0.02 // velocities by differencing the positions a tick apart
	people := make([]Person, len(sim.s.Obstacles))
	for j, ob := range sim.s.Obstacles {
		now, later := sim.truePosition(j, tS), sim.truePosition(j, tS+h)
		people[j] = Person{PositionM: now, VelocityMps: [2]float64{(later[0] - now[0]) / h, (later[1] - now[1]) / h}, RadiusM: ob.RadiusM}
	}
	ahead := []Point{pointAt(path, tau)}
	for _, q := range path {
		if q.TS > tau {
			ahead = append(ahead, q)
		}
	}
	return sim.o.Safety.Brake(&sim.cur, ahead, people).Brake
}

// truePosition is obstacle j's true position at time tS from the start.
func (sim *simulation) truePosition(j int, tS float64) [2]float64 {
	if sim.o.Truth != nil {
		return sim.o.Truth(j, tS)
	}
	ob := sim.s.Obstacles[j]
	mean, _ := ob.At(tS, sim.dt)
	return mean
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

// delayed moves the world one cycle under SimOptions.LatencyS: res takes effect LatencyS from
// now, and over the cycle the robot executes whichever sent plan is in effect, its pose
// integrated from the commanded speeds.
func (sim *simulation) delayed(c int, res *Result) SimStep {
	t0, t1 := float64(c)/sim.o.Hz, float64(c+1)/sim.o.Hz
	sim.sent = append(sim.sent, sentPlan{path: res.Best, effS: t0 + sim.o.LatencyS})
	if len(sim.sent) > maxHistory+2 {
		sim.sent = sim.sent[1:]
	}
	st := sim.cur.Robot.State
	const h = 0.01
	steps := max(1, int(math.Round((t1-t0)/h)))
	cmd := sim.command(t0, st)
	for k := range steps {
		next := sim.command(t0+float64(k+1)*(t1-t0)/float64(steps), st)
		dtS := (t1 - t0) / float64(steps)
		v, w := 0.5*(cmd.VMps+next.VMps), 0.5*(cmd.OmegaRadps+next.OmegaRadps)
		mid := st.ThetaRad + 0.5*w*dtS
		st.XM, st.YM, st.ThetaRad = st.XM+v*math.Cos(mid)*dtS, st.YM+v*math.Sin(mid)*dtS, st.ThetaRad+w*dtS
		st.VMps, st.OmegaRadps, st.AccelMps2, st.AlphaRadps2 = next.VMps, next.OmegaRadps, next.AccelMps2, next.AlphaRadps2
		cmd = next
	}
	sim.cur.Robot.State = st
	positions := sim.moveWorld(t1)
	robot := Point{TS: t1, XM: st.XM, YM: st.YM, ThetaRad: st.ThetaRad, VMps: st.VMps, OmegaRadps: st.OmegaRadps,
		AccelMps2: st.AccelMps2, AlphaRadps2: st.AlphaRadps2}
	return SimStep{TS: t1, Mode: res.Mode, Robot: robot, Costs: res.BestCosts, ClearanceM: sim.cur.clearance(positions)}
}

// command is what the robot is told to do at tS: the newest sent plan in effect, at its own
// time; before any, the state it started the cycle in (st), held.
func (sim *simulation) command(tS float64, st State) Point {
	for i := len(sim.sent) - 1; i >= 0; i-- {
		if p := sim.sent[i]; p.effS <= tS+1e-9 {
			return pointAt(p.path, tS-p.effS)
		}
	}
	return Point{VMps: st.VMps, OmegaRadps: st.OmegaRadps}
}
