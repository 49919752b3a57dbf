package fft

import (
	"context"
	"fmt"
	"math"

	"github.com/fluxcore/fluxcore/engine/backend"
)

// Method is how a Transform computes the kept modes.
type Method string

const (
	// Auto picks per grid shape by the cost model (see Choose).
	Auto Method = "auto"
	// TruncatedDFT forms only the kept modes, as GEMMs with DFT matrices: O(n·K) per line.
	TruncatedDFT Method = "truncated-dft"
	// FullFFT runs the backend's FFT (cuFFT, or fluxcore's own on the CPU) and gathers the
	// kept modes: O(n log n) per line whatever K is.
	FullFFT Method = "fft"
)

// ParseMethod reads "auto", "truncated-dft" (or "dft") and "fft".
func ParseMethod(s string) (Method, error) {
	switch s {
	case "", "auto":
		return Auto, nil
	case "truncated-dft", "dft":
		return TruncatedDFT, nil
	case "fft":
		return FullFFT, nil
	}
	return "", fmt.Errorf("fft: unknown transform method %q (want auto, dft or fft)", s)
}

// Transform is a plan's transform pair bound to one backend for a fixed number of rows
// (grids per call). It is not safe for concurrent use: each executor binds its own.
type Transform interface {
	// Method is the method actually bound (never Auto).
	Method() Method
	// Points and Modes are per grid: the grid's size and the number of kept modes.
	Points() int
	Modes() int
	// Forward transforms the rows real grids (float32, [rows, dims...]) into their kept
	// modes (complex64, [rows, K₀, K₁, M]) in the plan's frequency order.
	Forward(ctx context.Context, modes, grid backend.Buffer) error
	// Inverse transforms kept modes back into real grids, treating every other mode as zero
	// and, like NumPy, ignoring the imaginary parts of the DC and Nyquist modes of the last
	// axis after the outer axes are inverted. It may overwrite modes.
	Inverse(ctx context.Context, grid, modes backend.Buffer) error
	// SetRows makes the calls that follow transform only the first rows grids of their
	// buffers (1 to the rows bound; all of them until it is called), so that a smaller
	// batch costs less. What the other rows of a destination hold afterwards is undefined.
	SetRows(rows int) error
	Close() error
}

// Bind places the plan on b for rows grids per call with the given method; Auto asks
// Choose.
func (p *Spectral) Bind(ctx context.Context, b backend.Backend, rows int, method Method) (Transform, error) {
	if rows < 1 {
		return nil, fmt.Errorf("fft: bind: %d rows, want ≥ 1", rows)
	}
	if method == Auto {
		method = p.Choose(b.Kind()).Method
	}
	// Each case returns an untyped nil on failure: a nil *DFTBound in a Transform would not
	// compare equal to nil.
	switch method {
	case TruncatedDFT:
		bd, err := p.bindDFT(ctx, b, rows)
		if err != nil {
			return nil, err
		}
		return bd, nil
	case FullFFT:
		bd, err := p.bindFFT(ctx, b, rows)
		if err != nil {
			return nil, err
		}
		return bd, nil
	}
	return nil, fmt.Errorf("fft: bind: unknown method %q", method)
}

// Estimate is the cost model's verdict for one plan: the method it picks and the relative
// cost of each per grid, in GEMM flops.
type Estimate struct {
	Method Method  `json:"method"`
	DFT    float64 `json:"dft_cost"`
	FFT    float64 `json:"fft_cost"`
}

// fftEfficiency is how much slower one FFT flop runs than one GEMM flop on each kind of
// backend: a GEMM keeps its operands in registers, while an FFT stage streams its lines
// through memory for a few flops per point (and the CPU FFT transposes lines in and out of
// vector lanes).
//
// CPU: 3, fitted to `go test -run '^$' -bench Transform ./bench` on the project's 2-core
// machine (AVX2 and AVX-512 variants alike), where the truncated DFT ran at 25–65 µs per
// million cost units and the FFT at 14–25 µs per million unscaled flops. With 3 the model
// ranks every case of that benchmark as measured except Navier–Stokes 64×64 keeping 12
// modes, which measured a tie (14.4 µs against 14.0 µs per grid, AVX2).
//
// CUDA: 1, not fitted (no GPU was available to this project's benchmarks yet): cuFFT runs
// near memory bandwidth, and fluxcore's CUDA GEMM is a plain shared-memory tiled kernel
// without a register-blocked micro-kernel, so neither side has the CPU GEMM's advantage.
var fftEfficiency = map[backend.Kind]float64{
	backend.KindCPU:  3,
	backend.KindCUDA: 1,
}

