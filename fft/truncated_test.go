package fft

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// naiveDFT is X[k] = Σ x[n]·exp(−2πi·kn/N) in float64, straight from the definition.
func naiveDFT(x []float64, k int) complex128 {
	var s complex128
	for j, v := range x {
		s += complex(v, 0) * cmplx.Exp(complex(0, -2*math.Pi*float64(k*j)/float64(len(x))))
	}
	return s
}

// naiveIRFFT is NumPy's irfft(X, n) in float64: the Hermitian extension of X (zero above
// len(X)), with the imaginary parts of the DC and Nyquist bins dropped, inverse-transformed.
func naiveIRFFT(X []complex128, n int) []float64 {
	full := make([]complex128, n)
	for k := 0; k < len(X) && k <= n/2; k++ {
		v := X[k]
		if k == 0 || 2*k == n {
			v = complex(real(v), 0)
		}
		full[k] = v
		if k != 0 {
			full[n-k] = cmplx.Conj(v)
		}
	}
	out := make([]float64, n)
	for j := range n {
		var s complex128
		for k, v := range full {
			s += v * cmplx.Exp(complex(0, 2*math.Pi*float64(k*j)/float64(n)))
		}
		out[j] = real(s) / float64(n)
	}
	return out
}

func TestForwardMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, c := range []struct{ n, modes, batch int }{{1, 1, 1}, {8, 5, 3}, {9, 5, 2}, {64, 16, 4}, {1024, 16, 2}, {85, 12, 3}} {
		p, err := NewTruncatedReal(c.n, c.modes)
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float32, c.batch*c.n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		got := make([]complex64, c.batch*c.modes)
		if err := p.Forward(got, x, c.batch); err != nil {
			t.Fatal(err)
		}
		var num, den float64
		for b := range c.batch {
			row := make([]float64, c.n)
			for j := range row {
				row[j] = float64(x[b*c.n+j])
			}
			for k := range c.modes {
				want := naiveDFT(row, k)
				d := complex128(got[b*c.modes+k]) - want
				num += real(d)*real(d) + imag(d)*imag(d)
				den += real(want)*real(want) + imag(want)*imag(want)
			}
		}
		if e := math.Sqrt(num / den); e > 1e-6 {
			t.Errorf("n=%d modes=%d: relative L2 error %.3g against the float64 definition", c.n, c.modes, e)
		}
	}
}

// Complex spectral weights leave non-zero imaginary parts at DC and Nyquist; the inverse must
// drop them as NumPy does, or an FNO's output differs from PyTorch's.
func TestInverseFollowsNumPySemantics(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, c := range []struct{ n, modes int }{{8, 5}, {8, 3}, {9, 5}, {16, 9}, {1, 1}, {2, 2}} {
		p, err := NewTruncatedReal(c.n, c.modes)
		if err != nil {
			t.Fatal(err)
		}
		X := make([]complex64, c.modes)
		X64 := make([]complex128, c.modes)
		for k := range X {
			X[k] = complex(float32(rng.NormFloat64()), float32(rng.NormFloat64()))
			X64[k] = complex128(X[k])
		}
		got := make([]float32, c.n)
		if err := p.Inverse(got, X, 1); err != nil {
			t.Fatal(err)
		}
		want := naiveIRFFT(X64, c.n)
		for j := range want {
			if math.Abs(float64(got[j])-want[j]) > 1e-6*(1+math.Abs(want[j])) {
				t.Errorf("n=%d modes=%d: x[%d] = %g, want %g", c.n, c.modes, j, got[j], want[j])
			}
		}
	}
}

func TestFullRoundTrip(t *testing.T) {
	for _, n := range []int{6, 7, 32} {
		p, err := NewTruncatedReal(n, n/2+1)
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(math.Sin(float64(3*i)) + 0.25*float64(i%3))
		}
		X := make([]complex64, n/2+1)
		back := make([]float32, n)
		if err := p.Forward(X, x, 1); err != nil {
			t.Fatal(err)
		}
		if err := p.Inverse(back, X, 1); err != nil {
			t.Fatal(err)
		}
		for i := range x {
			if math.Abs(float64(back[i]-x[i])) > 1e-5 {
				t.Errorf("n=%d: round trip x[%d] = %g, want %g", n, i, back[i], x[i])
			}
		}
	}
}

func TestBadArguments(t *testing.T) {
	for _, c := range []struct{ n, modes int }{{0, 1}, {8, 0}, {8, 6}, {-3, 1}} {
		if _, err := NewTruncatedReal(c.n, c.modes); err == nil {
			t.Errorf("NewTruncatedReal(%d, %d) succeeded", c.n, c.modes)
		}
	}
	p, _ := NewTruncatedReal(8, 3)
	if err := p.Forward(make([]complex64, 3), make([]float32, 7), 1); err == nil {
		t.Error("forward of 7 values with length 8 succeeded")
	}
	if err := p.Inverse(make([]float32, 16), make([]complex64, 3), 2); err == nil {
		t.Error("inverse of one row of modes for batch 2 succeeded")
	}
	if err := p.Forward(nil, nil, 0); err == nil {
		t.Error("batch 0 succeeded")
	}
}
