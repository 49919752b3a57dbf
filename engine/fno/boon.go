package fno

import (
	"context"
	"fmt"
	"math"

	"github.com/fluxcore/fluxcore/engine/backend"
)

// BoundaryKind is a boundary condition BOON can enforce.
type BoundaryKind string

const (
	Dirichlet BoundaryKind = "dirichlet"
	Neumann   BoundaryKind = "neumann"
	Periodic  BoundaryKind = "periodic"
)

// ParseBoundaryKind accepts dirichlet, neumann or periodic.
func ParseBoundaryKind(s string) (BoundaryKind, error) {
	switch k := BoundaryKind(s); k {
	case Dirichlet, Neumann, Periodic:
		return k, nil
	}
	return "", fmt.Errorf("boundary condition %q: want dirichlet, neumann or periodic", s)
}

// Boundary is what a forward pass with BOON corrections needs at run time.
type Boundary struct {
	Kind BoundaryKind
	// Left and Right are the Dirichlet values u(x₀) and u(x_{N−1}), one per sample.
	Left, Right []float32
	// FluxLeft and FluxRight are the Neumann data, and StencilLeft/StencilRight the
	// normalized one-sided difference stencils that define them (see NeumannStencils).
	FluxLeft, FluxRight       float64
	StencilLeft, StencilRight []float64
}

// NeumannStencils are the default normalized stencils for a uniform grid of spacing h: the
// third-order one-sided differences u'(x₀) ≈ (−11u₀ + 18u₁ − 9u₂ + 2u₃)/(6h) and
// u'(x_{N−1}) ≈ (11u_{N−1} − 18u_{N−2} + 9u_{N−3} − 2u_{N−4})/(6h), solved for the boundary
// value. In BOON's convention a left stencil c gives u₀ = g·c₀ − Σ_{j≥1} cⱼ·uⱼ and a right
// stencil c (of length L) gives u_{N−1} = g·c_{L−1} − Σ_{j<L−1} cⱼ·u_{N−L+j}; the right
// default equals the BOON notebooks' [−2/11, 9/11, −18/11, 6h/11].
func NeumannStencils(h float64) (left, right []float64) {
	left = []float64{-6 * h / 11, -18.0 / 11, 9.0 / 11, -2.0 / 11}
	right = []float64{-2.0 / 11, 9.0 / 11, -18.0 / 11, 6 * h / 11}
	return left, right
}

// NeumannFlux inverts a stencil: the flux g that u's boundary value encodes on that side.
func NeumannFlux(u []float32, stencil []float64, right bool) float64 {
	at := 0
	if right {
		at = len(u) - 1
	}
	return (float64(u[at]) + stencilInterior(u, stencil, right)) / stencil[stencilBoundary(stencil, right)]
}

// stencilBoundary is the index of the coefficient that multiplies the flux: the first on the
// left, the last on the right.
func stencilBoundary(stencil []float64, right bool) int {
	if right {
		return len(stencil) - 1
	}
	return 0
}

// stencilInterior is Σ cⱼ·uⱼ over the stencil's interior points (every coefficient but the
// flux one), in BOON's convention.
func stencilInterior(u []float32, stencil []float64, right bool) float64 {
	n, l := len(u), len(stencil)
	var s float64
	if right {
		for j := range l - 1 {
			s += stencil[j] * float64(u[n-l+j])
		}
		return s
	}
	for j := 1; j < l; j++ {
		s += stencil[j] * float64(u[j])
	}
	return s
}

// probe is the four entries of a layer's kernel matrix that BOON's elimination uses:
// K00 = K(e₁)₀, KN0 = K(e₁)_{N−1}, K0N = K(e_N)₀, KNN = K(e_N)_{N−1}, from sample 0,
// channel 0, with e₁ (e_N) one at the first (last) point of every channel.
type probe struct{ k00, kn0, k0n, knn, tildeK00 float64 }

