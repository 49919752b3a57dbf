package cpu

// #include <stdlib.h>
// #include "dispatch_gen.h"
import "C"

import (
	"context"
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/fluxcore/fluxcore/engine/backend"
)

// fftPlan is one transform length's factorization and tables, in C memory so that the C
// loops read them without pinning (see fc_fft_plan in kernels/include/fc_fft.h).
type fftPlan struct {
	c     *C.fc_fft_plan
	flops float64 // per complex line, roughly: only for chunking the work
}

// radices factors n for the Stockham stages: fours first (the cheapest butterfly per
// point), then a two, threes, fives and any other primes in increasing order.
func radices(n int) ([]int, error) {
	var out []int
	for n%4 == 0 {
		out, n = append(out, 4), n/4
	}
	for _, p := range []int{2, 3, 5} {
		for n%p == 0 {
			out, n = append(out, p), n/p
		}
	}
	for p := 7; n > 1; p += 2 {
		if p > C.FC_FFT_MAX_PRIME {
			return nil, fmt.Errorf("has a prime factor above %d (the FFT's generic butterfly costs p operations per point)", int(C.FC_FFT_MAX_PRIME))
		}
		for n%p == 0 {
			out, n = append(out, p), n/p
		}
	}
	return out, nil
}

func newFFTPlan(n int) (*fftPlan, error) {
	rad, err := radices(n)
	if err != nil {
		return nil, fmt.Errorf("fft: length %d %w", n, err)
	}
	var twiddles, roots []float64
	pl := (*C.fc_fft_plan)(C.calloc(1, C.sizeof_fc_fft_plan))
	if pl == nil {
		return nil, errors.New("fft: out of memory for a plan")
	}
	pl.n, pl.stages = C.int32_t(n), C.int32_t(len(rad))
	span := 1
	for s, p := range rad {
		pl.radix[s] = C.int32_t(p)
		pl.twiddleAt[s] = C.int64_t(len(twiddles) / 2)
		pl.rootsAt[s] = C.int64_t(len(roots) / 2)
		for k := range span {
			for r := 1; r < p; r++ {
				sin, cos := math.Sincos(-2 * math.Pi * float64(r*k%(span*p)) / float64(span*p))
				twiddles = append(twiddles, cos, sin)
			}
		}
		if p > 5 {
			for t := range p {
				sin, cos := math.Sincos(-2 * math.Pi * float64(t) / float64(p))
				roots = append(roots, cos, sin)
			}
		}
		span *= p
	}
	pl.twiddles = cFloats(twiddles)
	pl.roots = cFloats(roots)
	if (len(twiddles) > 0 && pl.twiddles == nil) || (len(roots) > 0 && pl.roots == nil) {
		(&fftPlan{c: pl}).free()
		return nil, errors.New("fft: out of memory for a plan's twiddles")
	}
	return &fftPlan{c: pl, flops: 5 * float64(n) * math.Log2(float64(max(n, 2)))}, nil
}

// cFloats copies v, rounded to float32, into C memory (nil for an empty v).
func cFloats(v []float64) *C.float {
	if len(v) == 0 {
		return nil
	}
	p := (*C.float)(C.malloc(C.size_t(4 * len(v))))
	if p == nil {
		return nil
	}
	dst := unsafe.Slice((*float32)(unsafe.Pointer(p)), len(v))
	for i, x := range v {
		dst[i] = float32(x)
	}
	return p
}

func (p *fftPlan) free() {
	C.free(unsafe.Pointer(p.c.twiddles))
	C.free(unsafe.Pointer(p.c.roots))
	C.free(unsafe.Pointer(p.c))
}

// cpuFFT runs a multi-dimensional real FFT as passes over one axis at a time: real lines
// along the last axis (only the requested columns are ever formed), then complex
// transforms along each outer axis of those columns only. That pruning is what makes a full
// FFT competitive with the truncated DFT when a layer keeps few modes.
type cpuFFT struct {
	b      *Backend
	shape  backend.FFTShape
	plans  []*fftPlan // per axis; equal lengths share one
	active int        // the grids transformed (SetRows)
}

