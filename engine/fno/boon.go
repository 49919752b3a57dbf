package fno

import (
	"context"
	"errors"
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

// Boundary is what a forward pass with BOON corrections needs at run time. BOON corrects the
// first grid axis (x): its faces are x = x₀ (left) and x = x_{N−1} (right). A 3-D Dirichlet
// condition also fixes the faces of the second axis (top: y = y₀, down: y = y_{M−1}), as the
// published BOON_FNO3d does.
type Boundary struct {
	Kind BoundaryKind
	// Left and Right are the data on the two x faces, per sample and face point, shaped
	// [batch, grid[1:]...] row-major (one value per sample in 1-D): the values u for
	// Dirichlet, the fluxes for Neumann (see NeumannStencils). UniformFaces fills them.
	Left, Right []float32
	// Top and Down are the Dirichlet values on the y faces of a 3-D model, [batch, grid[0], grid[2]].
	Top, Down []float32
	// StencilLeft and StencilRight are the normalized one-sided difference stencils that
	// define the Neumann fluxes; nil takes NeumannStencils for the grid.
	StencilLeft, StencilRight []float64
	// OutputOnly imposes the condition on the output alone (BOON's final strict enforcement)
	// and leaves the layers as trained. BOON's per-layer corrections rewrite every hidden
	// layer's boundary rows, which a plain checkpoint was not trained for and which costs it
	// accuracy (see the heat demo); this keeps its accuracy and still meets the condition
	// exactly. Plain checkpoints only.
	OutputOnly bool
}

// UniformFaces is n copies of v: the same value or flux at every point of every sample's face.
func UniformFaces(n int, v float32) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = v
	}
	return out
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

// NeumannFlux inverts a stencil: the flux g that a line u's boundary value encodes on that side.
func NeumannFlux(u []float32, stencil []float64, right bool) float64 {
	n, l := len(u), len(stencil)
	if right {
		s := float64(u[n-1])
		for j := range l - 1 {
			s += stencil[j] * float64(u[n-l+j])
		}
		return s / stencil[l-1]
	}
	s := float64(u[0])
	for j := 1; j < l; j++ {
		s += stencil[j] * float64(u[j])
	}
	return s / stencil[0]
}

// sublayer identifies one of a layer's two kernels.
type sublayer struct {
	layer    int
	spectral bool
}

// form says which BOON the corrections follow.
//
// BOON checkpoints get the published code's forward pass exactly (reference), so that they
// give the outputs they gave in PyTorch. Where that code departs from the paper's
// mathematics, plain FNO checkpoints get the mathematics instead:
//   - 1-D: GELU also runs at the two boundary points (its interior test, isinstance on a
//     dict, is never true), and Neumann eliminates on the right only.
//   - 2-D and 3-D: the right elimination doubles row 0 where row N−1 is meant.
//   - 2-D: pivots below 1e-4 are clamped by sign, not magnitude, so a negative pivot becomes
//     1e-4; Dirichlet smooths the 4 rows next to each face with a 3-point mollifier after
//     setting them, in every layer and at the output.
//   - Neumann layers halve their output ("shown to be better learning the model"), a
//     training choice that a plain checkpoint's weights do not expect.
type form struct {
	reference bool
	dims      int
}

func (f form) leftElimination(kind BoundaryKind) bool {
	return kind == Dirichlet || !(f.reference && f.dims == 1)
}

// rightBase is the row the right elimination doubles.
func (f form) rightBase(n int) int {
	if f.reference && f.dims > 1 {
		return 0
	}
	return n - 1
}

// clamp replaces pivots too close to zero, as each form does it.
func (f form) clamp(v float64) float64 {
	tol := 1e-7
	if f.reference && f.dims > 1 {
		tol = 1e-4
	}
	if (f.reference && f.dims == 2 && v < tol) || math.Abs(v) < tol {
		return tol
	}
	return v
}

func (f form) mollify(kind BoundaryKind) bool { return f.reference && f.dims == 2 && kind == Dirichlet }

func (f form) layerScale(kind BoundaryKind) float32 {
	if f.reference && kind == Neumann {
		return 0.5
	}
	return 1
}

// geluAtBoundary: periodic has no boundary to keep linear, and the 1-D reference never skips it.
func (f form) geluAtBoundary(kind BoundaryKind) bool {
	return kind == Periodic || (f.reference && f.dims == 1)
}

// mollifierWidth is the published 2-D code's num_smooth.
const mollifierWidth = 5

