package traj_test

import (
	"context"
	"fmt"
	"log"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/traj"
)

// One planning cycle on the shipped corridor scenario, as `fluxcore plan --scenario
// examples/corridor.json` runs it (Config{} is the command's defaults, seed 1 included).
func ExamplePlanner_Plan() {
	ctx := context.Background()
	e, err := engine.Open(engine.Options{Device: "cpu"})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	s, err := traj.LoadScenario("../../examples/corridor.json")
	if err != nil {
		log.Fatal(err)
	}
	p, err := traj.NewPlanner(ctx, e.Backend(), traj.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	res, err := p.Plan(ctx, s)
	if err != nil {
		log.Fatal(err)
	}
	end := res.Best[len(res.Best)-1]
	fmt.Printf("scored %d candidates; the best is feasible: %v, moves forward: %v\n",
		res.Scored, res.BestCosts.Feasible, end.XM > res.Best[0].XM)
	// Output: scored 2048 candidates; the best is feasible: true, moves forward: true
}