// Choose estimates both methods for one grid on a backend kind and picks the cheaper. The
// truncated DFT costs its GEMM flops (2·n·2M per line of the last axis, 4·K_a per float
// entering outer axis a), plus a streaming pass per outer axis for ComplexCombine. The full FFT costs about (6 + 2·log₂p) real flops per point per
// radix-p stage (2·p for primes above 5, whose butterfly is a small DFT) on the pruned
// passes fluxcore's CPU FFT makes (the last axis at half cost, the outer axes on M columns
// only), plus the gathers, all scaled by fftEfficiency. The model only has to rank the two;
// it need not predict times.
func (p *Spectral) Choose(kind backend.Kind) Estimate {
	eff, ok := fftEfficiency[kind]
	if !ok {
		eff = fftEfficiency[backend.KindCPU]
	}
	d := len(p.dims)
	last, m := p.dims[d-1], p.lastModes
	points := float64(p.Points())
	lines := points / float64(last)

	// Truncated DFT, per direction: the last axis first, then outer axes from the innermost
	// out, each shrinking n_a to K_a. extent counts the floats entering each step.
	dft := 2 * lines * float64(last) * 2 * float64(m)
	extent := lines * 2 * float64(m)
	for a := d - 2; a >= 0; a-- {
		n, k := float64(p.dims[a]), float64(len(p.keep[a]))
		dft += 4*k*extent + 4*k*extent/n // the GEMM, then ComplexCombine's pass
		extent = extent / n * k
	}

	// Full FFT: two real lines per complex transform, then the columns of every outer line.
	fft := lines / 2 * fftFlops(last)
	columns := float64(m)
	if kind == backend.KindCUDA {
		columns = float64(last/2 + 1) // cuFFT transforms every column
	}
	for a := d - 2; a >= 0; a-- {
		fft += lines / float64(p.dims[a]) * columns * fftFlops(p.dims[a])
	}
	fft = fft*eff + 2*float64(p.Modes()) + 2*lines*columns
	e := Estimate{Method: TruncatedDFT, DFT: dft, FFT: fft}
	if fft < dft {
		e.Method = FullFFT
	}
	return e
}

// fftFlops estimates the real flops of one complex transform of length n.
func fftFlops(n int) float64 {
	flops := 0.0
	for q := n; q > 1; {
		p := smallestFactor(q)
		if p > 5 {
			flops += float64(n) * (6 + 2*float64(p))
		} else {
			flops += float64(n) * (6 + 2*math.Log2(float64(p)))
		}
		q /= p
	}
	return flops
}

func smallestFactor(n int) int {
	for p := 2; p*p <= n; p++ {
		if n%p == 0 {
			return p
		}
	}
	return n
}

// FFTBound is a plan computed with the backend's FFT: the whole spectrum of the needed
// columns is formed, and GatherModes moves the kept modes out of it and back.
type FFTBound struct {
	*Spectral
	b        backend.Backend
	rows     int // bound
	active   int // transformed: the gathers move these rows; the FFT itself runs them all
	fft      backend.FFT
	columns  int            // of the FFT's spectrum layout
	spectrum backend.Buffer // [rows, n₀, n₁, columns]
	read     backend.Buffer // kept mode j ← spectrum position
	write    backend.Buffer // spectrum position ← kept mode, or −1
}

func (p *Spectral) bindFFT(ctx context.Context, b backend.Backend, rows int) (*FFTBound, error) {
	f, err := b.NewFFT(backend.FFTShape{Batch: rows, Dims: p.dims, Columns: p.lastModes})
	if err != nil {
		return nil, fmt.Errorf("fft: bind: %w", err)
	}
	bd := &FFTBound{Spectral: p, b: b, rows: rows, active: rows, fft: f, columns: f.Shape().Columns}
	ok := false
	defer func() {
		if !ok {
			bd.Close()
		}
	}()
	read, write := p.gatherIndices(bd.columns)
	if bd.read, err = backend.FromHost(ctx, b, read); err != nil {
		return nil, fmt.Errorf("fft: bind: %w", err)
	}
	if bd.write, err = backend.FromHost(ctx, b, write); err != nil {
		return nil, fmt.Errorf("fft: bind: %w", err)
	}
	if bd.spectrum, err = b.Alloc(backend.Complex64, f.Shape().SpectrumLen()); err != nil {
		return nil, fmt.Errorf("fft: bind: spectrum: %w", err)
	}
	ok = true
	return bd, nil
}

