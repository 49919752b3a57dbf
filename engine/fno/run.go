package fno

import (
	"context"
	"fmt"
	"math"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/fft"
)

// Runner is a model placed on a backend for one grid and up to a fixed batch: the weights,
// the DFT plan of the padded grid and every activation buffer are allocated once, so a
// Forward call allocates nothing on the device. A Runner is not safe for concurrent use;
// make one per goroutine.
type Runner struct {
	m        *Model
	b        backend.Backend
	grid     []int // as given
	padded   []int // after padding
	maxBatch int
	plan     *fft.Bound

	lift, liftBias       backend.Buffer
	layers               []deviceLayer
	hidden, hiddenBias   backend.Buffer
	project, projectBias backend.Buffer

	staging  []float32      // host copy of input, grid channels filled once
	input    backend.Buffer // [batch, in+dims, grid] channels-first
	lifted   backend.Buffer // [batch, width, grid]
	act      [2]backend.Buffer
	spectral backend.Buffer // [batch, width, padded] inverse DFT output
	modesIn  backend.Buffer // [batch, width, modes]
	modesOut backend.Buffer
	hiddenAc backend.Buffer // [batch, hidden, grid]
	output   backend.Buffer // [batch, out, grid]

	// probes are BOON's kernel entries per sublayer, computed on first use.
	probes map[sublayer]probe
}

type deviceLayer struct {
	spectral            backend.Buffer
	pointwise, pointBia backend.Buffer
}

// NewRunner places m on b for inputs of the given spatial extents and batches of up to
// maxBatch samples.
func (m *Model) NewRunner(ctx context.Context, b backend.Backend, grid []int, maxBatch int) (*Runner, error) {
	if len(grid) != m.Dims {
		return nil, fmt.Errorf("fno: grid %v has %d axes, the model is %d-D", grid, len(grid), m.Dims)
	}
	if maxBatch < 1 {
		return nil, fmt.Errorf("fno: batch size %d, want ≥ 1", maxBatch)
	}
	r := &Runner{m: m, b: b, grid: append([]int(nil), grid...), maxBatch: maxBatch}
	keep := make([][]int, 0, m.Dims-1)
	for a, n := range grid {
		if n < 2 {
			return nil, fmt.Errorf("fno: grid axis %d has %d points, want ≥ 2", a, n)
		}
		p := n + m.Config.Padding
		r.padded = append(r.padded, p)
		if a < m.Dims-1 {
			if 2*m.Modes[a] > p {
				return nil, fmt.Errorf("fno: axis %d keeps 2×%d modes, more than its %d points (with padding)", a, m.Modes[a], p)
			}
			keep = append(keep, fft.Corners(p, m.Modes[a]))
		}
	}
	if last := r.padded[m.Dims-1]; m.Modes[m.Dims-1] > last/2+1 {
		return nil, fmt.Errorf("fno: last axis keeps %d modes, more than the %d a real FFT of %d points has",
			m.Modes[m.Dims-1], last/2+1, last)
	}
	ok := false
	defer func() {
		if !ok {
			r.Close()
		}
	}()
	plan, err := fft.NewSpectral(r.padded, keep, m.Modes[m.Dims-1])
	if err != nil {
		return nil, fmt.Errorf("fno: %w", err)
	}
	if r.plan, err = plan.Bind(ctx, b, maxBatch*m.Width); err != nil {
		return nil, fmt.Errorf("fno: %w", err)
	}
	up := func(dst *backend.Buffer, src []float32) {
		if err == nil {
			*dst, err = backend.FromHost(ctx, b, src)
		}
	}
	up(&r.lift, m.Lift)
	up(&r.liftBias, m.LiftBias)
	up(&r.hidden, m.Hidden)
	up(&r.hiddenBias, m.HiddenBias)
	up(&r.project, m.Project)
	up(&r.projectBias, m.ProjectBias)
	for _, l := range m.Layers {
		var dl deviceLayer
		if err == nil {
			dl.spectral, err = backend.FromHost(ctx, b, l.Spectral)
		}
		up(&dl.pointwise, l.Pointwise)
		up(&dl.pointBia, l.PointwiseBias)
		r.layers = append(r.layers, dl)
	}
	points, paddedPoints := r.points(), r.paddedPoints()
	alloc := func(dst *backend.Buffer, dt backend.DType, n int) {
		if err == nil {
			*dst, err = b.Alloc(dt, n)
		}
	}
	alloc(&r.input, backend.Float32, maxBatch*(m.InChannels+m.Dims)*points)
	alloc(&r.lifted, backend.Float32, maxBatch*m.Width*points)
	alloc(&r.act[0], backend.Float32, maxBatch*m.Width*paddedPoints)
	alloc(&r.act[1], backend.Float32, maxBatch*m.Width*paddedPoints)
	alloc(&r.spectral, backend.Float32, maxBatch*m.Width*paddedPoints)
	alloc(&r.modesIn, backend.Complex64, maxBatch*m.Width*plan.Modes())
	alloc(&r.modesOut, backend.Complex64, maxBatch*m.Width*plan.Modes())
	alloc(&r.hiddenAc, backend.Float32, maxBatch*m.HiddenWidth*points)
	alloc(&r.output, backend.Float32, maxBatch*m.OutChannels*points)
	if err != nil {
		return nil, fmt.Errorf("fno: place model on %s: %w", b.Name(), err)
	}
	cin := m.InChannels + m.Dims
	r.staging = make([]float32, maxBatch*cin*points)
	for a, c := range r.coordinates() {
		for s := range maxBatch {
			copy(r.staging[(s*cin+m.InChannels+a)*points:][:points], c)
		}
	}
	ok = true
	return r, nil
}

