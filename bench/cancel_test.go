package bench

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/conserve"
	"github.com/fluxcore/fluxcore/engine/kalman"
	"github.com/fluxcore/fluxcore/engine/traj"
)

// BenchmarkCancelLatency reports how late a call returns after its context is cancelled
// (the aim: under 10 ms), on calls large enough to run for hundreds of milliseconds:
// ProbConserv over 4096 slices of 4096 points with the marginal variances, a Kalman predict
// of 2²⁰ six-state filters, building a planner of 2²⁰ candidates, and one cycle of it.
func BenchmarkCancelLatency(b *testing.B) {
	e := openCPUBench(b)
	calls := map[string]func(ctx context.Context) error{
		"conserve-4096x4096": conserveCall(e),
		"kalman-2^20x6":      kalmanCall(e),
		"planner-2^20":       plannerCall(e),
		"plan-cycle-2^20":    planCall(b, e),
	}
	settle := map[string]time.Duration{"planner-2^20": 1500 * time.Millisecond}
	for name, call := range calls {
		b.Run(name, func(b *testing.B) {
			var late time.Duration
			for b.Loop() {
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- call(ctx) }()
				time.Sleep(5 * time.Millisecond)
				cancel()
				t0 := time.Now()
				err := <-done
				late = max(late, time.Since(t0))
				if err != nil && !errors.Is(err, context.Canceled) {
					b.Fatal(err)
				}
				// Let the collector reclaim a cancelled planner's arrays, so that one
				// iteration's garbage does not slow the next one's allocations.
				b.StopTimer()
				time.Sleep(settle[name])
				b.StartTimer()
			}
			b.ReportMetric(float64(late.Microseconds())/1e3, "ms-late-max")
		})
	}
}

func openCPUBench(b *testing.B) *engine.Engine {
	e, err := engine.Open(engine.Options{Device: "cpu"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	return e
}

func conserveCall(e *engine.Engine) func(context.Context) error {
	const slices, n = 4096, 4096
	p := conserve.Problem[float32]{Slices: slices, N: n, Constraints: 1, NoiseVar: 1e-3,
		Mean: make([]float32, slices*n), Var: make([]float32, slices*n), G: make([]float32, n), RHS: []float32{1}}
	for i := range p.Var {
		p.Var[i] = 1
	}
	for i := range p.G {
		p.G[i] = 1
	}
	return func(ctx context.Context) error {
		_, err := conserve.Update(ctx, e.Backend(), p, conserve.Want{Var: true})
		return err
	}
}

func kalmanCall(e *engine.Engine) func(context.Context) error {
	const filters, nx = 1 << 20, 6
	s := &kalman.Batch[float32]{Filters: filters, NX: nx, X: make([]float32, nx*filters), P: make([]float32, nx*nx*filters)}
	f, q := make([]float32, nx*nx), make([]float32, nx*nx)
	for i := range nx {
		f[i*nx+i], q[i*nx+i] = 1, 0.1
	}
	return func(ctx context.Context) error { return kalman.Predict(ctx, e.Backend(), s, f, q) }
}

func plannerCall(e *engine.Engine) func(context.Context) error {
	return func(ctx context.Context) error {
		p, err := traj.NewPlanner(ctx, e.Backend(), traj.Config{Candidates: 1 << 20})
		if err == nil {
			p.Close()
		}
		return err
	}
}

func planCall(b *testing.B, e *engine.Engine) func(context.Context) error {
	p, err := traj.NewPlanner(context.Background(), e.Backend(), traj.Config{Candidates: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	s := TrajScenario(TrajCase{Candidates: 1 << 20, Steps: 100, Obstacles: 8, Map: true})
	return func(ctx context.Context) error {
		_, err := p.Plan(ctx, s)
		return err
	}
}