// The reference's 1-D tolerance: smaller pivots are replaced by it.
const boonTol1D = 1e-7

// boonState carries one Forward call's boundary data.
type boonState struct {
	r  *Runner
	bc Boundary
	// reference reproduces the published BOON code where it departs from the paper (for
	// BOON checkpoints): GELU is applied at the boundary points as well.
	reference bool
	n         int // grid points

}

// sublayer identifies one of a layer's two kernels.
type sublayer struct {
	layer    int
	spectral bool
}

func (r *Runner) prepareBoundary(ctx context.Context, bc *Boundary, batch int) (*boonState, error) {
	m := r.m
	if bc == nil {
		if m.BOON != "" {
			return nil, fmt.Errorf("fno: this BOON checkpoint was trained with %s boundaries; pass their values", m.BOON)
		}
		return nil, nil
	}
	if m.BOON != "" && bc.Kind != m.BOON {
		return nil, fmt.Errorf("fno: this BOON checkpoint enforces %s boundaries, asked for %s", m.BOON, bc.Kind)
	}
	if m.Dims != 1 {
		return nil, fmt.Errorf("fno: boundary corrections on %d-D models are not supported yet (1-D are)", m.Dims)
	}
	if m.Layout == LayoutNeuralop {
		// BOON's eliminations assume each layer is K(x) + W·x; a channel-MLP block is not.
		return nil, fmt.Errorf("fno: boundary corrections apply to reference-layout FNOs, not %s checkpoints", m.Layout)
	}
	if m.Config.Padding != 0 {
		return nil, fmt.Errorf("fno: boundary corrections need an unpadded grid, the model pads by %d", m.Config.Padding)
	}
	n := r.grid[0]
	st := &boonState{r: r, bc: *bc, reference: m.BOON != "", n: n}
	switch bc.Kind {
	case Dirichlet:
		if len(bc.Left) != batch || len(bc.Right) != batch {
			return nil, fmt.Errorf("fno: dirichlet boundary values: %d left and %d right, want one per sample (%d)", len(bc.Left), len(bc.Right), batch)
		}
		for i := range batch {
			if bad32(bc.Left[i]) || bad32(bc.Right[i]) {
				return nil, fmt.Errorf("fno: dirichlet boundary values of sample %d are %v, %v", i, bc.Left[i], bc.Right[i])
			}
		}
	case Neumann:
		h := (m.Config.GridUB - m.Config.GridLB) / float64(n-1)
		defLeft, defRight := NeumannStencils(h)
		if st.bc.StencilLeft == nil {
			st.bc.StencilLeft = defLeft
		}
		if st.bc.StencilRight == nil {
			st.bc.StencilRight = defRight
		}
		for _, s := range []struct {
			name    string
			stencil []float64
			flux    float64
		}{{"left", st.bc.StencilLeft, bc.FluxLeft}, {"right", st.bc.StencilRight, bc.FluxRight}} {
			if len(s.stencil) < 2 || len(s.stencil) > n {
				return nil, fmt.Errorf("fno: neumann %s stencil has %d coefficients, want 2..%d", s.name, len(s.stencil), n)
			}
			for _, c := range s.stencil {
				if math.IsNaN(c) || math.IsInf(c, 0) {
					return nil, fmt.Errorf("fno: neumann %s stencil %v has a non-finite coefficient", s.name, s.stencil)
				}
			}
			if math.IsNaN(s.flux) || math.IsInf(s.flux, 0) {
				return nil, fmt.Errorf("fno: neumann %s flux is %v", s.name, s.flux)
			}
		}
	case Periodic:
	default:
		return nil, fmt.Errorf("fno: boundary condition %q: want dirichlet, neumann or periodic", bc.Kind)
	}
	if err := r.computeProbes(ctx); err != nil {
		return nil, err
	}
	return st, nil
}

func bad32(v float32) bool { return math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) }