// gatherIndices maps between the kept modes ([K₀, K₁, M], the plan's order) and a spectrum
// row [n₀, n₁, columns]: read[j] is where the forward finds mode j, write[q] which mode the
// inverse puts at position q (−1: none, the position stays zero).
func (p *Spectral) gatherIndices(columns int) (read, write []int32) {
	outer := p.dims[:len(p.dims)-1]
	spectrumLen := columns
	for _, n := range outer {
		spectrumLen *= n
	}
	write = make([]int32, spectrumLen)
	for i := range write {
		write[i] = -1
	}
	read = make([]int32, 0, p.Modes())
	// Walk the kept modes in order; pos accumulates the spectrum position of each.
	var walk func(a, fwdPos, invPos int)
	walk = func(a, fwdPos, invPos int) {
		if a == len(outer) {
			for k := range p.lastModes {
				write[invPos*columns+k] = int32(len(read))
				read = append(read, int32(fwdPos*columns+k))
			}
			return
		}
		for j := range p.keep[a] {
			walk(a+1, fwdPos*outer[a]+p.keep[a][j], invPos*outer[a]+p.write[a][j])
		}
	}
	walk(0, 0, 0)
	return read, write
}

func (bd *FFTBound) Method() Method { return FullFFT }

// SetRows shrinks the gathers to rows, and the backend's FFT as far as it can
// (backend.FFT.SetRows).
func (bd *FFTBound) SetRows(rows int) error {
	if err := backend.CheckRows(rows, bd.rows); err != nil {
		return err
	}
	if err := bd.fft.SetRows(rows); err != nil {
		return err
	}
	bd.active = rows
	return nil
}

func (bd *FFTBound) Close() error {
	var err error
	if bd.fft != nil {
		err = bd.fft.Close()
	}
	if e := backend.FreeAll(bd.b, bd.spectrum, bd.read, bd.write); err == nil {
		err = e
	}
	return err
}

func (bd *FFTBound) Forward(ctx context.Context, modes, grid backend.Buffer) error {
	if err := checkOperands(bd.Spectral, "forward", bd.rows, grid, modes); err != nil {
		return err
	}
	if err := bd.fft.Forward(ctx, bd.spectrum, grid); err != nil {
		return fmt.Errorf("fft: spectral forward: %w", err)
	}
	g := backend.Gather{Rows: bd.active, SrcLen: bd.spectrum.Len() / bd.rows, DstLen: bd.Modes(), Index: bd.read, Scale: 1}
	return bd.b.GatherModes(ctx, modes, bd.spectrum, g)
}

func (bd *FFTBound) Inverse(ctx context.Context, grid, modes backend.Buffer) error {
	if err := checkOperands(bd.Spectral, "inverse", bd.rows, grid, modes); err != nil {
		return err
	}
	// The inverse FFT is unnormalized; the scatter applies irfftn's 1/N.
	g := backend.Gather{Rows: bd.active, SrcLen: bd.Modes(), DstLen: bd.spectrum.Len() / bd.rows, Index: bd.write,
		Scale: float32(1 / float64(bd.Points()))}
	if err := bd.b.GatherModes(ctx, bd.spectrum, modes, g); err != nil {
		return fmt.Errorf("fft: spectral inverse: %w", err)
	}
	return bd.fft.Inverse(ctx, grid, bd.spectrum)
}

// checkOperands validates the buffers of either method for rows grids.
func checkOperands(p *Spectral, dir string, rows int, grid, modes backend.Buffer) error {
	if grid == nil || grid.DType() != backend.Float32 || grid.Len() != rows*p.Points() {
		return fmt.Errorf("fft: spectral %s: grid buffer must be %d float32 = %d rows × %v", dir, rows*p.Points(), rows, p.dims)
	}
	if modes == nil || modes.DType() != backend.Complex64 || modes.Len() != rows*p.Modes() {
		return fmt.Errorf("fft: spectral %s: mode buffer must be %d complex64 = %d rows × %d modes", dir, rows*p.Modes(), rows, p.Modes())
	}
	return nil
}
