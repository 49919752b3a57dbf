package fft

import (
	"context"
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/cpu"
	"github.com/fluxcore/fluxcore/internal/metrics"
	"gonum.org/v1/gonum/dsp/fourier"
)

// refForward is the kept part of rfftn from the definition, in float64:
// X[k] = Σ_x g[x]·e^{−2πi Σ_a f_a(k)·x_a / n_a}, with f the kept frequency of each axis.
func refForward(g []float32, dims []int, keep [][]int, m int) []complex128 {
	freqs := append(append([][]int(nil), keep...), iota(m))
	out := make([]complex128, 0)
	forEach(freqs, func(f []int) {
		var acc complex128
		forEach(ranges(dims), func(x []int) {
			phase := 0.0
			for a := range dims {
				phase += float64(f[a]*x[a]%dims[a]) / float64(dims[a])
			}
			acc += complex(float64(g[flat(x, dims)]), 0) * cmplx.Exp(complex(0, -2*math.Pi*phase))
		})
		out = append(out, acc)
	})
	return out
}

// refInverse is irfftn of a spectrum that is zero outside the kept modes, following NumPy:
// inverse complex DFTs on the outer axes, then a c2r on the last axis that reads only the real
// parts of its DC and Nyquist bins.
func refInverse(z []complex64, dims []int, keep [][]int, m int) []float64 {
	freqs := append(append([][]int(nil), keep...), iota(m))
	out := make([]float64, 0)
	last := dims[len(dims)-1]
	forEach(ranges(dims), func(x []int) {
		var acc float64
		i := 0
		forEach(freqs, func(f []int) {
			v := complex128(z[i])
			i++
			phase := 0.0
			for a := range len(dims) - 1 {
				phase += float64(f[a]*x[a]%dims[a]) / float64(dims[a])
			}
			// The outer inverses first: v·e^{+iφ} is this mode's contribution to the
			// last-axis spectrum at this outer position.
			v *= cmplx.Exp(complex(0, 2*math.Pi*phase))
			k := f[len(f)-1]
			theta := 2 * math.Pi * float64(k*x[len(x)-1]%last) / float64(last)
			if k == 0 || 2*k == last {
				acc += real(v) * math.Cos(theta)
			} else {
				acc += 2 * real(v*cmplx.Exp(complex(0, theta)))
			}
		})
		n := 1
		for _, d := range dims {
			n *= d
		}
		out = append(out, acc/float64(n))
	})
	return out
}

