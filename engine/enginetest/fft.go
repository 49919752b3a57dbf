package enginetest

import (
	"context"
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/internal/metrics"
)

// FFTTolerance is the largest relative L2 error of a float32 FFT against the float64 DFT.
const FFTTolerance = 2e-6

// fftCases cover every butterfly (radix 2, 3, 4, 5 and the generic odd one), lengths 1 and
// 2, odd and even last axes (the Nyquist column exists only for even ones), pruned and full
// column counts, and batches that leave vector lanes unused.
var fftCases = []backend.FFTShape{
	{Batch: 3, Dims: []int{1}, Columns: 1},
	{Batch: 5, Dims: []int{2}, Columns: 2},
	{Batch: 7, Dims: []int{12}, Columns: 7},
	{Batch: 33, Dims: []int{30}, Columns: 9},
	{Batch: 4, Dims: []int{47}, Columns: 24},
	{Batch: 9, Dims: []int{1024}, Columns: 16},
	{Batch: 2, Dims: []int{7 * 11 * 8}, Columns: 309},
	{Batch: 3, Dims: []int{15, 12}, Columns: 7},
	{Batch: 2, Dims: []int{94, 94}, Columns: 12},
	{Batch: 2, Dims: []int{16, 13}, Columns: 7},
	{Batch: 2, Dims: []int{6, 5, 8}, Columns: 3},
	{Batch: 1, Dims: []int{9, 7, 10}, Columns: 6},
}

func testFFT(t *testing.T, b backend.Backend) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(11, 12))
	for _, want := range fftCases {
		t.Run(fmt.Sprintf("%d×%v/%d", want.Batch, want.Dims, want.Columns), func(t *testing.T) { runFFTCase(t, b, rng, want) })
	}
	t.Run("Rows", func(t *testing.T) { testFFTRows(t, b, rng) })
	t.Run("Errors", func(t *testing.T) {
		for _, bad := range []backend.FFTShape{
			{Batch: 0, Dims: []int{8}, Columns: 1},
			{Batch: 1, Dims: []int{8}, Columns: 6},
			{Batch: 1, Dims: []int{}, Columns: 1},
			{Batch: 1, Dims: []int{2, 2, 2, 2}, Columns: 1},
			{Batch: 1, Dims: []int{4, 0}, Columns: 1},
		} {
			if f, err := b.NewFFT(bad); err == nil {
				f.Close()
				t.Errorf("NewFFT(%+v) succeeded", bad)
			}
		}
		s := backend.FFTShape{Batch: 2, Dims: []int{8}, Columns: 5}
		f, err := b.NewFFT(s)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		s = f.Shape()
		grid := alloc(t, b, backend.Float32, s.GridLen())
		if err := f.Forward(ctx, alloc(t, b, backend.Complex64, s.SpectrumLen()+1), grid); err == nil {
			t.Error("forward into a spectrum of the wrong length succeeded")
		}
		if err := f.Inverse(ctx, alloc(t, b, backend.Float32, s.GridLen()-1), alloc(t, b, backend.Complex64, s.SpectrumLen())); err == nil {
			t.Error("inverse into a grid of the wrong length succeeded")
		}
	})
}

// runFFTCase plans want on b and holds both directions to the float64 DFT.
func runFFTCase(t *testing.T, b backend.Backend, rng *rand.Rand, want backend.FFTShape) {
	ctx := context.Background()
	f, err := b.NewFFT(want)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := f.Shape()
	if s.Batch != want.Batch || fmt.Sprint(s.Dims) != fmt.Sprint(want.Dims) || s.Columns < want.Columns || s.Columns > s.Half() {
		t.Fatalf("plan shape %+v does not cover the request %+v", s, want)
	}
	// Forward against the float64 DFT of the same float32 grid.
	grid := randomFloats(rng, s.GridLen(), 1)
	spectrum := alloc(t, b, backend.Complex64, s.SpectrumLen())
	if err := f.Forward(ctx, spectrum, upload(t, b, grid)); err != nil {
		t.Fatal(err)
	}
	if e := metrics.RelL2Complex(download[complex64](t, b, spectrum), rfftnReference(grid, s)); e > FFTTolerance {
		t.Errorf("%+v forward: relative L2 error %.3g > %.1g", s, e, FFTTolerance)
	}
	// Inverse of a spectrum that is not Hermitian anywhere, as complex weights make it.
	modes := randomComplex(rng, s.SpectrumLen())
	out := alloc(t, b, backend.Float32, s.GridLen())
	if err := f.Inverse(ctx, out, upload(t, b, modes)); err != nil {
		t.Fatal(err)
	}
	if e := metrics.RelL2(download[float32](t, b, out), irfftnReference(modes, s)); e > FFTTolerance {
		t.Errorf("%+v inverse: relative L2 error %.3g > %.1g", s, e, FFTTolerance)
	}
}

