package engine_test

import (
	"context"
	"fmt"
	"log"
	"math/cmplx"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/backend"
)

// Open picks the device (CUDA if usable, else the best CPU variant); buffers live on its
// backend, so a chain of operations never leaves a GPU.
func Example() {
	ctx := context.Background()
	e, err := engine.Open(engine.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	b := e.Backend()
	s := backend.MixShape{Batch: 2, In: 3, Out: 4, Modes: 5}
	input, weights := make([]complex64, s.InLen()), make([]complex64, s.WeightLen())
	for i := range input {
		input[i] = complex(float32(i%7)/7, -float32(i%3)/3)
	}
	for i := range weights {
		weights[i] = complex(float32(i%5)/5, float32(i%4)/4)
	}
	in, _ := backend.FromHost(ctx, b, input)         // [B, I, K]
	w, _ := backend.FromHost(ctx, b, weights)        // [I, O, K]
	out, _ := b.Alloc(backend.Complex64, s.OutLen()) // [B, O, K]
	defer backend.FreeAll(b, in, w, out)
	if err := b.SpectralMix(ctx, out, in, w, s); err != nil { // out[b,o,k] = Σ_i in[b,i,k]·w[i,o,k]
		log.Fatal(err)
	}
	result := make([]complex64, s.OutLen())
	if err := backend.Download(ctx, b, result, out); err != nil {
		log.Fatal(err)
	}
	worst := 0.0
	for bi := range s.Batch {
		for o := range s.Out {
			for k := range s.Modes {
				var want complex128
				for i := range s.In {
					want += complex128(input[(bi*s.In+i)*s.Modes+k]) * complex128(weights[(i*s.Out+o)*s.Modes+k])
				}
				worst = max(worst, cmplx.Abs(complex128(result[(bi*s.Out+o)*s.Modes+k])-want))
			}
		}
	}
	fmt.Println("largest difference from a complex128 loop below 1e-5:", worst < 1e-5)
	// Output: largest difference from a complex128 loop below 1e-5: true
}
