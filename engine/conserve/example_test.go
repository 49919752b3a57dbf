package conserve_test

import (
	"context"
	"fmt"
	"log"
	"math"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/conserve"
)

// Impose a known mass on Gaussian predictions: 4 slices of sin x on [0, π] whose means
// carry too much mass, with independent variances, constrained so that the trapezoid
// integral of every slice is exactly 2 (ProbConserv with σ² = 0).
func ExampleUpdate() {
	const slices, n = 4, 101
	x := make([]float64, n)
	for i := range x {
		x[i] = math.Pi * float64(i) / (n - 1)
	}
	g, err := conserve.TrapezoidWeights(x)
	if err != nil {
		log.Fatal(err)
	}
	p := conserve.Problem[float64]{Slices: slices, N: n, Constraints: 1, G: g, RHS: []float64{2},
		Mean: make([]float64, slices*n), Var: make([]float64, slices*n)}
	for s := range slices {
		for i, xi := range x {
			p.Mean[s*n+i] = math.Sin(xi) + 0.1*float64(s+1)/math.Pi
			p.Var[s*n+i] = 0.01
		}
	}
	e, err := engine.Open(engine.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	res, err := conserve.Update(context.Background(), e.Backend(), p, conserve.Want{Var: true})
	if err != nil {
		log.Fatal(err)
	}
	for s := range slices {
		before, after := 0.0, 0.0
		for i := range x {
			before += g[i] * p.Mean[s*n+i]
			after += g[i] * res.Mean[s*n+i]
		}
		fmt.Printf("slice %d: mass %.4f -> %.4f\n", s, before, after)
	}
	// Output:
	// slice 0: mass 2.0998 -> 2.0000
	// slice 1: mass 2.1998 -> 2.0000
	// slice 2: mass 2.2998 -> 2.0000
	// slice 3: mass 2.3998 -> 2.0000
}
