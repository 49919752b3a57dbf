package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/fluxcore/fluxcore/engine/backend"
)

// CovCase is one covariance-update workload, float32 storage: either Filters Kalman filters
// (NX states, NZ measurements, H and R shared, one update step) or Slices ProbConserv slices
// of N points under one shared constraint row (a diagonal Σ, or an ensemble of Members).
type CovCase struct {
	Name               string
	Filters, NX, NZ    int
	Slices, N, Members int
	FullCov            bool // ProbConserv: write Σ̃ too, not only the marginal variances
	DeviceOnly         bool // too large for a CPU run to be worth its minutes
}

// CovCases are the benchmark shapes.
var CovCases = []CovCase{
	{Name: "kalman/nx4-nz2/1e6", Filters: 1_000_000, NX: 4, NZ: 2},
	{Name: "kalman/nx6-nz3/1e6", Filters: 1_000_000, NX: 6, NZ: 3},
	{Name: "kalman/nx4-nz2/1e7", Filters: 10_000_000, NX: 4, NZ: 2, DeviceOnly: true},
	{Name: "conserve/diagonal-marginal/201x201", Slices: 201, N: 201},
	{Name: "conserve/diagonal-full/201x201", Slices: 201, N: 201, FullCov: true},
	{Name: "conserve/ensemble/1000x1024xM16", Slices: 1000, N: 1024, Members: 16},
}

// Updates is the number of filter or slice updates in one run.
func (c CovCase) Updates() int { return c.Filters + c.Slices }

// BytesPerUpdate is what one update must read and write at the least: for Kalman, x and P
// read and written and z read; for ProbConserv, μ and the variances (or the ensemble) read
// and written, and Σ̃ written when asked for.
func (c CovCase) BytesPerUpdate() float64 {
	if c.Filters > 0 {
		return float64(4 * (2*c.NX + 2*c.NX*c.NX + c.NZ))
	}
	bytes := 4 * float64(4*c.N)
	if c.Members > 0 {
		bytes += 4 * float64(2*c.N*c.Members)
	}
	if c.FullCov {
		bytes += 4 * float64(c.N*c.N)
	}
	return bytes
}

// Rates are the updates per second, the GB/s they move and that as a percentage of
// copyGBps, for one run of the case taking seconds.
func (c CovCase) Rates(seconds, copyGBps float64) (perSec, gbps, pctCopy float64) {
	perSec = float64(c.Updates()) / seconds
	gbps = perSec * c.BytesPerUpdate() / 1e9
	return perSec, gbps, 100 * gbps / copyGBps
}

// CovWorkload is a case's operands, resident on one backend.
type CovWorkload struct {
	b        backend.Backend
	kalman   *backend.Kalman
	conserve *backend.Conserve
	bufs     []backend.Buffer
}

// NewCovWorkload fills c's operands on b with seeded values: identity covariances and
// uniform means and measurements for Kalman; unit variances, uniform means, ensemble, row
// and right-hand sides for ProbConserv.
func NewCovWorkload(ctx context.Context, b backend.Backend, c CovCase) (w *CovWorkload, err error) {
	w = &CovWorkload{b: b}
	defer func() {
		if err != nil {
			w.Free()
			err = fmt.Errorf("bench %s: %w", c.Name, err)
		}
	}()
	rng := rand.New(rand.NewPCG(7, uint64(c.Updates())))
	upload := func(v []float32) backend.Buffer {
		if err != nil {
			return nil
		}
		var buf backend.Buffer
		if buf, err = backend.FromHost(ctx, b, v); err == nil {
			w.bufs = append(w.bufs, buf)
		}
		return buf
	}
	uniform := func(n int) backend.Buffer {
		v := make([]float32, n)
		for i := range v {
			v[i] = rng.Float32() - 0.5
		}
		return upload(v)
	}
	alloc := func(dt backend.DType, n int) backend.Buffer {
		if err != nil {
			return nil
		}
		var buf backend.Buffer
		if buf, err = b.Alloc(dt, n); err == nil {
			w.bufs = append(w.bufs, buf)
		}
		return buf
	}
	if c.Filters > 0 {
		f, nx, nz := c.Filters, c.NX, c.NZ
		p := make([]float32, nx*nx*f)
		for i := range nx {
			for k := range f {
				p[(i*nx+i)*f+k] = 1
			}
		}
		h, r := make([]float32, nz*nx), make([]float32, nz*nz)
		for i := range nz {
			h[i*nx+i], r[i*nz+i] = 1, 0.5
		}
		w.kalman = &backend.Kalman{
			Filters: f, NX: nx, NZ: nz, Update: true,
			X: uniform(nx * f), P: upload(p), H: upload(h), R: upload(r), SharedH: true, SharedR: true,
			Z: uniform(nz * f), Status: alloc(backend.Int32, f),
		}
		return w, err
	}
	bn := c.Slices * c.N
	op := &backend.Conserve{
		Slices: c.Slices, N: c.N, Constraints: 1, Members: c.Members,
		Mean: uniform(bn), G: uniform(c.N), SharedG: true, RHS: uniform(c.Slices),
		OutMean: alloc(backend.Float32, bn), OutVar: alloc(backend.Float32, bn), Status: alloc(backend.Int32, c.Slices),
	}
	if c.Members > 0 {
		op.Form = backend.CovEnsemble
		op.Ensemble = uniform(bn * c.Members)
		op.OutEnsemble = alloc(backend.Float32, bn*c.Members)
	} else {
		ones := make([]float32, bn)
		for i := range ones {
			ones[i] = 1
		}
		op.Var = upload(ones)
	}
	if c.FullCov {
		op.OutCov = alloc(backend.Float32, bn*c.N)
	}
	w.conserve = op
	return w, err
}