// boonState is one Forward call's corrections; the boundary data it uses are in the
// runner's boonBuffers.
type boonState struct {
	r                 *Runner
	kind              BoundaryKind
	form              form
	outputOnly        bool
	lenLeft, lenRight int // Neumann stencil lengths
}

// boonBuffers are the runner's device memory for corrections, allocated on first use.
type boonBuffers struct {
	t2, tSpectral backend.Buffer
	// x and y hold the data of the x faces and (3-D) the y faces, uploaded per call.
	x, y    faceData
	stencil backend.Buffer // StencilLeft then StencilRight, zero after
	probes  map[sublayer]backend.Buffer
	period  int
	bufs    []backend.Buffer // every buffer, for Close
	// host stages face data and stencils on their way to the device; it is kept, so that
	// a warm call allocates no buffer.
	host []float32
}

// staging is n floats of bb.host, grown when a call needs more.
func (bb *boonBuffers) staging(n int) []float32 {
	if cap(bb.host) < n {
		bb.host = make([]float32, n)
	}
	return bb.host[:n]
}

// faceData is the data of an axis' two faces ([maxBatch, the other axes]) at the padded
// extents the layers run on and at the grid's own for the output, zero past the batch and
// in the padding, as the published code pads the boundary data.
type faceData struct{ layer, out [2]backend.Buffer }

