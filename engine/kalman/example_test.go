package kalman_test

import (
	"context"
	"fmt"
	"log"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/kalman"
)

// Predict and update three one-dimensional constant-velocity filters (state: position,
// velocity) that share their models; the arrays are batch-innermost. The printed states are
// NumPy's for the same textbook equations.
func ExampleUpdate() {
	ctx := context.Background()
	const filters, nx, nz = 3, 2, 1
	dt := 0.1
	// x [B, nx] and P [B, nx, nx] in the natural layout, then batch-innermost.
	x := []float64{0, 1, 5, 0, -2, 0.5}
	p := make([]float64, filters*nx*nx)
	for f := range filters {
		p[f*4], p[f*4+3] = 1, 1
	}
	s := &kalman.Batch[float64]{Filters: filters, NX: nx, X: kalman.ToBatchInner(x, filters), P: kalman.ToBatchInner(p, filters)}
	F := []float64{1, dt, 0, 1} // shared: position += dt·velocity
	Q := []float64{1e-4, 0, 0, 1e-4}
	H := []float64{1, 0} // we measure the position
	R := []float64{0.01}
	z := []float64{0.2, 4.9, -2.0} // [nz, B], batch-innermost

	e, err := engine.Open(engine.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	if err := kalman.Predict(ctx, e.Backend(), s, F, Q); err != nil {
		log.Fatal(err)
	}
	status, err := kalman.Update(ctx, e.Backend(), s, nz, H, R, z)
	if err != nil {
		log.Fatal(err)
	}
	natural := kalman.FromBatchInner(s.X, filters)
	for f := range filters {
		fmt.Printf("filter %d (status %d): position %.3f, velocity %.3f\n", f, status[f], natural[f*nx], natural[f*nx+1])
	}
	// Output:
	// filter 0 (status 0): position 0.199, velocity 1.010
	// filter 1 (status 0): position 4.901, velocity -0.010
	// filter 2 (status 0): position -2.000, velocity 0.495
}