func (r *Runner) points() int {
	n := 1
	for _, d := range r.grid {
		n *= d
	}
	return n
}

func (r *Runner) paddedPoints() int {
	n := 1
	for _, d := range r.padded {
		n *= d
	}
	return n
}

// Close frees every device buffer.
func (r *Runner) Close() error {
	if r.plan != nil {
		r.plan.Close()
	}
	bufs := []backend.Buffer{r.lift, r.liftBias, r.hidden, r.hiddenBias, r.project, r.projectBias,
		r.input, r.lifted, r.act[0], r.act[1], r.spectral, r.modesIn, r.modesOut, r.hiddenAc, r.output}
	for _, l := range r.layers {
		bufs = append(bufs, l.spectral, l.pointwise, l.pointBia)
	}
	for _, buf := range bufs {
		if buf != nil {
			r.b.Free(buf)
		}
	}
	return nil
}

// InputShape is the channels-last shape Forward expects for a batch: [batch, grid..., in].
func (r *Runner) InputShape(batch int) []int {
	return append(append([]int{batch}, r.grid...), r.m.InChannels)
}

// OutputShape is [batch, grid..., out].
func (r *Runner) OutputShape(batch int) []int {
	return append(append([]int{batch}, r.grid...), r.m.OutChannels)
}

