package fno_test

import (
	"context"
	"fmt"
	"log"
	"math"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/fno"
	"github.com/fluxcore/fluxcore/npy"
)

// Run a PyTorch checkpoint (the reference FNO1d, saved as safetensors) on a .npy input, as
// `fluxcore fno --model M --input X --output Y` does, and compare with PyTorch's output.
func ExampleRunner_ForwardAll() {
	ctx := context.Background()
	dir := "testdata/golden/fno1d/"
	m, err := fno.Load(ctx, dir+"model.safetensors", fno.Overrides{}, fno.Overrides{})
	if err != nil {
		log.Fatal(err)
	}
	in, err := npy.Read(ctx, dir+"input.npy") // [samples, grid, channels]
	if err != nil {
		log.Fatal(err)
	}
	grid, err := m.CheckInput(in.Shape)
	if err != nil {
		log.Fatal(err)
	}
	e, err := engine.Open(engine.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	r, err := m.NewRunner(ctx, e.Backend(), fno.RunnerConfig{Grid: grid, MaxBatch: 2})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	out, err := r.ForwardAll(ctx, in.Data, in.Shape[0], nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	want, err := npy.Read(ctx, dir+"output.npy")
	if err != nil {
		log.Fatal(err)
	}
	var diff, norm float64
	for i := range out {
		diff += math.Pow(float64(out[i]-want.Data[i]), 2)
		norm += math.Pow(float64(want.Data[i]), 2)
	}
	fmt.Printf("output %v, relative L2 difference from PyTorch below 1e-5: %v\n", r.OutputShape(in.Shape[0]), math.Sqrt(diff/norm) < 1e-5)
	// Output: output [3 64 1], relative L2 difference from PyTorch below 1e-5: true
}
