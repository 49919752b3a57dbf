package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/cpu"
	"github.com/fluxcore/fluxcore/fft"
)

// transformCase is one layer's transform pair: rows grids of dims keeping modes per outer
// axis (the reference's corners) and on the last axis.
type transformCase struct {
	name  string
	rows  int
	dims  []int
	modes int
}

// transformCases are the three FNO benchmark layers (rows = batch 20 × width) and sweeps of
// the mode count, which is where the two methods cross over.
var transformCases = []transformCase{
	{"burgers", 20 * 64, []int{1024}, 16},
	{"darcy", 20 * 32, []int{94, 94}, 12},
	{"ns", 20 * 20, []int{64, 64}, 12},
	{"1d-m64", 256, []int{1024}, 64},
	{"1d-m128", 256, []int{1024}, 128},
	{"1d-m256", 256, []int{1024}, 256},
	{"1d-m513", 256, []int{1024}, 513},
	{"2d-128-m8", 64, []int{128, 128}, 8},
	{"2d-128-m16", 64, []int{128, 128}, 16},
	{"2d-128-m32", 64, []int{128, 128}, 32},
	{"3d-32-m8", 32, []int{32, 32, 32}, 8},
}

// BenchmarkTransform times a forward and an inverse transform by each method and reports
// the cost model's estimates beside them (per grid), so that the model's ranking can be
// checked against measured times: `go test -run '^$' -bench Transform ./bench`.
func BenchmarkTransform(b *testing.B) {
	ctx := context.Background()
	forEachCPUVariant(b, func(v cpu.Variant, be *cpu.Backend) {
		for _, c := range transformCases {
			var keep [][]int
			for _, n := range c.dims[:len(c.dims)-1] {
				keep = append(keep, fft.Corners(n, c.modes))
			}
			plan, err := fft.NewSpectral(c.dims, keep, c.modes)
			if err != nil {
				b.Fatal(err)
			}
			est := plan.Choose(be.Kind())
			for _, method := range []fft.Method{fft.TruncatedDFT, fft.FullFFT} {
				b.Run(fmt.Sprintf("cpu/%s/%s/%s", v, c.name, method), func(b *testing.B) {
					bound, err := plan.Bind(ctx, be, c.rows, method)
					if err != nil {
						b.Fatal(err)
					}
					defer bound.Close()
					host := make([]float32, c.rows*plan.Points())
					for i := range host {
						host[i] = rand.Float32() - 0.5
					}
					grid, err := backend.FromHost(ctx, be, host)
					if err != nil {
						b.Fatal(err)
					}
					defer be.Free(grid)
					modes, err := be.Alloc(backend.Complex64, c.rows*plan.Modes())
					if err != nil {
						b.Fatal(err)
					}
					defer be.Free(modes)
					for b.Loop() {
						if err := bound.Forward(ctx, modes, grid); err != nil {
							b.Fatal(err)
						}
						if err := bound.Inverse(ctx, grid, modes); err != nil {
							b.Fatal(err)
						}
					}
					cost := est.DFT
					if method == fft.FullFFT {
						cost = est.FFT
					}
					b.ReportMetric(cost/1e6, "Mcost/grid")
					b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/float64(c.rows)*1e6, "µs/grid")
				})
			}
		}
	})
}