// Forward runs a batch. input is channels-last, [batch, grid..., in] as the reference models
// take it (without the grid channels, which the model appends); the result is [batch,
// grid..., out]. bc applies BOON corrections: a BOON checkpoint needs the values of the
// condition it was trained with, and a plain FNO gets the corrections when bc is non-nil.
//
// Every operation runs over the runner's full batch so that buffers and plans keep one
// shape; samples past batch are zeros whose results are dropped.
func (r *Runner) Forward(ctx context.Context, input []float32, batch int, bc *Boundary) ([]float32, error) {
	m := r.m
	if batch < 1 || batch > r.maxBatch {
		return nil, fmt.Errorf("fno: batch of %d, runner holds 1..%d", batch, r.maxBatch)
	}
	points := r.points()
	if want := batch * points * m.InChannels; len(input) != want {
		return nil, fmt.Errorf("fno: input has %d values, want shape %v = %d", len(input), r.InputShape(batch), want)
	}
	for i, v := range input {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("fno: input element %d (flat, channels-last) is %v", i, v)
		}
	}
	corr, err := r.prepareBoundary(ctx, bc, batch)
	if err != nil {
		return nil, err
	}

	// The input channels go channels-first into the staging copy, whose grid channels were
	// filled once by NewRunner: the transposing copy of the smallest tensor of the pass is
	// cheapest on the host.
	cin := m.InChannels + m.Dims
	for s := range r.maxBatch {
		for c := range m.InChannels {
			dst := r.staging[(s*cin+c)*points:][:points]
			if s >= batch {
				clear(dst)
				continue
			}
			for p := range points {
				dst[p] = input[(s*points+p)*m.InChannels+c]
			}
		}
	}
	if err := backend.Upload(ctx, r.b, r.input, r.staging); err != nil {
		return nil, fmt.Errorf("fno: upload input: %w", err)
	}

	// Lift, then pad with zeros (after the lift, as F.pad does, so the padding is 0 rather
	// than fc0's bias). Without padding the lift writes the first activation directly.
	padded := m.Config.Padding > 0
	lifted := r.act[0]
	if padded {
		lifted = r.lifted
	}
	if err := r.b.Gemm(ctx, backend.Gemm{
		Batch: r.maxBatch,
		A:     backend.Matrix{Buf: r.lift, Rows: m.Width, Cols: cin},
		B:     backend.Matrix{Buf: r.input, Rows: cin, Cols: points, BatchStride: cin * points},
		C:     backend.Matrix{Buf: lifted, Rows: m.Width, Cols: points, BatchStride: m.Width * points},
		Bias:  r.liftBias,
	}); err != nil {
		return nil, fmt.Errorf("fno: lift: %w", err)
	}
	if padded {
		if err := r.b.CopyBox(ctx, r.act[0], r.lifted, r.box(r.grid, r.padded)); err != nil {
			return nil, fmt.Errorf("fno: pad: %w", err)
		}
	}

	x := 0
	for i := range m.Layers {
		act := backend.ActGELU
		if i == len(m.Layers)-1 {
			act = backend.ActNone
		}
		if corr != nil {
			err = corr.layer(ctx, i, r.act[x], r.act[1-x], act)
		} else {
			err = r.layer(ctx, i, r.act[x], r.act[1-x], act)
		}
		if err != nil {
			return nil, fmt.Errorf("fno: layer %d: %w", i, err)
		}
		x = 1 - x
	}

	// Crop the padding, then project: hidden = gelu(W1·x + b1), out = W2·hidden + b2.
	cropped := r.act[x]
	if padded {
		cropped = r.lifted
		if err := r.b.CopyBox(ctx, r.lifted, r.act[x], r.box(r.padded, r.grid)); err != nil {
			return nil, fmt.Errorf("fno: crop: %w", err)
		}
	}
	hiddenAct := backend.ActGELU
	if corr != nil && !corr.geluAtBoundary() {
		hiddenAct = backend.ActNone // applied to the interior below
	}
	if err := r.b.Gemm(ctx, backend.Gemm{
		Batch: r.maxBatch,
		A:     backend.Matrix{Buf: r.hidden, Rows: m.HiddenWidth, Cols: m.Width},
		B:     backend.Matrix{Buf: cropped, Rows: m.Width, Cols: points, BatchStride: m.Width * points},
		C:     backend.Matrix{Buf: r.hiddenAc, Rows: m.HiddenWidth, Cols: points, BatchStride: m.HiddenWidth * points},
		Bias:  r.hiddenBias,
		Act:   hiddenAct,
	}); err != nil {
		return nil, fmt.Errorf("fno: project (fc1): %w", err)
	}
	if hiddenAct == backend.ActNone {
		if err := corr.interiorGELU(ctx, r.hiddenAc); err != nil {
			return nil, fmt.Errorf("fno: project (fc1): %w", err)
		}
	}
	if err := r.b.Gemm(ctx, backend.Gemm{
		Batch: r.maxBatch,
		A:     backend.Matrix{Buf: r.project, Rows: m.OutChannels, Cols: m.HiddenWidth},
		B:     backend.Matrix{Buf: r.hiddenAc, Rows: m.HiddenWidth, Cols: points, BatchStride: m.HiddenWidth * points},
		C:     backend.Matrix{Buf: r.output, Rows: m.OutChannels, Cols: points, BatchStride: m.OutChannels * points},
		Bias:  r.projectBias,
	}); err != nil {
		return nil, fmt.Errorf("fno: project (fc2): %w", err)
	}
	out := make([]float32, r.output.Len())
	if err := backend.Download(ctx, r.b, out, r.output); err != nil {
		return nil, fmt.Errorf("fno: download output: %w", err)
	}
	out = out[:batch*m.OutChannels*points]
	if corr != nil {
		corr.enforceOutput(out, batch)
	}
	// Channels-first to channels-last; a no-op for the usual single output channel.
	if m.OutChannels == 1 {
		return out, nil
	}
	last := make([]float32, len(out))
	for s := range batch {
		for c := range m.OutChannels {
			for p := range points {
				last[(s*points+p)*m.OutChannels+c] = out[(s*m.OutChannels+c)*points+p]
			}
		}
	}
	return last, nil
}