func (f *cpuFFT) SetRows(rows int) error {
	if err := backend.CheckRows(rows, f.shape.Batch); err != nil {
		return err
	}
	f.active = rows
	return nil
}

func (b *Backend) NewFFT(s backend.FFTShape) (backend.FFT, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	f := &cpuFFT{b: b, shape: backend.FFTShape{Batch: s.Batch, Dims: append([]int(nil), s.Dims...), Columns: s.Columns}, active: s.Batch}
	byLength := map[int]*fftPlan{}
	for _, n := range s.Dims {
		p, ok := byLength[n]
		if !ok {
			var err error
			if p, err = newFFTPlan(n); err != nil {
				f.Close()
				return nil, err
			}
			byLength[n] = p
		}
		f.plans = append(f.plans, p)
	}
	return f, nil
}

func (f *cpuFFT) Shape() backend.FFTShape {
	s := f.shape
	s.Dims = append([]int(nil), s.Dims...)
	return s
}

func (f *cpuFFT) Close() error {
	seen := map[*fftPlan]bool{}
	for _, p := range f.plans {
		if !seen[p] {
			p.free()
			seen[p] = true
		}
	}
	f.plans = nil
	return nil
}

var errFFTScratch = errors.New("fft: out of memory for transform scratch")

func (f *cpuFFT) Forward(ctx context.Context, spectrum, grid backend.Buffer) error {
	src, dst, err := f.operands(spectrum, grid)
	if err != nil {
		return err
	}
	if err := f.lines(ctx, false, src, dst); err != nil {
		return err
	}
	for a := len(f.shape.Dims) - 2; a >= 0; a-- {
		if err := f.axis(ctx, a, false, dst); err != nil {
			return err
		}
	}
	return nil
}

func (f *cpuFFT) Inverse(ctx context.Context, grid, spectrum backend.Buffer) error {
	dst, src, err := f.operands(spectrum, grid)
	if err != nil {
		return err
	}
	for a := range len(f.shape.Dims) - 1 {
		if err := f.axis(ctx, a, true, src); err != nil {
			return err
		}
	}
	return f.lines(ctx, true, dst, src)
}

func (f *cpuFFT) operands(spectrum, grid backend.Buffer) (*C.float, *C.fc_c32, error) {
	if f.plans == nil {
		return nil, nil, errors.New("fft: plan is closed")
	}
	if err := backend.CheckFFT(f.shape, spectrum, grid); err != nil {
		return nil, nil, err
	}
	gb, err := f.b.own(grid)
	if err != nil {
		return nil, nil, fmt.Errorf("fft: grid: %w", err)
	}
	sb, err := f.b.own(spectrum)
	if err != nil {
		return nil, nil, fmt.Errorf("fft: spectrum: %w", err)
	}
	return (*C.float)(gb.data()), (*C.fc_c32)(sb.data()), nil
}

// lines runs the real transforms along the last axis, two lines per vector lane.
func (f *cpuFFT) lines(ctx context.Context, inverse bool, grid *C.float, spectrum *C.fc_c32) error {
	s := f.shape
	last := len(s.Dims) - 1
	plan := f.plans[last]
	count := f.active * (s.GridLen() / s.Batch / s.Dims[last])
	perItem := 2 * int(C.fc_cpu_fft_lanes(C.int(f.b.variant)))
	items := int64((count + perItem - 1) / perItem)
	t := linesTasks.get()
	defer linesTasks.put(t)
	*t = linesTask{variant: C.int(f.b.variant), plan: plan.c, grid: grid, spectrum: spectrum, lines: C.int64_t(count),
		columns: C.int32_t(s.Columns), inverse: inverse}
	return fftError(f.b.parallel(ctx, items, float64(perItem/2)*plan.flops, t))
}

