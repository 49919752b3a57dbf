// Package fft holds fluxcore's Fourier-transform plans. Spectral is the transform pair of a
// Fourier layer, which only ever needs the kept modes. It binds to a backend by one of two
// methods: the truncated DFT forms only those modes, as GEMMs with DFT matrices (O(n·K) per
// line, in well-shaped batched products), and the full FFT runs the backend's FFT
// (O(n log n) per line) and gathers them. Choose ranks the two with a cost model.
package fft

import (
	"context"
	"fmt"
	"math"

	"github.com/fluxcore/fluxcore/engine/backend"
)

// Spectral is the transform pair of a d-dimensional spectral convolution (d = 1, 2 or 3).
//
// The last axis is real: modes k = 0..M−1 of its rfft are kept. Each outer axis keeps an
// explicit list of frequencies (indices into its full complex DFT), in the order the layer's
// weights use them; see Corners and Centered. The forward transform is unnormalized and the
// inverse divides by the number of grid points, as torch.fft.rfftn/irfftn with norm
// "backward" do. Like NumPy and PyTorch on the CPU, the inverse ignores the imaginary parts
// of the DC and Nyquist modes of the last axis (after the outer axes are inverted), so
// spectra that are not Hermitian, which complex weights produce, come back the same way.
//
// As truncated DFTs the transforms run as GEMMs: the last axis as one product of all rows
// with an N×2M cos/sin matrix, and each outer axis as a batched product with the stacked
// real and imaginary parts of its DFT matrix followed by ComplexCombine. A plan is
// immutable; its matrices live on the host until Bind places them on a backend.
type Spectral struct {
	dims      []int
	keep      [][]int // per outer axis, the frequencies the forward reads
	write     [][]int // and those the inverse writes
	lastModes int

	lastFwd, lastInv   []float32
	outerFwd, outerInv [][]float32
}

// Corners keeps frequencies [0, m) and [n−m, n) (the negative ones −m..−1), the reference
// FNO code's weights1/weights2 (and weights3/weights4 in 3-D) blocks.
func Corners(n, m int) []int {
	keep := make([]int, 0, 2*m)
	for k := range m {
		keep = append(keep, k)
	}
	for k := range m {
		keep = append(keep, n-m+k)
	}
	return keep
}

// ShiftedCenter is neuraloperator's selection on an outer axis of n points for a weight of
// modes entries. Its SpectralConv fftshifts the spectrum, keeps the centred slice
// [s/2, n − ⌈s/2⌉) with s = n − modes, and fftshifts the result back (not ifftshift). So
// weight slot j reads frequency bin (⌊s/2⌋ + j − ⌊n/2⌋) mod n and writes bin
// (⌊s/2⌋ + j + ⌊n/2⌋) mod n. For even n the two agree; for odd n the second shift does not
// undo the first and every output lands one bin lower, which this reproduces.
func ShiftedCenter(n, modes int) (forward, inverse []int) {
	start := (n - modes) / 2
	for j := range modes {
		forward = append(forward, ((start+j-n/2)%n+n)%n)
		inverse = append(inverse, (start+j+n/2)%n)
	}
	return forward, inverse
}

// NewSpectral plans the transform of a grid with the given extents (last axis real) keeping
// keep[a] frequencies on outer axis a, in both directions, and lastModes modes on the last
// axis.
func NewSpectral(dims []int, keep [][]int, lastModes int) (*Spectral, error) {
	return NewSpectralPair(dims, keep, keep, lastModes)
}

