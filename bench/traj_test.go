package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/cpu"
	"github.com/fluxcore/fluxcore/engine/traj"
)

// BenchmarkPlan times full planning cycles (sample, roll out, score, top-K, the top K rolled
// out again), in ms per cycle and candidates per second: a few shapes on every CPU variant
// (the CPU target is 2048 candidates × 100 steps, 8 obstacles and the map in ≤ 5 ms
// with the fast form), and the whole grid on a CUDA device where the build and the machine
// have one.
func BenchmarkPlan(b *testing.B) {
	cpuCases := []TrajCase{
		{2048, 100, 8, true}, {2048, 30, 8, true}, {256, 30, 0, false}, {16384, 30, 8, true}, {2048, 100, 32, true},
	}
	for _, v := range cpu.Supported() {
		e, err := engine.Open(engine.Options{Device: "cpu", CPUVariant: v.String()})
		if err != nil {
			b.Fatal(err)
		}
		benchPlan(b, e, "cpu/"+v.String(), cpuCases, true)
		e.Close()
	}
	if e, err := engine.Open(engine.Options{Device: "cuda"}); err == nil {
		benchPlan(b, e, e.Backend().Name(), TrajGrid(true), false)
		e.Close()
	}
}

func benchPlan(b *testing.B, e *engine.Engine, name string, cases []TrajCase, bothForms bool) {
	forms := []backend.CollisionForm{backend.CollisionFast}
	if bothForms {
		forms = append(forms, backend.CollisionAccurate)
	}
	for _, c := range cases {
		for _, form := range forms {
			b.Run(fmt.Sprintf("%s/%s/%s", name, c, form), func(b *testing.B) {
				s := TrajScenario(c)
				p, err := traj.NewPlanner(context.Background(), e.Backend(), traj.Config{Candidates: c.Candidates, Accurate: form == backend.CollisionAccurate})
				if err != nil {
					b.Fatal(err)
				}
				defer p.Close()
				for b.Loop() {
					if _, err := p.Plan(context.Background(), s); err != nil {
						b.Fatal(err)
					}
				}
				perCycle := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(perCycle*1e3, "ms/cycle")
				b.ReportMetric(float64(c.Candidates)/perCycle, "candidates/s")
			})
		}
	}
}