// computeProbes evaluates every kernel on e₁ and e_N once per runner: the probes depend only
// on the weights and the grid.
func (r *Runner) computeProbes(ctx context.Context) error {
	if r.probes != nil {
		return nil
	}
	m, n := r.m, r.grid[0]
	rows := r.maxBatch * m.Width
	e1, eN := make([]float32, rows*n), make([]float32, rows*n)
	for row := range rows {
		e1[row*n] = 1
		eN[row*n+n-1] = 1
	}
	probes := make(map[sublayer]probe)
	for i := range m.Layers {
		for _, spectral := range []bool{true, false} {
			sl := sublayer{i, spectral}
			k1, err := r.applyKernel(ctx, sl, e1)
			if err != nil {
				return fmt.Errorf("fno: boundary probes, layer %d: %w", i, err)
			}
			kN, err := r.applyKernel(ctx, sl, eN)
			if err != nil {
				return fmt.Errorf("fno: boundary probes, layer %d: %w", i, err)
			}
			p := probe{k00: float64(k1[0]), kn0: float64(k1[n-1]), k0n: float64(kN[0]), knn: float64(kN[n-1])}
			if math.Abs(p.k00) < boonTol1D {
				p.k00 = boonTol1D
			}
			if math.Abs(p.knn) < boonTol1D {
				p.knn = boonTol1D
			}
			p.tildeK00 = p.k00 - p.kn0*p.k0n/p.knn
			if math.Abs(p.tildeK00) < boonTol1D {
				p.tildeK00 = boonTol1D
			}
			probes[sl] = p
		}
	}
	r.probes = probes
	return nil
}

// applyKernel runs one kernel (the spectral convolution or the 1×1 convolution with its bias)
// on a full batch held on the host.
func (r *Runner) applyKernel(ctx context.Context, sl sublayer, x []float32) ([]float32, error) {
	if err := backend.Upload(ctx, r.b, r.lifted, x); err != nil {
		return nil, err
	}
	var err error
	if sl.spectral {
		err = r.spectralConv(ctx, sl.layer, r.lifted, r.spectral)
	} else {
		err = r.pointwise(ctx, sl.layer, r.lifted, r.spectral, nil, backend.ActNone)
	}
	if err != nil {
		return nil, err
	}
	out := make([]float32, len(x))
	return out, backend.Download(ctx, r.b, out, r.spectral)
}

// corrected is BOON's boundary-corrected kernel applied to x (rows of N points).
func (st *boonState) corrected(ctx context.Context, sl sublayer, x []float32) ([]float32, error) {
	r, n := st.r, st.n
	p := r.probes[sl]
	rows := len(x) / n
	width := r.m.Width
	switch st.bc.Kind {
	case Periodic:
		t, err := r.applyKernel(ctx, sl, x)
		if err != nil {
			return nil, err
		}
		for row := range rows {
			avg := 0.5*t[row*n] + 0.5*t[row*n+n-1]
			t[row*n], t[row*n+n-1] = avg, avg
		}
		return t, nil
	case Dirichlet, Neumann:
		t2 := append([]float32(nil), x...)
		if st.bc.Kind == Dirichlet {
			// Left elimination (Dirichlet only; BOON's Neumann layers pass no left value).
			kx, err := r.applyKernel(ctx, sl, x)
			if err != nil {
				return nil, err
			}
			for row := range rows {
				x0, xN := float64(x[row*n]), float64(x[row*n+n-1])
				t2[row*n] = float32(2*x0 - (float64(kx[row*n])-float64(kx[row*n+n-1])*p.k0n/p.knn+p.k0n*xN)/p.tildeK00)
			}
		}
		ky, err := r.applyKernel(ctx, sl, t2)
		if err != nil {
			return nil, err
		}
		for row := range rows {
			t2[row*n+n-1] = float32(2*float64(t2[row*n+n-1]) - float64(ky[row*n+n-1])/p.knn)
		}
		t, err := r.applyKernel(ctx, sl, t2)
		if err != nil {
			return nil, err
		}
		if st.bc.Kind == Dirichlet {
			for row := range rows {
				s := row / width
				if s < len(st.bc.Left) {
					t[row*n], t[row*n+n-1] = st.bc.Left[s], st.bc.Right[s]
				}
			}
			return t, nil
		}
		for row := range rows {
			line := t[row*n : (row+1)*n]
			left := st.neumannValue(line, false)
			right := st.neumannValue(line, true)
			line[0], line[n-1] = float32(left), float32(right)
			if st.reference {
				// BOON's Neumann layers halve their output, a choice made for training
				// ("shown to be better learning the model"); a BOON checkpoint's weights
				// expect it, a plain checkpoint's would be halved four times over.
				for j := range line {
					line[j] /= 2
				}
			}
		}
		return t, nil
	}
	return nil, fmt.Errorf("boundary condition %q", st.bc.Kind)
}