// Transform names how the runner computes its Fourier transforms.
func (r *Runner) Transform() string { return r.plan.Method() }

// layer computes dst = act(K(src) + W·src + b) over the padded grid, the spectral path
// K fused into the pointwise GEMM as its addend.
func (r *Runner) layer(ctx context.Context, i int, src, dst backend.Buffer, act backend.Activation) error {
	if err := r.spectralConv(ctx, i, src, r.spectral); err != nil {
		return err
	}
	return r.pointwise(ctx, i, src, dst, r.spectral, act)
}

// spectralConv computes dst = K_i(src): forward DFT of the kept modes, channel mixing,
// inverse DFT.
func (r *Runner) spectralConv(ctx context.Context, i int, src, dst backend.Buffer) error {
	m := r.m
	rows := r.maxBatch * m.Width
	if err := r.plan.Forward(ctx, r.modesIn, src, rows); err != nil {
		return err
	}
	shape := backend.MixShape{Batch: r.maxBatch, In: m.Width, Out: m.Width, Modes: r.plan.Modes()}
	if err := r.b.SpectralMix(ctx, r.modesOut, r.modesIn, r.layers[i].spectral, shape); err != nil {
		return err
	}
	return r.plan.Inverse(ctx, dst, r.modesOut, rows)
}

// pointwise computes dst = act(W_i·src + b_i + addend); addend may be nil.
func (r *Runner) pointwise(ctx context.Context, i int, src, dst, addend backend.Buffer, act backend.Activation) error {
	m := r.m
	pp := r.paddedPoints()
	view := func(buf backend.Buffer) backend.Matrix {
		return backend.Matrix{Buf: buf, Rows: m.Width, Cols: pp, BatchStride: m.Width * pp}
	}
	g := backend.Gemm{
		Batch: r.maxBatch,
		A:     backend.Matrix{Buf: r.layers[i].pointwise, Rows: m.Width, Cols: m.Width},
		B:     view(src),
		C:     view(dst),
		Bias:  r.layers[i].pointBia,
		Act:   act,
	}
	if addend != nil {
		d := view(addend)
		g.Addend = &d
	}
	return r.b.Gemm(ctx, g)
}

func (r *Runner) box(from, to []int) backend.Box {
	bx := backend.Box{Outer: r.maxBatch * r.m.Width, Src: [3]int{1, 1, 1}, Dst: [3]int{1, 1, 1}}
	copy(bx.Src[:], from)
	copy(bx.Dst[:], to)
	return bx
}

// coordinates are the grid channels, one per axis, each flattened over the grid: axis a
// varies along a only, as linspace(lb, ub, n_a) (endpoint included unless configured off).
func (r *Runner) coordinates() [][]float32 {
	m := r.m
	points := r.points()
	out := make([][]float32, m.Dims)
	stride := points
	for a, n := range r.grid {
		stride /= n
		line := linspace(m.Config.GridLB, m.Config.GridUB, n, m.Config.GridEndpoint)
		c := make([]float32, points)
		for p := range points {
			c[p] = line[(p/stride)%n]
		}
		out[a] = c
	}
	return out
}

// linspace follows numpy.linspace in float64, rounded to float32 as torch.tensor(…,
// dtype=torch.float) does.
func linspace(lb, ub float64, n int, endpoint bool) []float32 {
	div := float64(n)
	if endpoint {
		div = float64(n - 1)
	}
	step := (ub - lb) / div
	out := make([]float32, n)
	for i := range n {
		out[i] = float32(lb + float64(i)*step)
	}
	if endpoint && n > 1 {
		out[n-1] = float32(ub)
	}
	return out
}