func (r *Runner) prepareBoundary(ctx context.Context, bc *Boundary, batch int) (*boonState, error) {
	m := r.m
	if bc == nil {
		if m.BOON != "" {
			return nil, fmt.Errorf("fno: this BOON checkpoint was trained with %s boundaries; pass their values", m.BOON)
		}
		return nil, nil
	}
	if err := r.checkBoundary(bc); err != nil {
		return nil, err
	}
	r.corrections = boonState{r: r, kind: bc.Kind, form: form{reference: m.BOON != "", dims: m.Dims}, outputOnly: bc.OutputOnly}
	st := &r.corrections
	n := r.grid[0]
	if st.form.mollify(bc.Kind) && n < mollifierWidth+1 {
		return nil, fmt.Errorf("fno: the published 2-D Dirichlet correction smooths %d rows next to each face; the grid's first axis has %d points, want ≥ %d",
			mollifierWidth-1, n, mollifierWidth+1)
	}
	if err := r.allocBoundary(bc.Kind != Periodic && !bc.OutputOnly); err != nil {
		return nil, err
	}
	if bc.Kind == Periodic {
		return st, nil
	}
	if err := r.placeFaces(ctx, bc, batch); err != nil {
		return nil, err
	}
	if bc.Kind == Neumann {
		var err error
		if st.lenLeft, st.lenRight, err = r.placeStencils(ctx, bc); err != nil {
			return nil, err
		}
	}
	if !st.outputOnly {
		if err := r.computeProbes(ctx, st.form); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// CorrectedAxes is how many leading grid axes have their faces set: the x faces, and in
// 3-D the y faces too.
func (m *Model) CorrectedAxes() int {
	if m.Dims == 3 {
		return 2
	}
	return 1
}

// checkBoundary refuses a condition the model cannot take.
func (r *Runner) checkBoundary(bc *Boundary) error {
	m := r.m
	if m.BOON != "" && bc.Kind != m.BOON {
		return fmt.Errorf("fno: this BOON checkpoint enforces %s boundaries, asked for %s", m.BOON, bc.Kind)
	}
	if _, err := ParseBoundaryKind(string(bc.Kind)); err != nil {
		return fmt.Errorf("fno: %w", err)
	}
	if m.Layout == LayoutNeuralop {
		// BOON's eliminations assume each layer is K(x) + W·x; a channel-MLP block is not.
		return fmt.Errorf("fno: boundary corrections apply to reference-layout FNOs, not %s checkpoints", m.Layout)
	}
	if bc.OutputOnly && m.BOON != "" {
		return fmt.Errorf("fno: a BOON checkpoint needs its per-layer corrections; output-only enforcement is for plain checkpoints")
	}
	if m.Dims == 3 && bc.Kind == Neumann {
		return fmt.Errorf("fno: BOON defines no 3-D Neumann correction (its BOON_FNO3d supports dirichlet; fluxcore adds periodic)")
	}
	corrected := m.CorrectedAxes()
	for a := range corrected {
		if m.Config.Padding[a] != 0 && !bc.OutputOnly {
			return fmt.Errorf("fno: boundary corrections need grid axis %d unpadded, the model pads it by %d (padding %v; pass e.g. --padding %s)",
				a, m.Config.Padding[a], m.Config.Padding, paddingWithout(m.Config.Padding, corrected))
		}
	}
	return nil
}

// placeFaces checks the data of the x faces, and in 3-D the y faces, and places them on the
// device.
func (r *Runner) placeFaces(ctx context.Context, bc *Boundary, batch int) error {
	bb := r.boon
	type faceInput struct {
		sides [2]string
		data  [2][]float32
		fd    faceData
	}
	faces := [2]faceInput{
		{[2]string{"left", "right"}, [2][]float32{bc.Left, bc.Right}, bb.x},
		{[2]string{"top", "down"}, [2][]float32{bc.Top, bc.Down}, bb.y},
	}
	for a, f := range faces[:r.m.CorrectedAxes()] {
		for i, side := range f.sides {
			if err := checkFaces(string(bc.Kind), side, f.data[i], r.grid, batch, a); err != nil {
				return err
			}
		}
		if err := r.uploadFaces(ctx, f.fd, a, f.data[:]...); err != nil {
			return err
		}
	}
	return nil
}

// placeStencils checks the Neumann stencils (the grid's third-order ones unless bc gives its
// own) and places them on the device; it returns their lengths.
func (r *Runner) placeStencils(ctx context.Context, bc *Boundary) (lenLeft, lenRight int, err error) {
	cfg, n := r.m.Config, r.grid[0]
	left, right := NeumannStencils((cfg.GridUB - cfg.GridLB) / float64(n-1))
	if bc.StencilLeft != nil {
		left = bc.StencilLeft
	}
	if bc.StencilRight != nil {
		right = bc.StencilRight
	}
	padded := r.boon.staging(r.boon.stencil.Len())
	clear(padded)
	at := 0
	// The sides' names apart from their stencils, which would otherwise escape with them.
	sides := [2]string{"left", "right"}
	for i, stencil := range [2][]float64{left, right} {
		// At most N−1 coefficients, so that neither side's stencil reads the point the
		// other side writes and the order of the two does not matter.
		if len(stencil) < 2 || len(stencil) > n-1 {
			return 0, 0, fmt.Errorf("fno: neumann %s stencil has %d coefficients, want 2..%d (the first axis has %d points)",
				sides[i], len(stencil), n-1, n)
		}
		for j, c := range stencil {
			if math.IsNaN(c) || math.IsInf(c, 0) {
				return 0, 0, fmt.Errorf("fno: neumann %s stencil coefficient %d is %v", sides[i], j, c)
			}
			padded[at] = float32(c)
			at++
		}
	}
	if left[0] == 0 || right[len(right)-1] == 0 {
		return 0, 0, fmt.Errorf("fno: neumann stencils with flux coefficients %g (first on the left) and %g (last on the right): both must be non-zero",
			left[0], right[len(right)-1])
	}
	if err := backend.Upload(ctx, r.b, r.boon.stencil, padded); err != nil {
		return 0, 0, fmt.Errorf("fno: neumann stencils: %w", err)
	}
	return len(left), len(right), nil
}

// paddingWithout is padding with the first k axes zeroed, as a --padding value.
func paddingWithout(padding []int, k int) string {
	s := ""
	for a, p := range padding {
		if a < k {
			p = 0
		}
		if a > 0 {
			s += ","
		}
		s += fmt.Sprint(p)
	}
	return s
}

// checkFaces checks one face's data for a batch on the faces of grid axis a. The shape is
// formed only for an error, so that a valid call allocates nothing.
func checkFaces(kind, side string, v []float32, grid []int, batch, a int) error {
	if want := batch * product(without(grid, a)); len(v) != want {
		return fmt.Errorf("fno: %s %s face data has %d values, want shape %v = %d", kind, side, len(v), FaceShape(grid, batch, a), want)
	}
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("fno: %s %s face data element %d is %v", kind, side, i, x)
		}
	}
	return nil
}

// FaceShape is the shape of a batch's data on the two faces of grid axis a (0: Left/Right,
// 1: Top/Down): [batch, the grid without axis a].
func FaceShape(grid []int, batch, a int) []int {
	return append([]int{batch}, without(grid, a)...)
}