// NewSpectralPair is NewSpectral with separate selections per direction: the forward
// transform reads frequencies forward[a] on outer axis a, and the inverse writes kept mode j
// to frequency inverse[a][j] (see ShiftedCenter for why they can differ).
func NewSpectralPair(dims []int, forward, inverse [][]int, lastModes int) (*Spectral, error) {
	if len(dims) < 1 || len(dims) > maxDims {
		return nil, fmt.Errorf("fft: spectral transform of %d dimensions, want 1, 2 or 3", len(dims))
	}
	if len(forward) != len(dims)-1 || len(inverse) != len(dims)-1 {
		return nil, fmt.Errorf("fft: spectral transform of %d dimensions needs kept frequencies for %d outer axes, got %d and %d",
			len(dims), len(dims)-1, len(forward), len(inverse))
	}
	for a, n := range dims {
		if n < 1 {
			return nil, fmt.Errorf("fft: spectral transform: axis %d has extent %d, want ≥ 1", a, n)
		}
	}
	last := dims[len(dims)-1]
	if lastModes < 1 || lastModes > last/2+1 {
		return nil, fmt.Errorf("fft: spectral transform: %d modes on the last axis of length %d, want 1..%d", lastModes, last, last/2+1)
	}
	p := &Spectral{dims: append([]int(nil), dims...), lastModes: lastModes}
	check := func(a int, k []int) error {
		seen := map[int]bool{}
		for _, f := range k {
			if f < 0 || f >= dims[a] || seen[f] {
				return fmt.Errorf("fft: spectral transform: axis %d of length %d keeps frequencies %v: "+
					"each must be distinct and in [0, %d) (too many modes for this grid?)", a, dims[a], k, dims[a])
			}
			seen[f] = true
		}
		if len(k) == 0 {
			return fmt.Errorf("fft: spectral transform: axis %d keeps no frequencies", a)
		}
		return nil
	}
	for a := range forward {
		if err := check(a, forward[a]); err != nil {
			return nil, err
		}
		if err := check(a, inverse[a]); err != nil {
			return nil, err
		}
		if len(forward[a]) != len(inverse[a]) {
			return nil, fmt.Errorf("fft: spectral transform: axis %d reads %d frequencies but writes %d", a, len(forward[a]), len(inverse[a]))
		}
		p.keep = append(p.keep, append([]int(nil), forward[a]...))
		p.write = append(p.write, append([]int(nil), inverse[a]...))
	}
	p.lastFwd, p.lastInv = lastAxisMatrices(last, lastModes)
	for a := range p.keep {
		fwd, inv := outerAxisMatrices(dims[a], forward[a], inverse[a])
		p.outerFwd, p.outerInv = append(p.outerFwd, fwd), append(p.outerInv, inv)
	}
	return p, nil
}

// angle is 2π·(f·j mod n)/n: reducing first keeps the argument where float64 sin and cos are
// accurate to an ulp.
func angle(f, j, n int) float64 { return 2 * math.Pi * float64((f*j)%n) / float64(n) }

// lastAxisMatrices: fwd is n × 2m with (cos θ, −sin θ) per mode, so that rows · fwd yields
// interleaved complex modes; inv is 2m × n with cₖ·cos θ/n and −cₖ·sin θ/n, cₖ = 1 for DC and
// Nyquist, else 2. The −sin rows of DC and Nyquist are zero, which is what drops their
// imaginary parts.
func lastAxisMatrices(n, m int) (fwd, inv []float32) {
	fwd, inv = make([]float32, n*2*m), make([]float32, 2*m*n)
	for k := range m {
		weight := 2.0
		if k == 0 || 2*k == n {
			weight = 1
		}
		for j := range n {
			c, s := math.Cos(angle(k, j, n)), math.Sin(angle(k, j, n))
			fwd[j*2*m+2*k] = float32(c)
			fwd[j*2*m+2*k+1] = float32(-s)
			inv[(2*k)*n+j] = float32(weight * c / float64(n))
			inv[(2*k+1)*n+j] = float32(-weight * s / float64(n))
		}
	}
	return fwd, inv
}

// outerAxisMatrices: fwd is [Re E; Im E] (2K × n) with E[k][j] = e^{−iθ}, θ = 2π·f_k·j/n for
// the read frequencies f; inv is [Re F; Im F] (2n × K) with F[j][k] = e^{+iθ}/n for the
// written frequencies g_k.
func outerAxisMatrices(n int, read, write []int) (fwd, inv []float32) {
	nk := len(read)
	fwd, inv = make([]float32, 2*nk*n), make([]float32, 2*n*nk)
	for k := range nk {
		for j := range n {
			rs, rc := math.Sincos(angle(read[k], j, n))
			ws, wc := math.Sincos(angle(write[k], j, n))
			fwd[k*n+j], fwd[(nk+k)*n+j] = float32(rc), float32(-rs)
			inv[j*nk+k], inv[(n+j)*nk+k] = float32(wc/float64(n)), float32(ws/float64(n))
		}
	}
	return fwd, inv
}

