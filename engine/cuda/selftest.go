//go:build cuda

package cuda

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/cpu"
	"github.com/fluxcore/fluxcore/internal/metrics"
)

// selfTest runs a small channel mixing and an inverse FFT of a non-Hermitian spectrum on the
// device and on the CPU backend, which shares the kernel math but not the compiler (nor
// cuFFT), and refuses a device whose results differ: a module that loaded but computes
// garbage must not be chosen over the CPU.
func selfTest(b *Backend) error {
	ctx := context.Background()
	s := backend.MixShape{Batch: 3, In: 5, Out: 4, Modes: 37}
	rng := rand.New(rand.NewPCG(3, 5))
	in, w := make([]complex64, s.InLen()), make([]complex64, s.WeightLen())
	for _, v := range [][]complex64{in, w} {
		for i := range v {
			v[i] = complex(float32(rng.NormFloat64()), float32(rng.NormFloat64()))
		}
	}
	host, err := cpu.New(cpu.Options{Workers: 1})
	if err != nil {
		return err
	}
	want, got := make([]complex64, s.OutLen()), make([]complex64, s.OutLen())
	if err := backend.SpectralMixHost(ctx, host, s, want, in, w); err != nil {
		return fmt.Errorf("self-test on the CPU: %w", err)
	}
	if err := backend.SpectralMixHost(ctx, b, s, got, in, w); err != nil {
		return fmt.Errorf("self-test: %w", err)
	}
	if e := metrics.RelL2Complex(got, want); !(e <= 1e-5) {
		return fmt.Errorf("self-test: spectral mix differs from the CPU backend (relative L2 error %.3g)", e)
	}

	fs := backend.FFTShape{Batch: 2, Dims: []int{6, 8}, Columns: 5}
	spectrum := make([]complex64, fs.SpectrumLen())
	for i := range spectrum {
		spectrum[i] = complex(float32(rng.NormFloat64()), float32(rng.NormFloat64()))
	}
	wantGrid, err := inverseFFT(ctx, host, fs, spectrum)
	if err != nil {
		return fmt.Errorf("self-test on the CPU: %w", err)
	}
	gotGrid, err := inverseFFT(ctx, b, fs, spectrum)
	if err != nil {
		return fmt.Errorf("self-test: %w", err)
	}
	if e := metrics.RelL2(gotGrid, wantGrid); !(e <= 1e-5) {
		return fmt.Errorf("self-test: inverse FFT differs from the CPU backend (relative L2 error %.3g)", e)
	}
	return nil
}

// inverseFFT runs one inverse transform of a spectrum with every column present.
func inverseFFT(ctx context.Context, b backend.Backend, s backend.FFTShape, spectrum []complex64) ([]float32, error) {
	f, err := b.NewFFT(s)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if f.Shape().Columns != s.Columns {
		return nil, fmt.Errorf("fft plan has %d columns, want %d", f.Shape().Columns, s.Columns)
	}
	spec, err := backend.FromHost(ctx, b, spectrum)
	if err != nil {
		return nil, err
	}
	defer b.Free(spec)
	grid, err := b.Alloc(backend.Float32, s.GridLen())
	if err != nil {
		return nil, err
	}
	defer b.Free(grid)
	if err := f.Inverse(ctx, grid, spec); err != nil {
		return nil, err
	}
	out := make([]float32, s.GridLen())
	return out, backend.Download(ctx, b, out, grid)
}