// neumannValue is the boundary value that makes line's discrete flux equal the given one:
// u_b = g·c_b − Σ_interior cⱼ·uⱼ.
func (st *boonState) neumannValue(line []float32, right bool) float64 {
	c, g := st.bc.StencilLeft, st.bc.FluxLeft
	if right {
		c, g = st.bc.StencilRight, st.bc.FluxRight
	}
	return g*c[stencilBoundary(c, right)] - stencilInterior(line, c, right)
}

// geluAtBoundary says whether the activations also apply at the two boundary points: always
// for periodic, and for BOON checkpoints, whose reference code selects the interior with
// isinstance(bdy_left, torch.Tensor) on a dict and so never excludes the boundary.
func (st *boonState) geluAtBoundary() bool { return st.reference || st.bc.Kind == Periodic }

// layer is one corrected Fourier layer: dst = act(K̃_conv(src) + K̃_w(src)).
func (st *boonState) layer(ctx context.Context, i int, src, dst backend.Buffer, act backend.Activation) error {
	r := st.r
	x := make([]float32, src.Len())
	if err := backend.Download(ctx, r.b, x, src); err != nil {
		return err
	}
	x1, err := st.corrected(ctx, sublayer{i, true}, x)
	if err != nil {
		return err
	}
	x2, err := st.corrected(ctx, sublayer{i, false}, x)
	if err != nil {
		return err
	}
	for j := range x1 {
		x1[j] += x2[j]
	}
	if err := backend.Upload(ctx, r.b, dst, x1); err != nil {
		return err
	}
	if act == backend.ActNone {
		return nil
	}
	if st.geluAtBoundary() {
		return r.b.Activate(ctx, backend.Matrix{Buf: dst, Rows: len(x1) / st.n, Cols: st.n}, act)
	}
	return st.interiorGELU(ctx, dst)
}

// interiorGELU applies GELU on the device to every point but the two boundary ones of each
// row of buf: a view that starts one point in and stops one short.
func (st *boonState) interiorGELU(ctx context.Context, buf backend.Buffer) error {
	n := st.n
	if n < 3 {
		return nil
	}
	view := backend.Matrix{Buf: buf, Offset: 1, Rows: buf.Len() / n, Cols: n - 2, LD: n}
	return st.r.b.Activate(ctx, view, backend.ActGELU)
}

// enforceOutput is the reference's strict_enforce_bdy on the final [batch, N] output.
func (st *boonState) enforceOutput(out []float32, batch int) {
	n := st.n
	for s := range batch {
		line := out[s*n : (s+1)*n]
		switch st.bc.Kind {
		case Dirichlet:
			line[0], line[n-1] = st.bc.Left[s], st.bc.Right[s]
		case Periodic:
			avg := 0.5*line[0] + 0.5*line[n-1]
			line[0], line[n-1] = avg, avg
		case Neumann:
			// Left first, then right from the updated line, in the reference's order.
			line[0] = float32(st.neumannValue(line, false))
			line[n-1] = float32(st.neumannValue(line, true))
		}
	}
}