// Dims are the grid extents; Modes is the number of kept modes per grid (the product of the
// kept counts of every axis).
func (p *Spectral) Dims() []int { return append([]int(nil), p.dims...) }
func (p *Spectral) Points() int {
	n := 1
	for _, d := range p.dims {
		n *= d
	}
	return n
}
func (p *Spectral) Modes() int {
	m := p.lastModes
	for _, k := range p.keep {
		m *= len(k)
	}
	return m
}

// DFTBound is a plan computed as truncated DFTs, with its matrices on one backend and
// scratch space for its rows.
type DFTBound struct {
	*Spectral
	b        backend.Backend
	lastFwd  backend.Buffer
	lastInv  backend.Buffer
	outerFwd []backend.Buffer
	outerInv []backend.Buffer
	rows     int               // bound: the scratch fits them
	active   int               // transformed (SetRows)
	scratch  [2]backend.Buffer // ping-pong intermediates
	products backend.Buffer    // P of each outer-axis step
}

// bindDFT uploads the plan's matrices to b and reserves scratch for rows grids per call.
func (p *Spectral) bindDFT(ctx context.Context, b backend.Backend, rows int) (*DFTBound, error) {
	bd := &DFTBound{Spectral: p, b: b, rows: rows, active: rows}
	ok := false
	defer func() {
		if !ok {
			bd.Close()
		}
	}()
	var err error
	if bd.lastFwd, err = backend.FromHost(ctx, b, p.lastFwd); err != nil {
		return nil, fmt.Errorf("fft: bind: %w", err)
	}
	if bd.lastInv, err = backend.FromHost(ctx, b, p.lastInv); err != nil {
		return nil, fmt.Errorf("fft: bind: %w", err)
	}
	for a := range p.keep {
		f, err := backend.FromHost(ctx, b, p.outerFwd[a])
		if err != nil {
			return nil, fmt.Errorf("fft: bind: %w", err)
		}
		bd.outerFwd = append(bd.outerFwd, f)
		i, err := backend.FromHost(ctx, b, p.outerInv[a])
		if err != nil {
			return nil, fmt.Errorf("fft: bind: %w", err)
		}
		bd.outerInv = append(bd.outerInv, i)
	}
	scratchLen, productLen := p.scratchSizes(rows)
	for i := range bd.scratch {
		if bd.scratch[i], err = b.Alloc(backend.Float32, max(scratchLen, 1)); err != nil {
			return nil, fmt.Errorf("fft: bind: scratch: %w", err)
		}
	}
	if bd.products, err = b.Alloc(backend.Float32, max(productLen, 1)); err != nil {
		return nil, fmt.Errorf("fft: bind: scratch: %w", err)
	}
	ok = true
	return bd, nil
}

// stage is the tensor between two steps, viewed as [outer, length, innerFloats]: at outer axis
// a, length is either the grid extent or the kept count of that axis.
type stage struct{ outer, length, inner int }

// scratchSizes bounds the intermediates of either direction. Before or after outer axis a
// is transformed, the tensor is [outer_a, n_a or K_a, inner_a] floats, and the product feeding
// ComplexCombine has twice as many rows.
func (p *Spectral) scratchSizes(rows int) (scratch, products int) {
	for a, st := range p.stages(rows) {
		widest := st.outer * max(st.length, len(p.keep[a])) * st.inner
		scratch, products = max(scratch, widest), max(products, 2*widest)
	}
	return scratch, products
}

// maxDims is the most grid axes a spectral transform takes.
const maxDims = 3

// stages lists, for each outer axis a, the view of the forward transform's input to step a:
// outer = rows·Π_{i<a} n_i, length = n_a, inner = 2M·Π_{i>a} K_i.
func (p *Spectral) stages(rows int) []stage {
	// A constant capacity keeps the list on the caller's stack, where this is inlined.
	st := make([]stage, len(p.keep), maxDims-1)
	inner := 2 * p.lastModes
	for a := len(p.keep) - 1; a >= 0; a-- {
		outer := rows
		for _, d := range p.dims[:a] {
			outer *= d
		}
		st[a] = stage{outer: outer, length: p.dims[a], inner: inner}
		inner *= len(p.keep[a])
	}
	return st
}

// Close frees the plan's buffers on the backend.
func (bd *DFTBound) Close() error {
	bufs := append([]backend.Buffer{bd.lastFwd, bd.lastInv, bd.products, bd.scratch[0], bd.scratch[1]}, bd.outerFwd...)
	return backend.FreeAll(bd.b, append(bufs, bd.outerInv...)...)
}