func iota(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func ranges(dims []int) [][]int {
	r := make([][]int, len(dims))
	for a, d := range dims {
		r[a] = iota(d)
	}
	return r
}

// forEach calls f with every combination of one value per list, the last list fastest.
func forEach(lists [][]int, f func([]int)) {
	idx := make([]int, len(lists))
	cur := make([]int, len(lists))
	for {
		for a := range lists {
			cur[a] = lists[a][idx[a]]
		}
		f(cur)
		a := len(lists) - 1
		for ; a >= 0; a-- {
			idx[a]++
			if idx[a] < len(lists[a]) {
				break
			}
			idx[a] = 0
		}
		if a < 0 {
			return
		}
	}
}

func flat(x, dims []int) int {
	i := 0
	for a := range dims {
		i = i*dims[a] + x[a]
	}
	return i
}

type spectralCase struct {
	name    string
	dims    []int
	keep    [][]int
	m       int
	inverse [][]int // nil: the same as keep
}

func spectralCases() []spectralCase {
	return []spectralCase{
		{"1d", []int{64}, nil, 8, nil},
		{"1d odd length", []int{15}, nil, 8, nil},
		{"1d with Nyquist", []int{10}, nil, 6, nil},
		{"2d corners padded", []int{33, 33}, [][]int{Corners(33, 6)}, 6, nil},
		{"2d Nyquist on last axis", []int{6, 8}, [][]int{Corners(6, 2)}, 5, nil},
		{"2d centered", []int{12, 10}, [][]int{shiftedForward(12, 6)}, 4, nil},
		{"2d shifted, odd outer axis", []int{11, 10}, [][]int{shiftedForward(11, 6)}, 4, [][]int{shiftedInverse(11, 6)}},
		{"3d shifted, odd modes", []int{12, 9, 8}, [][]int{shiftedForward(12, 5), shiftedForward(9, 5)}, 3,
			[][]int{shiftedInverse(12, 5), shiftedInverse(9, 5)}},
		{"3d corners", []int{8, 6, 10}, [][]int{Corners(8, 2), Corners(6, 2)}, 3, nil},
	}
}

func shiftedForward(n, modes int) []int { f, _ := ShiftedCenter(n, modes); return f }
func shiftedInverse(n, modes int) []int { _, i := ShiftedCenter(n, modes); return i }

// TestShiftedCenterReplaysNeuralop replays neuraloperator's index arithmetic on arrays:
// fftshift (a roll by ⌊n/2⌋), the slice [s//2 : −(−s//2)] in Python's floor division,
// scatter into a zero spectrum, fftshift again, and reads off where each slot went.
func TestShiftedCenterReplaysNeuralop(t *testing.T) {
	roll := func(x []int, k int) []int {
		out := make([]int, len(x))
		for i := range x {
			out[(i+k)%len(x)] = x[i]
		}
		return out
	}
	for n := 1; n <= 13; n++ {
		for modes := 1; modes <= n; modes++ {
			s := n - modes
			lo, hi := s/2, n-(s+1)/2
			if s == 0 {
				lo, hi = 0, n
			}
			shifted := roll(iota(n), n/2)
			wantFwd := shifted[lo:hi]
			slot := make([]int, n)
			for i := range slot {
				slot[i] = -1
			}
			for j := range hi - lo {
				slot[lo+j] = j
			}
			slot = roll(slot, n/2)
			wantInv := make([]int, modes)
			for bin, j := range slot {
				if j >= 0 {
					wantInv[j] = bin
				}
			}
			fwd, inv := ShiftedCenter(n, modes)
			if fmt.Sprint(fwd) != fmt.Sprint(wantFwd) || fmt.Sprint(inv) != fmt.Sprint(wantInv) {
				t.Errorf("ShiftedCenter(%d, %d) = %v, %v; the replay gives %v, %v", n, modes, fwd, inv, wantFwd, wantInv)
			}
		}
	}
}

func newCPU(t testing.TB) backend.Backend {
	b, err := cpu.New(cpu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSpectralAgainstDefinition(t *testing.T) {
	ctx := context.Background()
	b := newCPU(t)
	rng := rand.New(rand.NewPCG(4, 4))
	for _, c := range spectralCases() {
		for _, method := range methods {
			t.Run(c.name+"/"+string(method), func(t *testing.T) {
				inverse := c.inverse
				if inverse == nil {
					inverse = c.keep
				}
				plan, err := NewSpectralPair(c.dims, c.keep, inverse, c.m)
				if err != nil {
					t.Fatal(err)
				}
				const rows = 3
				bound, err := plan.Bind(ctx, b, rows, method)
				if err != nil {
					t.Fatal(err)
				}
				defer bound.Close()

				grid := make([]float32, rows*plan.Points())
				for i := range grid {
					grid[i] = float32(rng.NormFloat64())
				}
				gridBuf, _ := backend.FromHost(ctx, b, grid)
				modesBuf, _ := b.Alloc(backend.Complex64, rows*plan.Modes())
				if err := bound.Forward(ctx, modesBuf, gridBuf); err != nil {
					t.Fatal(err)
				}
				got := make([]complex64, rows*plan.Modes())
				backend.Download(ctx, b, got, modesBuf)
				var want []complex128
				for r := range rows {
					want = append(want, refForward(grid[r*plan.Points():(r+1)*plan.Points()], c.dims, c.keep, c.m)...)
				}
				if e := metrics.RelL2Complex(got, want); !(e <= 1e-6) {
					t.Errorf("forward: relative L2 error %.3g against the float64 definition", e)
				}

				// The inverse on a random, non-Hermitian spectrum: DC and Nyquist carry
				// imaginary parts that NumPy's irfftn ignores.
				spec := make([]complex64, rows*plan.Modes())
				for i := range spec {
					spec[i] = complex(float32(rng.NormFloat64()), float32(rng.NormFloat64()))
				}
				specBuf, _ := backend.FromHost(ctx, b, spec)
				outBuf, _ := b.Alloc(backend.Float32, rows*plan.Points())
				if err := bound.Inverse(ctx, outBuf, specBuf); err != nil {
					t.Fatal(err)
				}
				out := make([]float32, rows*plan.Points())
				backend.Download(ctx, b, out, outBuf)
				var wantGrid []float64
				for r := range rows {
					wantGrid = append(wantGrid, refInverse(spec[r*plan.Modes():(r+1)*plan.Modes()], c.dims, inverse, c.m)...)
				}
				if e := metrics.RelL2(out, wantGrid); !(e <= 1e-6) {
					t.Errorf("inverse: relative L2 error %.3g against NumPy's irfftn semantics", e)
				}
			})
		}
	}
}

// methods are the ways a plan can be bound; every test of a bound plan runs each.
var methods = []Method{TruncatedDFT, FullFFT}

// Ignoring the imaginary part of the Nyquist bin is observable: a spectrum with only that
// part set must invert to zero, and one with only the DC imaginary part too.
func TestSpectralInverseDropsImaginaryDCAndNyquist(t *testing.T) {
	for _, method := range methods {
		t.Run(string(method), func(t *testing.T) { testDropsImaginary(t, method) })
	}
}

func testDropsImaginary(t *testing.T, method Method) {
	ctx := context.Background()
	b := newCPU(t)
	plan, err := NewSpectral([]int{4, 8}, [][]int{Corners(4, 1)}, 5)
	if err != nil {
		t.Fatal(err)
	}
	bound, err := plan.Bind(ctx, b, 1, method)
	if err != nil {
		t.Fatal(err)
	}
	defer bound.Close()
	spec := make([]complex64, plan.Modes())
	spec[0] = 3i // k1 = 0, k2 = 0 (DC)
	spec[4] = 2i // k1 = 0, k2 = 4 (Nyquist)
	specBuf, _ := backend.FromHost(ctx, b, spec)
	outBuf, _ := b.Alloc(backend.Float32, plan.Points())
	if err := bound.Inverse(ctx, outBuf, specBuf); err != nil {
		t.Fatal(err)
	}
	out := make([]float32, plan.Points())
	backend.Download(ctx, b, out, outBuf)
	for i, v := range out {
		if math.Abs(float64(v)) > 1e-7 {
			t.Fatalf("grid[%d] = %g from purely imaginary DC and Nyquist bins, want 0", i, v)
		}
	}
}

func TestSpectralErrors(t *testing.T) {
	for _, c := range []struct {
		dims []int
		keep [][]int
		m    int
		want string
	}{
		{[]int{8, 8, 8, 8}, nil, 2, "4 dimensions"},
		{[]int{16}, nil, 10, "10 modes on the last axis of length 16, want 1..9"},
		{[]int{8, 16}, [][]int{Corners(8, 5)}, 4, "each must be distinct"},
		{[]int{8, 16}, nil, 4, "needs kept frequencies for 1 outer axes"},
		{[]int{0}, nil, 1, "axis 0 has extent 0"},
	} {
		_, err := NewSpectral(c.dims, c.keep, c.m)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v keep %v m %d: got %v, want an error containing %q", c.dims, c.keep, c.m, err, c.want)
		}
	}
	ctx := context.Background()
	b := newCPU(t)
	plan, _ := NewSpectral([]int{16}, nil, 4)
	for _, method := range methods {
		bound, err := plan.Bind(ctx, b, 2, method)
		if err != nil {
			t.Fatal(err)
		}
		defer bound.Close()
		modes, _ := b.Alloc(backend.Complex64, 8)
		short, _ := b.Alloc(backend.Float32, 31)
		if err := bound.Forward(ctx, modes, short); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("must be %d float32", 32)) {
			t.Errorf("%s: short grid: got %v", method, err)
		}
	}
	if _, err := plan.Bind(ctx, b, 0, TruncatedDFT); err == nil {
		t.Error("binding for 0 rows succeeded")
	}
	if _, err := ParseMethod("fast"); err == nil || !strings.Contains(err.Error(), `"fast"`) {
		t.Errorf("ParseMethod(fast): got %v", err)
	}
}

// The cost model keeps few modes of a short grid on the truncated DFT and moves many modes
// of a long one to the FFT; neither depends on anything but the shapes.
func TestChoose(t *testing.T) {
	few, _ := NewSpectral([]int{64, 64}, [][]int{Corners(64, 4)}, 4)
	if e := few.Choose(backend.KindCPU); e.Method != TruncatedDFT {
		t.Errorf("64×64 keeping 8×4 modes: chose %s (%+v), want the truncated DFT", e.Method, e)
	}
	many, _ := NewSpectral([]int{4096}, nil, 1024)
	if e := many.Choose(backend.KindCPU); e.Method != FullFFT {
		t.Errorf("4096 points keeping 1024 modes: chose %s (%+v), want the FFT", e.Method, e)
	}
}

// At the Burgers layer's size the forward transform agrees with gonum's FFTPACK real FFT (an
// independent float64 implementation) on the kept modes, and the inverse of those modes with
// gonum's inverse of the zero-filled spectrum.
func TestSpectral1DAgainstGonum(t *testing.T) {
	b := newCPU(t)
	plan, err := NewSpectral([]int{1024}, nil, 16)
	if err != nil {
		t.Fatal(err)
	}
	for _, method := range methods {
		t.Run(string(method), func(t *testing.T) { testAgainstGonum(t, b, plan, method) })
	}
}

func testAgainstGonum(t *testing.T, b backend.Backend, plan *Spectral, method Method) {
	const n, m, rows = 1024, 16, 4
	ctx := context.Background()
	bound, err := plan.Bind(ctx, b, rows, method)
	if err != nil {
		t.Fatal(err)
	}
	defer bound.Close()
	rng := rand.New(rand.NewPCG(8, 8))
	grid := make([]float32, rows*n)
	for i := range grid {
		grid[i] = float32(rng.NormFloat64())
	}
	gridBuf, _ := backend.FromHost(ctx, b, grid)
	modesBuf, _ := b.Alloc(backend.Complex64, rows*m)
	if err := bound.Forward(ctx, modesBuf, gridBuf); err != nil {
		t.Fatal(err)
	}
	modes := make([]complex64, rows*m)
	backend.Download(ctx, b, modes, modesBuf)
	outBuf, _ := b.Alloc(backend.Float32, rows*n)
	if err := bound.Inverse(ctx, outBuf, modesBuf); err != nil {
		t.Fatal(err)
	}
	out := make([]float32, rows*n)
	backend.Download(ctx, b, out, outBuf)

	ref := fourier.NewFFT(n)
	var wantModes []complex128
	var wantGrid []float64
	for r := range rows {
		seq := make([]float64, n)
		for j := range seq {
			seq[j] = float64(grid[r*n+j])
		}
		coeff := ref.Coefficients(nil, seq)
		wantModes = append(wantModes, coeff[:m]...)
		for k := m; k < len(coeff); k++ {
			coeff[k] = 0
		}
		for _, v := range ref.Sequence(nil, coeff) { // unnormalized, like FFTPACK
			wantGrid = append(wantGrid, v/n)
		}
	}
	if e := metrics.RelL2Complex(modes, wantModes); !(e <= 1e-6) {
		t.Errorf("forward: relative L2 error %.3g against gonum", e)
	}
	if e := metrics.RelL2(out, wantGrid); !(e <= 1e-6) {
		t.Errorf("inverse: relative L2 error %.3g against gonum", e)
	}
}

// After SetRows(k), a transform gives the first k rows as it gives them when it transforms
// every row, and out-of-range counts are refused. The truncated DFT matches bit for bit.
// The full FFT still transforms every bound row, and the CPU's pairs rows, so a row's last
// bits depend on its neighbour's data: it must match to float32 rounding.
func TestSetRowsTransformsTheFirstRows(t *testing.T) {
	b := newCPU(t)
	ctx := context.Background()
	dims := []int{12, 10}
	plan, err := NewSpectral(dims, [][]int{{0, 1, 2, 9, 10, 11}}, 4)
	if err != nil {
		t.Fatal(err)
	}
	const bound, active = 7, 3
	points, modes := plan.Points(), plan.Modes()
	rng := rand.New(rand.NewPCG(5, 6))
	grid := make([]float32, bound*points)
	for i := range grid {
		grid[i] = float32(rng.NormFloat64())
	}
	run := func(method Method, rows, use int) (fwd []complex64, inv []float32) {
		tr, err := plan.Bind(ctx, b, rows, method)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		if err := tr.SetRows(use); err != nil {
			t.Fatal(err)
		}
		gridBuf, _ := backend.FromHost(ctx, b, grid[:rows*points])
		modesBuf, _ := b.Alloc(backend.Complex64, rows*modes)
		outBuf, _ := b.Alloc(backend.Float32, rows*points)
		defer backend.FreeAll(b, gridBuf, modesBuf, outBuf)
		if err := tr.Forward(ctx, modesBuf, gridBuf); err != nil {
			t.Fatal(err)
		}
		fwd = make([]complex64, rows*modes)
		backend.Download(ctx, b, fwd, modesBuf)
		if err := tr.Inverse(ctx, outBuf, modesBuf); err != nil {
			t.Fatal(err)
		}
		inv = make([]float32, rows*points)
		backend.Download(ctx, b, inv, outBuf)
		return fwd[:use*modes], inv[:use*points]
	}
	for _, method := range methods {
		gotF, gotI := run(method, bound, active)
		wantF, wantI := run(method, bound, bound)
		wantF, wantI = wantF[:active*modes], wantI[:active*points]
		if method == TruncatedDFT {
			if !slices.Equal(gotF, wantF) || !slices.Equal(gotI, wantI) {
				t.Errorf("%s: the first %d rows differ from a transform of every row", method, active)
			}
		} else if ef, ei := metrics.RelL2Complex(gotF, wantF), metrics.RelL2(gotI, wantI); ef > 1e-5 || ei > 1e-5 {
			t.Errorf("%s: the first %d rows differ from a transform of every row: relative L2 %.2g forward, %.2g inverse", method, active, ef, ei)
		}
		tr, _ := plan.Bind(ctx, b, bound, method)
		for _, rows := range []int{0, bound + 1} {
			if err := tr.SetRows(rows); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d rows, the plan is made for 1..%d", rows, bound)) {
				t.Errorf("%s: SetRows(%d): %v", method, rows, err)
			}
		}
		tr.Close()
	}
}
