package traj

import (
	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/backend"
)

func init() {
	engine.RegisterDomain(engine.Domain{
		Name:    "traj",
		Summary: "risk-aware local planning: candidate trajectories sampled, rolled out and scored",
		Entry:   "traj.LoadScenario, traj.NewPlanner, Planner.Plan, traj.Simulate",
		Ops:     []backend.Op{backend.OpTrajSample, backend.OpTrajScore, backend.OpTrajSelect},
	})
}