func (bd *DFTBound) Method() Method { return TruncatedDFT }

// SetRows makes the products run over rows grids only.
func (bd *DFTBound) SetRows(rows int) error {
	if err := backend.CheckRows(rows, bd.rows); err != nil {
		return err
	}
	bd.active = rows
	return nil
}

func (bd *DFTBound) Forward(ctx context.Context, modes, grid backend.Buffer) error {
	if err := checkOperands(bd.Spectral, "forward", bd.rows, grid, modes); err != nil {
		return err
	}
	rows := bd.active
	p := bd.Spectral
	// The last axis first: every line of the grid times the N×2M matrix.
	dst := modes
	if len(p.keep) > 0 {
		dst = bd.scratch[0]
	}
	if err := bd.lastAxis(ctx, bd.lastFwd, grid, dst, rows, false); err != nil {
		return fmt.Errorf("fft: spectral forward, last axis: %w", err)
	}
	// Outer axes from the innermost out; each shrinks its axis from n to K.
	stages := p.stages(rows)
	for a := len(p.keep) - 1; a >= 0; a-- {
		st, k := stages[a], len(p.keep[a])
		src := dst
		dst = modes
		if a > 0 {
			dst = bd.scratch[(len(p.keep)-a)%2]
		}
		if err := bd.axis(ctx, bd.outerFwd[a], src, dst, st.outer, st.length, k, st.inner); err != nil {
			return fmt.Errorf("fft: spectral forward, axis %d: %w", a, err)
		}
	}
	return nil
}

func (bd *DFTBound) Inverse(ctx context.Context, grid, modes backend.Buffer) error {
	if err := checkOperands(bd.Spectral, "inverse", bd.rows, grid, modes); err != nil {
		return err
	}
	rows := bd.active
	p := bd.Spectral
	stages := p.stages(rows)
	src := modes
	for a := range p.keep {
		st, k := stages[a], len(p.keep[a])
		dst := bd.scratch[a%2]
		if err := bd.axis(ctx, bd.outerInv[a], src, dst, st.outer, k, st.length, st.inner); err != nil {
			return fmt.Errorf("fft: spectral inverse, axis %d: %w", a, err)
		}
		src = dst
	}
	if err := bd.lastAxis(ctx, bd.lastInv, src, grid, rows, true); err != nil {
		return fmt.Errorf("fft: spectral inverse, last axis: %w", err)
	}
	return nil
}

// lastAxis multiplies every line along the last axis by the N×2M forward matrix (grid →
// interleaved modes) or the 2M×N inverse one (modes → grid).
func (bd *DFTBound) lastAxis(ctx context.Context, matrix, src, dst backend.Buffer, rows int, inverse bool) error {
	n, m2 := bd.dims[len(bd.dims)-1], 2*bd.lastModes
	lines := rows * bd.Points() / n
	from, to := n, m2
	if inverse {
		from, to = m2, n
	}
	return bd.b.Gemm(ctx, backend.Gemm{
		Batch: 1,
		A:     backend.Matrix{Buf: src, Rows: lines, Cols: from},
		B:     backend.Matrix{Buf: matrix, Rows: from, Cols: to},
		C:     backend.Matrix{Buf: dst, Rows: lines, Cols: to},
	})
}

// axis applies a complex matrix (stored as [Re; Im], 2·to × from) along the middle axis of
// src viewed as [outer, from, inner floats], writing dst as [outer, to, inner floats].
func (bd *DFTBound) axis(ctx context.Context, matrix, src, dst backend.Buffer, outer, from, to, inner int) error {
	err := bd.b.Gemm(ctx, backend.Gemm{
		Batch: outer,
		A:     backend.Matrix{Buf: matrix, Rows: 2 * to, Cols: from},
		B:     backend.Matrix{Buf: src, Rows: from, Cols: inner, BatchStride: from * inner},
		C:     backend.Matrix{Buf: bd.products, Rows: 2 * to, Cols: inner, BatchStride: 2 * to * inner},
	})
	if err != nil {
		return err
	}
	return bd.b.ComplexCombine(ctx, dst, bd.products, backend.CombineShape{Outer: outer, Rows: to, Pairs: inner / 2})
}