// uploadFaces places two faces' data ([batch, grid without axis a]) into fd: at the grid's
// extents for the output, zero past the batch, and from there by CopyBox at the padded
// extents of the layers, zero in the padding as the published code pads the boundary data.
func (r *Runner) uploadFaces(ctx context.Context, fd faceData, a int, faces ...[]float32) error {
	grid, padded := without(r.grid, a), without(r.padded, a)
	box := backend.Box{Outer: r.active, Src: [3]int{1, 1, 1}, Dst: [3]int{1, 1, 1}}
	copy(box.Src[:], grid)
	copy(box.Dst[:], padded)
	host := r.boon.staging(fd.out[0].Len())
	for i, v := range faces {
		clear(host[copy(host, v):])
		if err := backend.Upload(ctx, r.b, fd.out[i], host); err != nil {
			return fmt.Errorf("fno: boundary data: %w", err)
		}
		if err := r.b.CopyBox(ctx, fd.layer[i], fd.out[i], box); err != nil {
			return fmt.Errorf("fno: boundary data: %w", err)
		}
	}
	return nil
}

// without is dims less axis a. A constant capacity keeps it on the caller's stack.
func without(dims []int, a int) []int {
	s := make([]int, 0, maxGridDims)
	for b, d := range dims {
		if b != a {
			s = append(s, d)
		}
	}
	return s
}

