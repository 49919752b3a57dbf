// Package fft holds fluxcore's Fourier-transform plans. The first is TruncatedReal, a real
// DFT restricted to the lowest modes and computed as one matrix product. A Fourier layer that
// keeps m of n modes needs only those, so the product costs O(n·m) per row rather than a
// full FFT's O(n log n) plus the discarded modes. That wins when m is small, and batching
// turns the work into one well-shaped GEMM.
package fft

import (
	"fmt"
	"math"
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// TruncatedReal is a plan for the real DFT of length N along the last axis, restricted to
// modes k = 0..M−1:
//
//	Forward:  X[k] = Σₙ x[n]·e^{−2πi·kn/N}                               (unnormalized)
//	Inverse:  x[n] = (1/N)·Σ_{k<M} cₖ·Re(X[k]·e^{2πi·kn/N})               (NumPy's irfft)
//
// where cₖ = 1 for k = 0 and for the Nyquist mode k = N/2 of even N, and 2 otherwise. As
// in NumPy and PyTorch on the CPU, the inverse ignores the imaginary parts of the DC and
// Nyquist modes. Modes at or above M count as zero. A plan is immutable and safe for
// concurrent use.
type TruncatedReal struct {
	n, modes int
	// forward is N × 2M: row n holds (cos θ, −sin θ) for each k, θ = 2π·kn/N, so that
	// x · forward yields interleaved complex X directly.
	forward []float32
	// inverse is 2M × N: rows 2k and 2k+1 hold cₖ·cos θ/N and −cₖ·sin θ/N.
	inverse []float32
}

// NewTruncatedReal makes a plan for length n keeping modes 0..modes−1; modes ≤ n/2+1.
func NewTruncatedReal(n, modes int) (*TruncatedReal, error) {
	if n < 1 {
		return nil, fmt.Errorf("fft: truncated real DFT: length %d, want ≥ 1", n)
	}
	if modes < 1 || modes > n/2+1 {
		return nil, fmt.Errorf("fft: truncated real DFT of length %d: %d modes, want 1..%d", n, modes, n/2+1)
	}
	p := &TruncatedReal{n: n, modes: modes, forward: make([]float32, n*2*modes), inverse: make([]float32, 2*modes*n)}
	for k := range modes {
		weight := 2.0
		if k == 0 || 2*k == n {
			weight = 1
		}
		for j := range n {
			// kn mod N keeps the angle in [0, 2π), where float64 sin/cos are exact to an ulp.
			theta := 2 * math.Pi * float64((k*j)%n) / float64(n)
			c, s := math.Cos(theta), math.Sin(theta)
			p.forward[j*2*modes+2*k] = float32(c)
			p.forward[j*2*modes+2*k+1] = float32(-s)
			p.inverse[(2*k)*n+j] = float32(weight * c / float64(n))
			p.inverse[(2*k+1)*n+j] = float32(-weight * s / float64(n))
		}
	}
	return p, nil
}

// Len is N; Modes is M.
func (p *TruncatedReal) Len() int   { return p.n }
func (p *TruncatedReal) Modes() int { return p.modes }

// Flops is the floating-point work of one direction over batch rows.
func (p *TruncatedReal) Flops(batch int) float64 {
	return 2 * float64(batch) * float64(p.n) * float64(2*p.modes)
}

// Forward transforms batch rows of N reals in src into batch rows of M modes in dst.
func (p *TruncatedReal) Forward(dst []complex64, src []float32, batch int) error {
	if err := p.check("forward", batch, len(src), p.n, len(dst), p.modes); err != nil {
		return err
	}
	blas32.Gemm(blas.NoTrans, blas.NoTrans, 1,
		blas32.General{Rows: batch, Cols: p.n, Stride: p.n, Data: src},
		blas32.General{Rows: p.n, Cols: 2 * p.modes, Stride: 2 * p.modes, Data: p.forward},
		0, blas32.General{Rows: batch, Cols: 2 * p.modes, Stride: 2 * p.modes, Data: interleaved(dst)})
	return nil
}

// Inverse transforms batch rows of M modes in src into batch rows of N reals in dst.
func (p *TruncatedReal) Inverse(dst []float32, src []complex64, batch int) error {
	if err := p.check("inverse", batch, len(src), p.modes, len(dst), p.n); err != nil {
		return err
	}
	blas32.Gemm(blas.NoTrans, blas.NoTrans, 1,
		blas32.General{Rows: batch, Cols: 2 * p.modes, Stride: 2 * p.modes, Data: interleaved(src)},
		blas32.General{Rows: 2 * p.modes, Cols: p.n, Stride: p.n, Data: p.inverse},
		0, blas32.General{Rows: batch, Cols: p.n, Stride: p.n, Data: dst})
	return nil
}

func (p *TruncatedReal) check(dir string, batch, srcLen, srcRow, dstLen, dstRow int) error {
	if batch < 1 {
		return fmt.Errorf("fft: truncated real DFT %s: batch %d, want ≥ 1", dir, batch)
	}
	if srcLen != batch*srcRow {
		return fmt.Errorf("fft: truncated real DFT %s: source has %d values, want [%d,%d] = %d", dir, srcLen, batch, srcRow, batch*srcRow)
	}
	if dstLen != batch*dstRow {
		return fmt.Errorf("fft: truncated real DFT %s: destination has %d values, want [%d,%d] = %d", dir, dstLen, batch, dstRow, batch*dstRow)
	}
	return nil
}

// interleaved views complex64 values as their (re, im) float32 pairs.
func interleaved(c []complex64) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(c))), 2*len(c))
}
