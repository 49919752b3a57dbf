//go:build cuda

package cuda

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/mumax/3/cuda/cu"
	"github.com/mumax/3/cuda/cufft"

	"github.com/fluxcore/fluxcore/engine/backend"
)

// fftKey identifies a cuFFT plan pair: plans depend on the batch and the extents only.
// Unused axes are 0, which no real extent is, so the rank needs no field of its own.
type fftKey struct {
	batch int
	dims  [3]int
}

// fftPlans is the backend's cache of cuFFT plans, bound to its stream. Creating a plan
// allocates its work area and costs milliseconds, so a runner that is rebuilt for the same
// shape reuses them; they are destroyed with the backend.
type fftPlans struct {
	mu    sync.Mutex
	plans map[fftKey]*fftPair
}

type fftPair struct {
	r2c, c2r cufft.Handle
}

// plan returns the cached pair for s, creating it with the context current.
func (b *Backend) fftPlan(s backend.FFTShape) (*fftPair, error) {
	key := fftKey{batch: s.Batch}
	copy(key.dims[:], s.Dims)
	b.ffts.mu.Lock()
	defer b.ffts.mu.Unlock()
	if p, ok := b.ffts.plans[key]; ok {
		return p, nil
	}
	p := &fftPair{}
	err := b.do("cufftPlanMany", func() error {
		p.r2c = cufft.PlanMany(s.Dims, nil, 1, nil, 1, cufft.R2C, s.Batch)
		p.c2r = cufft.PlanMany(s.Dims, nil, 1, nil, 1, cufft.C2R, s.Batch)
		p.r2c.SetStream(b.stream)
		p.c2r.SetStream(b.stream)
		return nil
	})
	if err != nil {
		b.do("cufftDestroy", func() error { return b.destroyPair(p) })
		return nil, fmt.Errorf("cuda: plan FFT of %d × %v: %w", s.Batch, s.Dims, err)
	}
	if b.ffts.plans == nil {
		b.ffts.plans = map[fftKey]*fftPair{}
	}
	b.ffts.plans[key] = p
	return p, nil
}

func (b *Backend) destroyPair(p *fftPair) error {
	var errs []error
	for _, h := range []*cufft.Handle{&p.r2c, &p.c2r} {
		if *h != 0 {
			errs = append(errs, guard("cufftDestroy", func() { h.Destroy() }))
		}
	}
	return errors.Join(errs...)
}

// releaseFFTs destroys every cached plan; Close calls it with the context current.
func (b *Backend) releaseFFTs() error {
	b.ffts.mu.Lock()
	defer b.ffts.mu.Unlock()
	var errs []error
	for _, p := range b.ffts.plans {
		errs = append(errs, b.destroyPair(p))
	}
	b.ffts.plans = nil
	return errors.Join(errs...)
}

// cudaFFT runs one shape through cuFFT. cuFFT forms every column of the last axis, so its
// Shape has Columns = Half whatever was asked.
type cudaFFT struct {
	b     *Backend
	shape backend.FFTShape
	pair  *fftPair
	// input is a copy of the grid for R2C: cuFFT does not promise to leave the input of
	// every out-of-place transform intact, and a Fourier layer reads its input again.
	input backend.Buffer
}

func (b *Backend) NewFFT(s backend.FFTShape) (backend.FFT, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	s.Dims = append([]int(nil), s.Dims...)
	s.Columns = s.Half()
	pair, err := b.fftPlan(s)
	if err != nil {
		return nil, err
	}
	input, err := b.Alloc(backend.Float32, s.GridLen())
	if err != nil {
		return nil, fmt.Errorf("cuda: FFT input copy: %w", err)
	}
	return &cudaFFT{b: b, shape: s, pair: pair, input: input}, nil
}

// SetRows checks the count only: the plan transforms every grid of its batch, and cuFFT's
// grids do not mix, so the rows past it cost time but cannot touch the first.
func (f *cudaFFT) SetRows(rows int) error { return backend.CheckRows(rows, f.shape.Batch) }