func product(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

// allocBoundary allocates, once per runner, the face data and, when the layers are to be
// corrected (not for periodic conditions or output-only enforcement), the scratch of the
// eliminations.
func (r *Runner) allocBoundary(eliminate bool) error {
	bb := r.boon
	if bb == nil {
		bb = &boonBuffers{}
	}
	var err error
	alloc := func(dst *backend.Buffer, n int) {
		if err == nil && *dst == nil {
			if *dst, err = r.b.Alloc(backend.Float32, n); err == nil {
				bb.bufs = append(bb.bufs, *dst)
			}
		}
	}
	alloc(&bb.stencil, 2*r.grid[0])
	axes := [2]*faceData{&bb.x, &bb.y}
	for a, fd := range axes[:r.m.CorrectedAxes()] {
		for i := range 2 {
			alloc(&fd.layer[i], r.maxBatch*product(without(r.padded, a)))
			alloc(&fd.out[i], r.maxBatch*product(without(r.grid, a)))
		}
	}
	if eliminate {
		size := r.maxBatch * r.m.Width * r.plan.Points()
		alloc(&bb.t2, size)
		alloc(&bb.tSpectral, size)
	}
	if err != nil {
		r.boon = nil
		return errors.Join(fmt.Errorf("fno: boundary correction buffers: %w", err), backend.FreeAll(r.b, bb.bufs...))
	}
	r.boon = bb
	return nil
}

// computeProbes evaluates every kernel on e₁ and e_N once per runner: the probes depend only
// on the weights and the grid. Like the published code they are read at sample 0, channel 0
// (and y = 0 in 3-D): one value in 1-D, a vector over the last axis otherwise, each entry
// its own pivot.
func (r *Runner) computeProbes(ctx context.Context, f form) error {
	bb := r.boon
	if bb.probes != nil {
		return nil
	}
	n, inner := r.padded[0], r.plan.Points()/r.padded[0]
	period := 1
	if r.m.Dims > 1 {
		period = r.padded[r.m.Dims-1]
	}
	// The probes run on one sample, so that they come out the same, bit for bit, whatever
	// batch the runner holds and whichever call computes them (the CPU FFT's rounding
	// depends on how many lines it runs).
	active := r.active
	defer func() {
		r.active = active
		r.plan.SetRows(active * r.m.Width)
	}()
	r.active = 1
	if err := r.plan.SetRows(r.m.Width); err != nil {
		return fmt.Errorf("fno: boundary probes: %w", err)
	}
	size := r.maxBatch * r.m.Width * n * inner // t2's: transfers are whole buffers
	e1, eN := make([]float32, size), make([]float32, size)
	for row := range r.m.Width { // the first sample's rows, the only ones run
		for p := range inner {
			e1[row*n*inner+p] = 1
			eN[(row*n+n-1)*inner+p] = 1
		}
	}
	k := make([]float32, len(e1))
	probe := func(sl sublayer, e []float32) (first, last []float64, err error) {
		if err := backend.Upload(ctx, r.b, bb.t2, e); err != nil {
			return nil, nil, err
		}
		if err := r.applyKernel(ctx, sl, bb.t2, r.spectral); err != nil {
			return nil, nil, err
		}
		if err := backend.Download(ctx, r.b, k, r.spectral); err != nil {
			return nil, nil, err
		}
		first, last = make([]float64, period), make([]float64, period)
		for p := range period {
			first[p], last[p] = float64(k[p]), float64(k[(n-1)*inner+p])
		}
		return first, last, nil
	}
	// packed is one sublayer's [K_0N | K_NN | K̃_00] with this form's clamps.
	packed := func(sl sublayer) ([]float32, error) {
		k00, kn0, err := probe(sl, e1)
		if err != nil {
			return nil, err
		}
		k0n, knn, err := probe(sl, eN)
		if err != nil {
			return nil, err
		}
		out := make([]float32, 3*period)
		for p := range period {
			a, d := f.clamp(k00[p]), f.clamp(knn[p])
			out[p] = float32(k0n[p])
			out[period+p] = float32(d)
			out[2*period+p] = float32(f.clamp(a - kn0[p]*k0n[p]/d))
		}
		return out, nil
	}
	probes := make(map[sublayer]backend.Buffer)
	for i := range r.m.Layers {
		for _, spectral := range []bool{true, false} {
			sl := sublayer{i, spectral}
			host, err := packed(sl)
			if err == nil {
				probes[sl], err = backend.FromHost(ctx, r.b, host)
			}
			if err != nil {
				return fmt.Errorf("fno: boundary probes, layer %d: %w", i, err)
			}
			bb.bufs = append(bb.bufs, probes[sl])
		}
	}
	bb.probes, bb.period = probes, period
	return nil
}

// applyKernel runs one kernel (the spectral convolution, or the 1×1 convolution with its
// bias) over the runner's full batch.
func (r *Runner) applyKernel(ctx context.Context, sl sublayer, src, dst backend.Buffer) error {
	if sl.spectral {
		return r.spectralConv(ctx, sl.layer, src, dst)
	}
	return r.pointwise(ctx, sl.layer, src, dst, nil, backend.ActNone)
}

// facesOf is a Faces op over the runner's activations along axis a (0 or 1).
func (st *boonState) facesOf(op backend.FaceOp, dst backend.Buffer, a int, dims []int, rowsPerSample int) backend.Faces {
	lead, inner := 1, 1
	for b, d := range dims {
		switch {
		case b < a:
			lead *= d
		case b > a:
			inner *= d
		}
	}
	samples := st.r.active
	return backend.Faces{Op: op, Dst: dst, Outer: samples * rowsPerSample * lead, N: dims[a], Inner: inner,
		Channels: rowsPerSample, Lead: lead}
}

// corrected computes dst = K̃(x) for one sublayer: BOON's eliminations around K, then the
// boundary condition on the x faces (and the y faces in 3-D).
func (st *boonState) corrected(ctx context.Context, sl sublayer, x, dst backend.Buffer) error {
	r, bb := st.r, st.r.boon
	dims := r.padded
	n := dims[0]
	k := r.spectral // K's output, scratch
	width := r.m.Width
	elim := func(op backend.FaceOp) backend.Faces {
		f := st.facesOf(op, bb.t2, 0, dims, width)
		f.K, f.Probes, f.Period = k, bb.probes[sl], bb.period
		return f
	}
	if err := r.b.CopyBox(ctx, bb.t2, x, r.box(dims, dims)); err != nil {
		return err
	}
	if st.form.leftElimination(st.kind) {
		if err := r.applyKernel(ctx, sl, x, k); err != nil {
			return err
		}
		f := elim(backend.FaceEliminateLeft)
		f.X = x
		if err := r.b.Faces(ctx, f); err != nil {
			return err
		}
	}
	if err := r.applyKernel(ctx, sl, bb.t2, k); err != nil {
		return err
	}
	f := elim(backend.FaceEliminateRight)
	f.Base = st.form.rightBase(n)
	if err := r.b.Faces(ctx, f); err != nil {
		return err
	}
	if err := r.applyKernel(ctx, sl, bb.t2, dst); err != nil {
		return err
	}
	return st.impose(ctx, dst, dims, width, false)
}

// impose sets the boundary condition on buf ([maxBatch·rowsPerSample, dims...]): the layers'
// padded activations, or the output at the grid's extents.
func (st *boonState) impose(ctx context.Context, buf backend.Buffer, dims []int, rowsPerSample int, output bool) error {
	b, bb := st.r.b, st.r.boon
	lr, td := bb.x.layer, bb.y.layer
	if output {
		lr, td = bb.x.out, bb.y.out
	}
	switch st.kind {
	case Periodic:
		axes := 1
		if st.form.dims == 3 {
			axes = 2
		}
		for a := range axes {
			if err := b.Faces(ctx, st.facesOf(backend.FacePeriodic, buf, a, dims, rowsPerSample)); err != nil {
				return err
			}
		}
	case Dirichlet:
		f := st.facesOf(backend.FaceDirichlet, buf, 0, dims, rowsPerSample)
		f.Left, f.Right = lr[0], lr[1]
		if err := b.Faces(ctx, f); err != nil {
			return err
		}
		if st.form.dims == 3 {
			f := st.facesOf(backend.FaceDirichlet, buf, 1, dims, rowsPerSample)
			f.Left, f.Right = td[0], td[1]
			if err := b.Faces(ctx, f); err != nil {
				return err
			}
		}
		if st.form.mollify(st.kind) {
			f := st.facesOf(backend.FaceMollify, buf, 0, dims, rowsPerSample)
			f.Smooth = mollifierWidth
			return b.Faces(ctx, f)
		}
	case Neumann:
		f := st.facesOf(backend.FaceNeumann, buf, 0, dims, rowsPerSample)
		f.Left, f.Right = lr[0], lr[1]
		f.Stencil, f.StencilLeft, f.StencilRight = bb.stencil, st.lenLeft, st.lenRight
		return b.Faces(ctx, f)
	}
	return nil
}

// layer is one corrected Fourier layer: dst = act(s·(K̃_conv(src) + K̃_w(src))), s = ½ for
// the published Neumann layers and 1 otherwise.
func (st *boonState) layer(ctx context.Context, i int, src, dst backend.Buffer, act backend.Activation) error {
	r := st.r
	if st.kind == Periodic {
		// Averaging the faces is linear, so it applies to the sum as well as to each kernel:
		// the layer runs fused, then the faces are averaged before the activation.
		if err := r.layer(ctx, i, src, dst, backend.ActNone); err != nil {
			return err
		}
		if err := st.impose(ctx, dst, r.padded, r.m.Width, false); err != nil {
			return err
		}
	} else {
		if err := st.corrected(ctx, sublayer{i, true}, src, r.boon.tSpectral); err != nil {
			return err
		}
		if err := st.corrected(ctx, sublayer{i, false}, src, dst); err != nil {
			return err
		}
		if err := r.b.AddScaled(ctx, dst, r.boon.tSpectral, st.form.layerScale(st.kind)); err != nil {
			return err
		}
	}
	if act == backend.ActNone {
		return nil
	}
	return st.activate(ctx, dst, r.padded, r.m.Width, act)
}

// activate applies act to buf ([maxBatch·rowsPerSample, dims...]), skipping the corrected
// faces unless this form applies it there too: the interior of the first axis, and in 3-D of
// the second as well.
func (st *boonState) activate(ctx context.Context, buf backend.Buffer, dims []int, rowsPerSample int, act backend.Activation) error {
	rows := st.r.active * rowsPerSample
	points := 1
	for _, d := range dims {
		points *= d
	}
	b := st.r.b
	if st.outputOnly || st.form.geluAtBoundary(st.kind) {
		return b.Activate(ctx, backend.Matrix{Buf: buf, Rows: rows, Cols: points}, 1, act)
	}
	n, inner := dims[0], points/dims[0]
	if n < 3 {
		return nil
	}
	if st.form.dims < 3 {
		return b.Activate(ctx, backend.Matrix{Buf: buf, Offset: inner, Rows: rows, Cols: (n - 2) * inner, LD: n * inner}, 1, act)
	}
	// 3-D: per row, x = 1..N−2 and within each, y = 1..M−2 over every t.
	m, t := dims[1], dims[2]
	if m < 3 {
		return nil
	}
	view := backend.Matrix{Buf: buf, Offset: inner + t, Rows: n - 2, Cols: (m - 2) * t, LD: inner, BatchStride: n * inner}
	return b.Activate(ctx, view, rows, act)
}

// enforceOutput is the published strict_enforce_bdy on the model's output
// ([maxBatch·out, grid...]), on the device before it is read back.
func (st *boonState) enforceOutput(ctx context.Context) error {
	r := st.r
	return st.impose(ctx, r.output, r.grid, r.m.OutChannels, true)
}
