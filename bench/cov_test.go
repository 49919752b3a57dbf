package bench

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/cpu"
)

var (
	copyOnce sync.Once
	copyGBps float64
)

// copyBandwidth is this machine's memory bandwidth as `workers` goroutines copying
// 128 MiB apart, each in its own half, in GB/s of bytes read plus bytes written: the ceiling
// a memory-bound update is measured against.
func copyBandwidth(workers int) float64 {
	copyOnce.Do(func() {
		const n = 32 << 20 // float32s per buffer: 128 MiB
		src, dst := make([]float32, n), make([]float32, n)
		for i := range src {
			src[i] = float32(i)
		}
		best := time.Duration(1 << 62)
		for range 5 {
			t0 := time.Now()
			var wg sync.WaitGroup
			for w := range workers {
				lo, hi := w*n/workers, (w+1)*n/workers
				wg.Go(func() { copy(dst[lo:hi], src[lo:hi]) })
			}
			wg.Wait()
			best = min(best, time.Since(t0))
		}
		copyGBps = 2 * 4 * n / best.Seconds() / 1e9
	})
	return copyGBps
}

// reportBandwidth reports updates/s and the bytes they move as a share of the copy bandwidth.
func reportBandwidth(b *testing.B, updatesPerOp, bytesPerUpdate float64, workers int) {
	perSec := updatesPerOp * float64(b.N) / b.Elapsed().Seconds()
	gbps := perSec * bytesPerUpdate / 1e9
	b.ReportMetric(perSec, "updates/s")
	b.ReportMetric(gbps, "GB/s")
	b.ReportMetric(100*gbps/copyBandwidth(workers), "%copy")
}

// BenchmarkKalman is an update step of a million filters (float32, H and R shared), the
// issue's nx = 4, nz = 2 and nx = 6, nz = 3 cases. Bytes per update: x and P read and
// written, z read.
func BenchmarkKalman(b *testing.B) {
	ctx := context.Background()
	forEachCPUVariant(b, func(v cpu.Variant, be *cpu.Backend) {
		for _, c := range []struct{ nx, nz int }{{4, 2}, {6, 3}} {
			b.Run(fmt.Sprintf("cpu/%s/nx%d-nz%d", v, c.nx, c.nz), func(b *testing.B) {
				const filters = 1_000_000
				nx, nz := c.nx, c.nz
				p := make([]float32, nx*nx*filters)
				for i := range nx {
					for f := range filters {
						p[(i*nx+i)*filters+f] = 1
					}
				}
				pBuf, err := backend.FromHost(ctx, be, p)
				if err != nil {
					b.Fatal(err)
				}
				h := make([]float32, nz*nx)
				r := make([]float32, nz*nz)
				for i := range nz {
					h[i*nx+i] = 1
					r[i*nz+i] = 0.5
				}
				hBuf, _ := backend.FromHost(ctx, be, h)
				rBuf, _ := backend.FromHost(ctx, be, r)
				step := backend.Kalman{
					Filters: filters, NX: nx, NZ: nz, Update: true,
					X: randomBuffer(b, be, nx*filters), P: pBuf, H: hBuf, R: rBuf, SharedH: true, SharedR: true,
					Z: randomBuffer(b, be, nz*filters), Status: alloc(b, be, backend.Int32, filters),
				}
				for b.Loop() {
					if err := be.Kalman(ctx, step); err != nil {
						b.Fatal(err)
					}
				}
				reportBandwidth(b, filters, float64(4*(2*nx+2*nx*nx+nz)), be.Workers())
			})
		}
	})
}

// BenchmarkConserve is ProbConserv on the shapes: 201 slices of 201 points with a
// diagonal Σ (marginal and full output) and 1000 slices of 1024 points with a 16-member
// ensemble, one float32 trapezoid constraint each.
func BenchmarkConserve(b *testing.B) {
	ctx := context.Background()
	cases := []struct {
		name              string
		slices, n, member int
		wantCov, wantEns  bool
	}{
		{"diagonal-marginal/201x201", 201, 201, 0, false, false},
		{"diagonal-full/201x201", 201, 201, 0, true, false},
		{"ensemble/1000x1024xM16", 1000, 1024, 16, false, true},
	}
	forEachCPUVariant(b, func(v cpu.Variant, be *cpu.Backend) {
		for _, c := range cases {
			b.Run(fmt.Sprintf("cpu/%s/%s", v, c.name), func(b *testing.B) {
				bn := c.slices * c.n
				op := backend.Conserve{
					Slices: c.slices, N: c.n, Constraints: 1, Members: c.member,
					Mean: randomBuffer(b, be, bn), G: randomBuffer(b, be, c.n), SharedG: true,
					RHS: randomBuffer(b, be, c.slices), OutMean: alloc(b, be, backend.Float32, bn),
					OutVar: alloc(b, be, backend.Float32, bn), Status: alloc(b, be, backend.Int32, c.slices),
				}
				// Bytes per slice: μ and its update, the variances in and out (or the
				// ensemble in and out), Σ̃ written when asked for.
				bytes := 4 * float64(4*c.n)
				if c.member > 0 {
					op.Form = backend.CovEnsemble
					op.Ensemble = randomBuffer(b, be, bn*c.member)
					op.OutEnsemble = alloc(b, be, backend.Float32, bn*c.member)
					bytes += 4 * float64(2*c.n*c.member)
				} else {
					op.Var = alloc(b, be, backend.Float32, bn)
					ones := make([]float32, bn)
					for i := range ones {
						ones[i] = 1
					}
					if err := backend.Upload(ctx, be, op.Var, ones); err != nil {
						b.Fatal(err)
					}
				}
				if c.wantCov {
					op.OutCov = alloc(b, be, backend.Float32, bn*c.n)
					bytes += 4 * float64(c.n*c.n)
				}
				for b.Loop() {
					if err := be.Conserve(ctx, op); err != nil {
						b.Fatal(err)
					}
				}
				reportBandwidth(b, float64(c.slices), bytes, be.Workers())
			})
		}
	})
}