func (f *cudaFFT) Shape() backend.FFTShape {
	s := f.shape
	s.Dims = append([]int(nil), s.Dims...)
	return s
}

func (f *cudaFFT) Close() error {
	if f.input == nil {
		return nil
	}
	err := f.b.Free(f.input)
	f.input = nil
	return err
}

func (f *cudaFFT) pointers(spectrum, grid backend.Buffer) (cu.DevicePtr, cu.DevicePtr, error) {
	if f.input == nil {
		return 0, 0, errors.New("fft: plan is closed")
	}
	if err := backend.CheckFFT(f.shape, spectrum, grid); err != nil {
		return 0, 0, err
	}
	sb, err := f.b.own(spectrum)
	if err != nil {
		return 0, 0, fmt.Errorf("fft: spectrum: %w", err)
	}
	gb, err := f.b.own(grid)
	if err != nil {
		return 0, 0, fmt.Errorf("fft: grid: %w", err)
	}
	return sb.ptr, gb.ptr, nil
}

func (f *cudaFFT) Forward(ctx context.Context, spectrum, grid backend.Buffer) error {
	spec, src, err := f.pointers(spectrum, grid)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	copyPtr := f.input.(*buffer).ptr
	return f.b.do("cufftExecR2C", func() error {
		cu.MemcpyDtoDAsync(copyPtr, src, 4*int64(f.shape.GridLen()), f.b.stream)
		f.pair.r2c.ExecR2C(copyPtr, spec)
		return nil
	})
}

func (f *cudaFFT) Inverse(ctx context.Context, grid, spectrum backend.Buffer) error {
	spec, dst, err := f.pointers(spectrum, grid)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s := f.shape
	n0, n1 := 1, 1
	switch len(s.Dims) {
	case 2:
		n0 = s.Dims[0]
	case 3:
		n0, n1 = s.Dims[0], s.Dims[1]
	}
	last := s.Dims[len(s.Dims)-1]
	columns, nyquist := 1, 0
	if last%2 == 0 && last > 1 {
		columns, nyquist = 2, s.Half()-1
	}
	threads := min(128, (n0*n1+31)/32*32)
	cfg := launchConfig{
		grid:   [3]int{(n0*n1 + threads - 1) / threads, columns, min(s.Batch, maxGridYZ)},
		block:  [3]int{threads, 1, 1},
		stream: f.b.stream,
	}
	return f.b.do("cufftExecC2R", func() error {
		f.b.kernels.launchFcHermitianColumns(cfg, fcHermitianColumnsArgs{
			Spectrum: spec, Batch: int32(s.Batch), N0: int32(n0), N1: int32(n1), Half: int32(s.Half()),
			Nyquist: int32(nyquist),
		})
		f.pair.c2r.ExecC2R(spec, dst)
		return nil
	})
}

func (b *Backend) GatherModes(ctx context.Context, dst, src backend.Buffer, g backend.Gather) error {
	if err := backend.CheckGather(dst, src, g); err != nil {
		return err
	}
	var ptrs [3]cu.DevicePtr
	for i, buf := range []backend.Buffer{dst, src, g.Index} {
		db, err := b.own(buf)
		if err != nil {
			return fmt.Errorf("gather modes: %w", err)
		}
		ptrs[i] = db.ptr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	threads := min(256, (g.DstLen+31)/32*32)
	cfg := launchConfig{
		grid:   [3]int{(g.DstLen + threads - 1) / threads, min(g.Rows, maxGridYZ), 1},
		block:  [3]int{threads, 1, 1},
		stream: b.stream,
	}
	return b.do("launch fc_gather_modes", func() error {
		b.kernels.launchFcGatherModes(cfg, fcGatherModesArgs{
			Src: ptrs[1], Dst: ptrs[0], Index: ptrs[2], Rows: int64(g.Rows), SrcLen: int64(g.SrcLen),
			DstLen: int64(g.DstLen), Scale: g.Scale,
		})
		return nil
	})
}