type linesTask struct {
	variant  C.int
	plan     *C.fc_fft_plan
	grid     *C.float
	spectrum *C.fc_c32
	lines    C.int64_t
	columns  C.int32_t
	inverse  bool
}

var linesTasks taskPool[linesTask]

func (t *linesTask) run(lo, hi int64) bool {
	if t.inverse {
		return C.fc_cpu_irfft_lines(t.variant, t.plan, t.spectrum, t.grid, t.lines, t.columns, C.int64_t(lo), C.int64_t(hi)) == 0
	}
	return C.fc_cpu_rfft_lines(t.variant, t.plan, t.grid, t.spectrum, t.lines, t.columns, C.int64_t(lo), C.int64_t(hi)) == 0
}

// fftError names the transform's scratch in a kernel's allocation failure.
func fftError(err error) error {
	if errors.Is(err, errScratch) {
		return errFFTScratch
	}
	return err
}

// axis runs the complex transforms along outer axis a of the spectrum, viewed as
// [outer, n_a, inner] with inner = the later outer extents times the columns.
func (f *cpuFFT) axis(ctx context.Context, a int, inverse bool, spectrum *C.fc_c32) error {
	s := f.shape
	outer, inner := f.active, s.Columns
	for _, n := range s.Dims[:a] {
		outer *= n
	}
	for _, n := range s.Dims[a+1 : len(s.Dims)-1] {
		inner *= n
	}
	lanes := int(C.fc_cpu_fft_lanes(C.int(f.b.variant)))
	groups := (inner + lanes - 1) / lanes
	plan, dir := f.plans[a], C.int(0)
	if inverse {
		dir = 1
	}
	t := axisTasks.get()
	defer axisTasks.put(t)
	*t = axisTask{variant: C.int(f.b.variant), plan: plan.c, spectrum: spectrum, inner: C.int64_t(inner), dir: dir}
	return fftError(f.b.parallel(ctx, int64(outer*groups), float64(lanes)*plan.flops, t))
}

type axisTask struct {
	variant  C.int
	plan     *C.fc_fft_plan
	spectrum *C.fc_c32
	inner    C.int64_t
	dir      C.int
}

var axisTasks taskPool[axisTask]

func (t *axisTask) run(lo, hi int64) bool {
	return C.fc_cpu_fft_axis(t.variant, t.plan, t.spectrum, t.inner, t.dir, C.int64_t(lo), C.int64_t(hi)) == 0
}

func (b *Backend) GatherModes(ctx context.Context, dst, src backend.Buffer, g backend.Gather) error {
	if err := backend.CheckGather(dst, src, g); err != nil {
		return err
	}
	pins := getPinSet()
	defer pins.release()
	ptrs, err := b.pinnedAll(pins, "gather modes", dst, src, g.Index)
	if err != nil {
		return err
	}
	index := unsafe.Slice((*int32)(ptrs[2]), g.DstLen)
	for j, i := range index {
		if int(i) >= g.SrcLen {
			return fmt.Errorf("gather modes: index[%d] = %d, past a source row of %d", j, i, g.SrcLen)
		}
	}
	t := gatherTasks.start(b.variant, gatherKernel)
	defer gatherTasks.put(t)
	t.args = C.fc_gather_modes_args{dst: (*C.fc_c32)(ptrs[0]), src: (*C.fc_c32)(ptrs[1]), index: (*C.int32_t)(ptrs[2]),
		srcLen: C.int64_t(g.SrcLen), dstLen: C.int64_t(g.DstLen), scale: C.float(g.Scale)}
	return b.parallel(ctx, int64(g.Rows), float64(2*g.DstLen), t)
}

var gatherTasks kernelPool[C.fc_gather_modes_args]

func gatherKernel(v C.int, a *C.fc_gather_modes_args, lo, hi C.int64_t) bool {
	C.fc_cpu_gather_modes(v, a, lo, hi)
	return true
}