func testGatherModes(t *testing.T, b backend.Backend) {
	rng := rand.New(rand.NewPCG(13, 14))
	const rows, srcLen, dstLen = 37, 50, 21
	runGather(t, b, rng, rows, srcLen, dstLen)
	g := backend.Gather{Rows: rows, SrcLen: srcLen, DstLen: dstLen, Index: upload(t, b, make([]int32, dstLen-1))}
	dst, src := alloc(t, b, backend.Complex64, rows*dstLen), alloc(t, b, backend.Complex64, rows*srcLen)
	if err := b.GatherModes(context.Background(), dst, src, g); err == nil {
		t.Error("gather with a short index succeeded")
	}
}

// runGather gathers dstLen of srcLen entries per row through a random index, about one in
// six of its entries negative (a zero), and checks every entry.
func runGather(t *testing.T, b backend.Backend, rng *rand.Rand, rows, srcLen, dstLen int) {
	index := make([]int32, dstLen)
	for j := range index {
		index[j] = int32(rng.IntN(srcLen+srcLen/5+1)) - int32(srcLen/5+1)
	}
	src := randomComplex(rng, rows*srcLen)
	dst := alloc(t, b, backend.Complex64, rows*dstLen)
	g := backend.Gather{Rows: rows, SrcLen: srcLen, DstLen: dstLen, Index: upload(t, b, index), Scale: 0.25}
	if err := b.GatherModes(context.Background(), dst, upload(t, b, src), g); err != nil {
		t.Fatal(err)
	}
	got := download[complex64](t, b, dst)
	for r := range rows {
		for j, i := range index {
			want := complex64(0)
			if i >= 0 {
				want = 0.25 * src[r*srcLen+int(i)]
			}
			if got[r*dstLen+j] != want {
				t.Fatalf("%d rows %d→%d: row %d entry %d (index %d): got %v, want %v", rows, srcLen, dstLen, r, j, i, got[r*dstLen+j], want)
			}
		}
	}
}

// rfftnReference is numpy.fft.rfftn in float64, keeping s.Columns columns.
func rfftnReference(grid []float32, s backend.FFTShape) []complex128 {
	x := make([]complex128, len(grid))
	for i, v := range grid {
		x[i] = complex(float64(v), 0)
	}
	for a := range s.Dims {
		dftAxis(x, s, a, -1)
	}
	return keepColumns(x, s)
}

// irfftnReference is numpy.fft.irfftn times the number of points: complex inverse DFTs on the
// outer axes, then the last axis extended Hermitian from the real parts of its DC and
// Nyquist columns.
func irfftnReference(modes []complex64, s backend.FFTShape) []float64 {
	n := s.Dims[len(s.Dims)-1]
	full := make([]complex128, s.GridLen())
	lines := s.GridLen() / n
	for l := range lines {
		for k := range s.Columns {
			full[l*n+k] = complex128(modes[l*s.Columns+k])
		}
	}
	for a := range len(s.Dims) - 1 {
		dftAxis(full, s, a, +1)
	}
	for l := range lines {
		line := full[l*n:][:n]
		line[0] = complex(real(line[0]), 0)
		if n%2 == 0 {
			line[n/2] = complex(real(line[n/2]), 0)
		}
		for k := n/2 + 1; k < n; k++ {
			line[k] = cmplx.Conj(line[n-k])
		}
	}
	dftAxis(full, s, len(s.Dims)-1, +1)
	out := make([]float64, len(full))
	for i, v := range full {
		out[i] = real(v)
	}
	return out
}

