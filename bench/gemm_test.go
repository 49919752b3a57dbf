package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/cpu"
)

// gemmCase is one of the products an FNO forward pass spends its time in.
type gemmCase struct {
	name           string
	batch, m, k, n int
	addend         bool
	act            backend.Activation
}

// gemmCases are the Burgers 1-D (width 64, n 1024, 16 modes, batch 20) and Navier–Stokes 2-D
// (width 20, 64×64, 12 modes) products.
var gemmCases = []gemmCase{
	{"burgers/pointwise", 20, 64, 64, 1024, true, backend.ActGELU},
	{"burgers/dft-forward", 1, 1280, 1024, 32, false, backend.ActNone},
	{"burgers/dft-inverse", 1, 1280, 32, 1024, false, backend.ActNone},
	{"burgers/fc1", 20, 128, 64, 1024, false, backend.ActGELU},
	{"ns/pointwise", 20, 20, 20, 4096, true, backend.ActGELU},
	{"ns/dft-forward-last", 1, 25600, 64, 24, false, backend.ActNone},
	{"ns/dft-forward-outer", 400, 48, 64, 24, false, backend.ActNone},
	{"ns/dft-inverse-outer", 400, 128, 24, 24, false, backend.ActNone},
	{"ns/dft-inverse-last", 1, 25600, 24, 64, false, backend.ActNone},
	{"ns/fc1", 20, 128, 20, 4096, false, backend.ActGELU},
}

// mlpCases are the projections (fc1, GELU, fc2) of the same two models, which the runner
// computes as one fused MLP.
var mlpCases = []struct {
	name                      string
	batch, in, hidden, out, n int
}{
	{"burgers/projection", 20, 64, 128, 1, 1024},
	{"ns/projection", 20, 20, 128, 1, 4096},
}

// BenchmarkGemm reports GFLOP/s and the fraction of the measured FMA peak for each product.
func BenchmarkGemm(b *testing.B) {
	ctx := context.Background()
	forEachCPUVariant(b, func(v cpu.Variant, be *cpu.Backend) {
		for _, c := range gemmCases {
			b.Run(fmt.Sprintf("cpu/%s/%s", v, c.name), func(b *testing.B) {
				peak := cpuPeak(b, v, be.Workers())
				buf := func(n int) backend.Buffer { return randomBuffer(b, be, n) }
				g := backend.Gemm{
					Batch: c.batch,
					A:     backend.Matrix{Buf: buf(c.m * c.k), Rows: c.m, Cols: c.k},
					B:     backend.Matrix{Buf: buf(c.batch * c.k * c.n), Rows: c.k, Cols: c.n, BatchStride: c.k * c.n},
					C:     backend.Matrix{Buf: buf(c.batch * c.m * c.n), Rows: c.m, Cols: c.n, BatchStride: c.m * c.n},
					Bias:  buf(c.m),
					Act:   c.act,
				}
				if c.addend {
					g.Addend = &backend.Matrix{Buf: buf(c.batch * c.m * c.n), Rows: c.m, Cols: c.n, BatchStride: c.m * c.n}
				}
				for b.Loop() {
					if err := be.Gemm(ctx, g); err != nil {
						b.Fatal(err)
					}
				}
				reportGFLOPs(b, g.Flops(), peak)
			})
		}
	})
}

// BenchmarkMLP reports GFLOP/s for the fused projections; the same work as the fc1 case of
// BenchmarkGemm plus the second layer, without writing the hidden layer to memory.
func BenchmarkMLP(b *testing.B) {
	ctx := context.Background()
	forEachCPUVariant(b, func(v cpu.Variant, be *cpu.Backend) {
		for _, c := range mlpCases {
			b.Run(fmt.Sprintf("cpu/%s/%s", v, c.name), func(b *testing.B) {
				peak := cpuPeak(b, v, be.Workers())
				buf := func(n int) backend.Buffer { return randomBuffer(b, be, n) }
				p := backend.MLP{
					Batch:  c.batch,
					X:      backend.Matrix{Buf: buf(c.batch * c.in * c.n), Rows: c.in, Cols: c.n, BatchStride: c.in * c.n},
					Y:      backend.Matrix{Buf: buf(c.batch * c.out * c.n), Rows: c.out, Cols: c.n, BatchStride: c.out * c.n},
					Hidden: c.hidden,
					W1:     buf(c.hidden * c.in), Bias1: buf(c.hidden),
					W2: buf(c.out * c.hidden), Bias2: buf(c.out),
					Act: backend.ActGELU,
				}
				for b.Loop() {
					if err := be.MLP(ctx, p); err != nil {
						b.Fatal(err)
					}
				}
				reportGFLOPs(b, p.Flops(), peak)
			})
		}
	})
}