// Run queues one update of every filter or slice.
func (w *CovWorkload) Run(ctx context.Context) error {
	if w.kalman != nil {
		return w.b.Kalman(ctx, *w.kalman)
	}
	return w.b.Conserve(ctx, *w.conserve)
}

// Free releases the operands.
func (w *CovWorkload) Free() { backend.FreeAll(w.b, w.bufs...) }

// CovResult is the timing of one covariance case on one backend.
type CovResult struct {
	Case          string  `json:"case"`
	Backend       string  `json:"backend"`
	Iters         int     `json:"iters"`
	MedianSec     float64 `json:"median_seconds"`
	UpdatesPerSec float64 `json:"updates_per_second"`
	GBps          float64 `json:"gb_per_second"`
	// PctCopy is GBps as a share of the copy bandwidth measured in the same run.
	PctCopy     float64 `json:"percent_of_copy"`
	DeviceTimed bool    `json:"device_timed"`
}

// Cov times iters runs of c on b and relates the bytes they move to copyGBps.
func Cov(ctx context.Context, b backend.Backend, c CovCase, iters int, copyGBps float64) (CovResult, error) {
	if iters < 1 {
		return CovResult{}, fmt.Errorf("bench: iters = %d, want ≥ 1", iters)
	}
	w, err := NewCovWorkload(ctx, b, c)
	if err != nil {
		return CovResult{}, err
	}
	defer w.Free()
	median, deviceTimed, err := medianTime(ctx, b, iters, true, w.Run)
	if err != nil {
		return CovResult{}, fmt.Errorf("bench %s: %w", c.Name, err)
	}
	perSec, gbps, pct := c.Rates(median, copyGBps)
	return CovResult{
		Case: c.Name, Backend: b.Name(), Iters: iters, MedianSec: median, UpdatesPerSec: perSec,
		GBps: gbps, PctCopy: pct, DeviceTimed: deviceTimed,
	}, nil
}

// HostCopyBandwidth is the host's memory bandwidth as workers goroutines, each copying its
// share of 128 MiB, in GB/s of bytes read plus written (best of 5): the ceiling the CPU
// backend's memory-bound updates are measured against.
func HostCopyBandwidth(workers int) float64 {
	const n = 32 << 20 // float32s per buffer
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
	return 2 * 4 * n / best.Seconds() / 1e9
}

// DeviceCopyBandwidth is b's own buffer-to-buffer copy (CopyBox over 1 GiB) in GB/s of bytes
// read plus written, the median of iters: the ceiling on a GPU.
func DeviceCopyBandwidth(ctx context.Context, b backend.Backend, iters int) (float64, error) {
	const n = 256 << 20 // float32s
	src, err := b.Alloc(backend.Float32, n)
	if err != nil {
		return 0, err
	}
	defer b.Free(src)
	dst, err := b.Alloc(backend.Float32, n)
	if err != nil {
		return 0, err
	}
	defer b.Free(dst)
	box := backend.Box{Outer: 1, Src: [3]int{n, 1, 1}, Dst: [3]int{n, 1, 1}}
	median, _, err := medianTime(ctx, b, iters, true, func(ctx context.Context) error { return b.CopyBox(ctx, dst, src, box) })
	if err != nil {
		return 0, fmt.Errorf("bench: device copy: %w", err)
	}
	return 2 * 4 * n / median / 1e9, nil
}