// dftAxis replaces x (a [Batch, Dims...] tensor) by its DFT along axis a with
// e^{sign·2πi·jk/n}, computed directly.
func dftAxis(x []complex128, s backend.FFTShape, a, sign int) {
	n := s.Dims[a]
	inner := 1
	for _, d := range s.Dims[a+1:] {
		inner *= d
	}
	line := make([]complex128, n)
	for o := 0; o < len(x); o += n * inner {
		for c := range inner {
			for k := range n {
				var sum complex128
				for j := range n {
					sum += x[o+j*inner+c] * cmplx.Rect(1, float64(sign)*2*math.Pi*float64(j*k%n)/float64(n))
				}
				line[k] = sum
			}
			for k := range n {
				x[o+k*inner+c] = line[k]
			}
		}
	}
}

func keepColumns(x []complex128, s backend.FFTShape) []complex128 {
	n := s.Dims[len(s.Dims)-1]
	out := make([]complex128, 0, s.SpectrumLen())
	for l := 0; l < len(x); l += n {
		out = append(out, x[l:l+s.Columns]...)
	}
	return out
}

// testFFTRows: after SetRows(k), the first k grids transform as they do alone, against
// the float64 DFT, whatever the other grids hold: NaN there must not reach them (the CPU
// pairs lines, and a stale NaN line paired with a live one would poison it).
func testFFTRows(t *testing.T, b backend.Backend, rng *rand.Rand) {
	ctx := context.Background()
	for _, want := range []backend.FFTShape{{Batch: 5, Dims: []int{9}, Columns: 3}, {Batch: 4, Dims: []int{5, 6}, Columns: 2}, {Batch: 3, Dims: []int{3, 4, 5}, Columns: 2}} {
		f, err := b.NewFFT(want)
		if err != nil {
			t.Fatal(err)
		}
		s := f.Shape()
		const rows = 1
		if err := f.SetRows(rows); err != nil {
			t.Fatal(err)
		}
		live := randomFloats(rng, s.GridLen()/s.Batch*rows, 1)
		grid := append(slices.Clone(live), make([]float32, s.GridLen()-len(live))...)
		for i := len(live); i < len(grid); i++ {
			grid[i] = float32(math.NaN())
		}
		spectrum := alloc(t, b, backend.Complex64, s.SpectrumLen())
		if err := f.Forward(ctx, spectrum, upload(t, b, grid)); err != nil {
			t.Fatal(err)
		}
		one := s
		one.Batch = rows
		got := download[complex64](t, b, spectrum)[:one.SpectrumLen()]
		if e := metrics.RelL2Complex(got, rfftnReference(live, one)); !(e <= FFTTolerance) {
			t.Errorf("%+v, first %d grids: forward relative L2 error %.3g > %.1g", s, rows, e, FFTTolerance)
		}
		modes := append(randomComplex(rng, one.SpectrumLen()), make([]complex64, s.SpectrumLen()-one.SpectrumLen())...)
		for i := one.SpectrumLen(); i < len(modes); i++ {
			modes[i] = complex(float32(math.NaN()), 0)
		}
		out := alloc(t, b, backend.Float32, s.GridLen())
		if err := f.Inverse(ctx, out, upload(t, b, modes)); err != nil {
			t.Fatal(err)
		}
		if e := metrics.RelL2(download[float32](t, b, out)[:one.GridLen()], irfftnReference(modes[:one.SpectrumLen()], one)); !(e <= FFTTolerance) {
			t.Errorf("%+v, first %d grids: inverse relative L2 error %.3g > %.1g", s, rows, e, FFTTolerance)
		}
		for _, bad := range []int{0, s.Batch + 1} {
			if err := f.SetRows(bad); err == nil {
				t.Errorf("%+v: SetRows(%d) succeeded", s, bad)
			}
		}
		f.Close()
	}
}
