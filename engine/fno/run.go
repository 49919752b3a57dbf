package fno

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/limits"
	"github.com/fluxcore/fluxcore/fft"
	"github.com/fluxcore/fluxcore/internal/finite"
	"github.com/fluxcore/fluxcore/internal/lifetime"
)

// Runner is a model placed on a backend for one grid and up to a fixed batch: the weights,
// the DFT plan of the padded grid and every activation buffer are allocated once, so a
// Forward call allocates nothing on the device.
//
// A Runner serves one caller at a time: a Forward entered while another is running fails
// with engine.ErrBusy, so make one Runner per goroutine (they may share the Model). Close
// may be called from any goroutine: it waits for a Forward in flight, and every later call
// fails with engine.ErrClosed.
type Runner struct {
	gate     lifetime.Gate
	m        *Model
	b        backend.Backend
	grid     []int // as given
	padded   []int // after padding
	maxBatch int   // the buffers hold this many samples
	active   int   // the running Forward's samples: every operation covers these only
	plan     fft.Transform
	estimate fft.Estimate

	// weights are the model's on the backend, the runner's own or shared with others
	// (RunnerConfig.Weights); lift, project and layers are their views.
	weights       *Weights
	ownWeights    bool
	lift, project []deviceDense
	layers        []deviceLayer

	staging  []float32      // host copy of input, grid channels filled once
	download []float32      // host copy of output, channels-first
	input    backend.Buffer // [batch, in+dims, grid] channels-first
	lifted   backend.Buffer // [batch, width, grid]
	act      [2]backend.Buffer
	spectral backend.Buffer // [batch, width, padded] inverse DFT output
	modesIn  backend.Buffer // [batch, width, modes]
	modesOut backend.Buffer
	// chain holds the hidden activations of a channel MLP, [batch, widest, padded] each.
	chain  [2]backend.Buffer
	gated  backend.Buffer // [batch, width, padded]: g ⊙ x of a soft-gated channel MLP
	output backend.Buffer // [batch, out, grid]

	// addend is the running gemm's addend view: a field, so that a call allocates none.
	addend backend.Matrix

	// corrections is the running call's boundary state, kept here so that a call allocates
	// none.
	corrections boonState

	// boon is the device memory of BOON corrections, allocated on first use.
	boon *boonBuffers
}

// deviceDense is a Dense on the backend; bias is nil when it has none.
type deviceDense struct {
	in, out int
	w, bias backend.Buffer
}

type deviceLayer struct {
	spectral   backend.Buffer
	pointwise  deviceDense
	channelMLP []deviceDense
	gate       *deviceDense
}

// RunnerConfig says what a Runner is for.
type RunnerConfig struct {
	// Grid is the spatial extents of the inputs, one per model axis (≥ 2 points each).
	Grid []int
	// MaxBatch is the most samples one Forward takes (≥ 1); 0 means 1.
	MaxBatch int
	// Transform is how the Fourier transforms are computed; fft.Auto lets the cost model
	// pick for this grid, and "" reads $FLUXCORE_FFT (auto when unset).
	Transform fft.Method
	// Weights, when set, are shared with the other runners that use them (Model.PlaceWeights);
	// nil places the runner's own, which Close frees.
	Weights *Weights
}

// CheckGrid reports whether m can run inputs of grid: at least 2 points an axis, within the
// limits with padding, and enough points for the Fourier modes the weights keep.
func (m *Model) CheckGrid(grid []int) error {
	if len(grid) != m.Dims {
		return fmt.Errorf("fno: grid %v has %d axes, the model is %d-D", grid, len(grid), m.Dims)
	}
	padded, err := m.paddedGrid(grid)
	if err == nil {
		_, _, err = m.keptFrequencies(padded)
	}
	return err
}

// paddedGrid is grid with the model's padding, each axis checked.
func (m *Model) paddedGrid(grid []int) ([]int, error) {
	var padded []int
	for a, n := range grid {
		if n < 2 {
			return nil, fmt.Errorf("fno: grid axis %d has %d points, want ≥ 2", a, n)
		}
		if err := limits.Check(fmt.Sprintf("fno: grid axis %d points with padding", a), n+m.Config.Padding[a], limits.MaxGridAxis); err != nil {
			return nil, err
		}
		padded = append(padded, n+m.Config.Padding[a])
	}
	return padded, nil
}

// NewRunner places m on b for cfg: it uploads the weights, binds the transforms and
// allocates every activation buffer.
func (m *Model) NewRunner(ctx context.Context, b backend.Backend, cfg RunnerConfig) (*Runner, error) {
	maxBatch := cfg.MaxBatch
	if maxBatch == 0 {
		maxBatch = 1
	}
	if len(cfg.Grid) != m.Dims {
		return nil, fmt.Errorf("fno: grid %v has %d axes, the model is %d-D", cfg.Grid, len(cfg.Grid), m.Dims)
	}
	if maxBatch < 1 {
		return nil, fmt.Errorf("fno: batch size %d, want ≥ 1", maxBatch)
	}
	r := &Runner{m: m, b: b, grid: append([]int(nil), cfg.Grid...), maxBatch: maxBatch}
	padded, err := m.paddedGrid(cfg.Grid)
	if err != nil {
		return nil, err
	}
	r.padded = padded
	if _, err := limits.Product("fno: padded grid × batch × width", limits.MaxArrayElements, append(slices.Clone(r.padded), maxBatch, m.Width)...); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			r.Close()
		}
	}()
	transform := cfg.Transform
	if transform == "" {
		env, err := fft.ParseMethod(cmp.Or(os.Getenv(EnvTransform), string(fft.Auto)))
		if err != nil {
			return nil, fmt.Errorf("fno: $%s: %w", EnvTransform, err)
		}
		transform = env
	}
	modes, err := r.bindTransforms(ctx, transform)
	if err != nil {
		return nil, err
	}
	err = r.useWeights(ctx, cfg.Weights)
	if err == nil {
		err = r.allocActivations(modes, r.weights.widest)
	}
	if err != nil {
		return nil, fmt.Errorf("fno: place model on %s: %w", b.Name(), err)
	}
	r.fillStaging()
	ok = true
	return r, nil
}

// bindTransforms plans the padded grid's DFT pair on the backend and returns how many modes
// it keeps.
func (r *Runner) bindTransforms(ctx context.Context, transform fft.Method) (modes int, err error) {
	m := r.m
	forward, inverse, err := m.keptFrequencies(r.padded)
	if err != nil {
		return 0, err
	}
	plan, err := fft.NewSpectralPair(r.padded, forward, inverse, m.Modes[m.Dims-1])
	if err != nil {
		return 0, fmt.Errorf("fno: %w", err)
	}
	r.estimate = plan.Choose(r.b.Kind())
	if r.plan, err = plan.Bind(ctx, r.b, r.maxBatch*m.Width, transform); err != nil {
		return 0, fmt.Errorf("fno: %w", err)
	}
	return plan.Modes(), nil
}

// Weights are a model's weights placed on a backend. Runners of the model on that backend
// may share them (RunnerConfig.Weights), so that a server keeping runners for several
// batch sizes and grids holds one copy. They are read-only, so runners sharing them may run
// at the same time.
type Weights struct {
	m             *Model
	b             backend.Backend
	lift, project []deviceDense
	layers        []deviceLayer
	widest        int // the widest hidden layer of any MLP
}

// PlaceWeights uploads every weight of m to b. Close them after every runner using them.
func (m *Model) PlaceWeights(ctx context.Context, b backend.Backend) (w *Weights, err error) {
	w = &Weights{m: m, b: b, widest: m.Width}
	place := func(d Dense) deviceDense {
		dd := deviceDense{in: d.In, out: d.Out}
		if err == nil {
			dd.w, err = backend.FromHost(ctx, b, d.W)
		}
		if err == nil && d.Bias != nil {
			dd.bias, err = backend.FromHost(ctx, b, d.Bias)
		}
		return dd
	}
	for _, d := range m.Lift {
		w.lift = append(w.lift, place(d))
		w.widest = max(w.widest, d.Out)
	}
	for _, d := range m.Project {
		w.project = append(w.project, place(d))
		w.widest = max(w.widest, d.Out)
	}
	for _, l := range m.Layers {
		var dl deviceLayer
		if err == nil {
			dl.spectral, err = backend.FromHost(ctx, b, l.Spectral)
		}
		dl.pointwise = place(l.Pointwise)
		for _, d := range l.ChannelMLP {
			dl.channelMLP = append(dl.channelMLP, place(d))
			w.widest = max(w.widest, d.Out)
		}
		if l.Gate != nil {
			g := place(*l.Gate)
			dl.gate = &g
		}
		w.layers = append(w.layers, dl)
	}
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("fno: place weights on %s: %w", b.Name(), err)
	}
	return w, nil
}

// Close frees the weights on the backend.
func (w *Weights) Close() error {
	dense := append(append([]deviceDense(nil), w.lift...), w.project...)
	var bufs []backend.Buffer
	for _, l := range w.layers {
		bufs = append(bufs, l.spectral)
		dense = append(append(dense, l.pointwise), l.channelMLP...)
		if l.gate != nil {
			dense = append(dense, *l.gate)
		}
	}
	for _, d := range dense {
		bufs = append(bufs, d.w, d.bias)
	}
	return backend.FreeAll(w.b, bufs...)
}

// useWeights takes shared weights, or places the runner's own.
func (r *Runner) useWeights(ctx context.Context, shared *Weights) error {
	w := shared
	if w == nil {
		var err error
		if w, err = r.m.PlaceWeights(ctx, r.b); err != nil {
			return err
		}
		r.ownWeights = true
	} else if w.m != r.m || w.b != r.b {
		return fmt.Errorf("fno: the shared weights are another model's or on another backend")
	}
	r.weights, r.lift, r.project, r.layers = w, w.lift, w.project, w.layers
	return nil
}

// allocActivations allocates the buffers a Forward pass runs through.
func (r *Runner) allocActivations(modes, widest int) (err error) {
	m, n := r.m, r.maxBatch
	alloc := func(dst *backend.Buffer, dt backend.DType, count int) {
		if err == nil {
			*dst, err = r.b.Alloc(dt, count)
		}
	}
	points, paddedPoints := r.points(), r.plan.Points()
	alloc(&r.input, backend.Float32, n*(m.InChannels+m.Dims)*points)
	alloc(&r.lifted, backend.Float32, n*m.Width*points)
	alloc(&r.act[0], backend.Float32, n*m.Width*paddedPoints)
	alloc(&r.act[1], backend.Float32, n*m.Width*paddedPoints)
	alloc(&r.spectral, backend.Float32, n*m.Width*paddedPoints)
	alloc(&r.modesIn, backend.Complex64, n*m.Width*modes)
	alloc(&r.modesOut, backend.Complex64, n*m.Width*modes)
	alloc(&r.chain[0], backend.Float32, n*widest*paddedPoints)
	alloc(&r.chain[1], backend.Float32, n*widest*paddedPoints)
	if m.Layout == LayoutNeuralop {
		alloc(&r.gated, backend.Float32, n*m.Width*paddedPoints)
	}
	alloc(&r.output, backend.Float32, n*m.OutChannels*points)
	return err
}

// fillStaging writes the grid channels, which never change, into the host staging copy.
func (r *Runner) fillStaging() {
	m, points := r.m, r.points()
	cin := m.InChannels + m.Dims
	r.staging = make([]float32, r.maxBatch*cin*points)
	for a, c := range r.coordinates() {
		for s := range r.maxBatch {
			copy(r.staging[(s*cin+m.InChannels+a)*points:][:points], c)
		}
	}
}

func (r *Runner) points() int { return product(r.grid) }

// Close waits for a Forward in flight, then frees every device buffer. Every later call
// fails with engine.ErrClosed; a second Close returns nil.
func (r *Runner) Close() error {
	if !r.gate.Close() {
		return nil
	}
	var first error
	if r.plan != nil {
		first = r.plan.Close()
	}
	bufs := []backend.Buffer{r.input, r.lifted, r.act[0], r.act[1], r.spectral, r.modesIn, r.modesOut,
		r.chain[0], r.chain[1], r.gated, r.output}
	if r.ownWeights {
		if err := r.weights.Close(); first == nil {
			first = err
		}
	}
	if r.boon != nil {
		bufs = append(bufs, r.boon.bufs...)
	}
	if err := backend.FreeAll(r.b, bufs...); first == nil {
		first = err
	}
	return first
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
// A batch smaller than the runner's costs in proportion: every operation covers the first
// batch samples of the buffers, except the full-FFT transform's FFT itself, whose plan is
// made for the runner's batch.
func (r *Runner) Forward(ctx context.Context, input []float32, batch int, bc *Boundary) ([]float32, error) {
	out := make([]float32, max(batch, 0)*r.points()*r.m.OutChannels)
	if err := r.ForwardInto(ctx, out, input, batch, bc); err != nil {
		return nil, err
	}
	return out, nil
}

// ForwardInto is Forward writing into out, which holds exactly [batch, grid..., out] values.
// Once a runner has run, a call allocates nothing, boundary corrections included.
func (r *Runner) ForwardInto(ctx context.Context, out, input []float32, batch int, bc *Boundary) error {
	if err := r.gate.EnterAlone(); err != nil {
		return fmt.Errorf("fno: forward: %w", err)
	}
	defer r.gate.Leave()
	if err := r.checkInput(ctx, input, batch); err != nil {
		return err
	}
	if want := batch * r.points() * r.m.OutChannels; len(out) != want {
		return fmt.Errorf("fno: output holds %d values, want shape %v = %d", len(out), r.OutputShape(batch), want)
	}
	r.active = batch
	if err := r.plan.SetRows(batch * r.m.Width); err != nil {
		return fmt.Errorf("fno: %w", err)
	}
	corr, err := r.prepareBoundary(ctx, bc, batch)
	if err != nil {
		return err
	}
	if err := r.stageInput(ctx, input, batch); err != nil {
		return err
	}
	if err := r.run(ctx, corr); err != nil {
		return err
	}
	if err := r.fetchOutput(ctx, out, batch); err != nil {
		return err
	}
	// Finite inputs and weights can still overflow float32 on the way; such an output is
	// an error, never a result.
	if i, err := finite.First(ctx, out); err != nil || i >= 0 {
		if err != nil {
			return err
		}
		return fmt.Errorf("fno: output element %d (flat index) is %v: %w", i, out[i], ErrOverflow)
	}
	return nil
}

// ErrOverflow is a forward whose finite inputs and weights overflowed float32 on the way:
// the inputs are too large for the network.
var ErrOverflow = errors.New("the network overflowed float32")

// checkInput checks a batch's size and that every value is finite.
func (r *Runner) checkInput(ctx context.Context, input []float32, batch int) error {
	if batch < 1 || batch > r.maxBatch {
		return fmt.Errorf("fno: batch of %d, runner holds 1..%d", batch, r.maxBatch)
	}
	if want := batch * r.points() * r.m.InChannels; len(input) != want {
		return fmt.Errorf("fno: input has %d values, want shape %v = %d", len(input), r.InputShape(batch), want)
	}
	i, err := finite.First(ctx, input)
	if err != nil || i < 0 {
		return err
	}
	return fmt.Errorf("fno: input element %d (flat, channels-last) is %v", i, input[i])
}

// stageInput uploads the input channels-first through the staging copy, whose grid channels
// NewRunner filled once: the transposing copy of the smallest tensor of the pass is cheapest
// on the host.
func (r *Runner) stageInput(ctx context.Context, input []float32, batch int) error {
	m, points := r.m, r.points()
	cin := m.InChannels + m.Dims
	for s := range batch { // the samples past it are not computed
		for c := range m.InChannels {
			dst := r.staging[(s*cin+c)*points:][:points]
			for p := range points {
				dst[p] = input[(s*points+p)*m.InChannels+c]
			}
		}
	}
	if err := backend.Upload(ctx, r.b, r.input, r.staging); err != nil {
		return fmt.Errorf("fno: upload input: %w", err)
	}
	return nil
}

// run computes the staged batch into r.output: lift, pad, the Fourier layers, crop, project,
// and BOON's corrections when corr is set.
func (r *Runner) run(ctx context.Context, corr *boonState) error {
	m, points := r.m, r.points()
	// Lift, then pad with zeros (after the lift, as F.pad does, so the padding is 0 rather
	// than fc0's bias). Without padding the lift writes the first activation directly.
	padded := r.plan.Points() != points
	lifted := r.act[0]
	if padded {
		lifted = r.lifted
	}
	if err := r.chainMLP(ctx, r.lift, r.input, lifted, nil, points, nil, backend.ActNone); err != nil {
		return fmt.Errorf("fno: lift: %w", err)
	}
	if padded {
		if err := r.b.CopyBox(ctx, r.act[0], r.lifted, r.box(r.grid, r.padded)); err != nil {
			return fmt.Errorf("fno: pad: %w", err)
		}
	}
	x := 0
	for i := range m.Layers {
		act := backend.ActGELU
		if i == len(m.Layers)-1 {
			act = backend.ActNone
		}
		var err error
		if corr != nil && !corr.outputOnly {
			err = corr.layer(ctx, i, r.act[x], r.act[1-x], act)
		} else {
			err = r.layer(ctx, i, r.act[x], r.act[1-x], act)
		}
		if err != nil {
			return fmt.Errorf("fno: layer %d: %w", i, err)
		}
		x = 1 - x
	}
	// Crop the padding, then project.
	cropped := r.act[x]
	if padded {
		cropped = r.lifted
		if err := r.b.CopyBox(ctx, r.lifted, r.act[x], r.box(r.padded, r.grid)); err != nil {
			return fmt.Errorf("fno: crop: %w", err)
		}
	}
	if err := r.chainMLP(ctx, r.project, cropped, r.output, nil, points, corr, backend.ActNone); err != nil {
		return fmt.Errorf("fno: project: %w", err)
	}
	if corr != nil {
		if err := corr.enforceOutput(ctx); err != nil {
			return fmt.Errorf("fno: enforce boundary: %w", err)
		}
	}
	return nil
}

// fetchOutput downloads the first batch samples of the output into dst, channels-last.
// The runner's download buffer is reused from call to call.
func (r *Runner) fetchOutput(ctx context.Context, dst []float32, batch int) error {
	m, points := r.m, r.points()
	if r.download == nil {
		r.download = make([]float32, r.output.Len())
	}
	if err := backend.Download(ctx, r.b, r.download, r.output); err != nil {
		return fmt.Errorf("fno: download output: %w", err)
	}
	first := r.download[:batch*m.OutChannels*points]
	// Channels-first to channels-last; a plain copy for the usual single output channel.
	if m.OutChannels == 1 {
		copy(dst, first)
		return nil
	}
	for s := range batch {
		for c := range m.OutChannels {
			for p := range points {
				dst[(s*points+p)*m.OutChannels+c] = first[(s*m.OutChannels+c)*points+p]
			}
		}
	}
	return nil
}

// Transform is how the runner computes its Fourier transforms.
func (r *Runner) Transform() fft.Method { return r.plan.Method() }

// TransformEstimate is the cost model's view of this runner's grid, whichever method ran.
func (r *Runner) TransformEstimate() fft.Estimate { return r.estimate }

// layer computes one Fourier layer over the padded grid: dst = act(K(src) + W·src + b),
// the spectral path K fused into the pointwise GEMM as its addend, and for a channel-MLP
// block dst = act(MLP(that) + g ⊙ src).
func (r *Runner) layer(ctx context.Context, i int, src, dst backend.Buffer, act backend.Activation) error {
	if err := r.spectralConv(ctx, i, src, r.spectral); err != nil {
		return err
	}
	l := r.layers[i]
	if len(l.channelMLP) == 0 {
		return r.pointwise(ctx, i, src, dst, r.spectral, act)
	}
	// y = act(K(src) + b + S·src), in place of K(src).
	if err := r.pointwise(ctx, i, src, r.spectral, r.spectral, act); err != nil {
		return err
	}
	pp := r.plan.Points()
	if err := r.gemm(ctx, *l.gate, src, r.gated, pp, nil, backend.ActNone); err != nil {
		return fmt.Errorf("soft gating: %w", err)
	}
	if err := r.chainMLP(ctx, l.channelMLP, r.spectral, dst, r.gated, pp, nil, act); err != nil {
		return fmt.Errorf("channel MLP: %w", err)
	}
	return nil
}

// chainMLP runs a channel MLP from src to dst over points grid points per sample: a GELU
// between consecutive layers, finalAct after the last, and addend (optional) added to the
// last layer's output before finalAct. With BOON corrections that keep the boundary linear,
// the GELUs between layers skip the boundary points.
func (r *Runner) chainMLP(ctx context.Context, chain []deviceDense, src, dst, addend backend.Buffer, points int,
	corr *boonState, finalAct backend.Activation) error {
	if len(chain) == 2 && corr == nil && addend == nil && finalAct == backend.ActNone {
		// The usual projection (fc1, GELU, fc2): one fused op, so that its widest tensor,
		// the hidden layer, never goes to memory.
		first, second := chain[0], chain[1]
		return r.b.MLP(ctx, backend.MLP{
			Batch:  r.active,
			X:      backend.Matrix{Buf: src, Rows: first.in, Cols: points, BatchStride: first.in * points},
			Y:      backend.Matrix{Buf: dst, Rows: second.out, Cols: points, BatchStride: second.out * points},
			Hidden: first.out,
			W1:     first.w, Bias1: first.bias,
			W2: second.w, Bias2: second.bias,
			Act: backend.ActGELU,
		})
	}
	cur := src
	for j, d := range chain {
		out, act := r.chain[j%2], backend.ActGELU
		if corr != nil {
			act = backend.ActNone // applied below, where the corrections allow
		}
		var add backend.Buffer
		if j == len(chain)-1 {
			out, act, add = dst, finalAct, addend
		}
		if err := r.gemm(ctx, d, cur, out, points, add, act); err != nil {
			return fmt.Errorf("layer %d: %w", j, err)
		}
		if j < len(chain)-1 && corr != nil {
			if err := corr.activate(ctx, out, r.grid, d.out, backend.ActGELU); err != nil {
				return fmt.Errorf("layer %d: %w", j, err)
			}
		}
		cur = out
	}
	return nil
}

// gemm applies a 1×1 convolution to every sample: dst = act(W·src + bias + addend), each
// sample a [channels, points] matrix; addend may be nil.
func (r *Runner) gemm(ctx context.Context, d deviceDense, src, dst backend.Buffer, points int, addend backend.Buffer,
	act backend.Activation) error {
	g := backend.Gemm{
		Batch: r.active,
		A:     backend.Matrix{Buf: d.w, Rows: d.out, Cols: d.in},
		B:     backend.Matrix{Buf: src, Rows: d.in, Cols: points, BatchStride: d.in * points},
		C:     backend.Matrix{Buf: dst, Rows: d.out, Cols: points, BatchStride: d.out * points},
		Bias:  d.bias,
		Act:   act,
	}
	if addend != nil {
		r.addend = backend.Matrix{Buf: addend, Rows: d.out, Cols: points, BatchStride: d.out * points}
		g.Addend = &r.addend
	}
	return r.b.Gemm(ctx, g)
}

// spectralConv computes dst = K_i(src): forward DFT of the kept modes, channel mixing,
// inverse DFT.
func (r *Runner) spectralConv(ctx context.Context, i int, src, dst backend.Buffer) error {
	m := r.m
	if err := r.plan.Forward(ctx, r.modesIn, src); err != nil {
		return err
	}
	shape := backend.MixShape{Batch: r.active, In: m.Width, Out: m.Width, Modes: r.plan.Modes()}
	if err := r.b.SpectralMix(ctx, r.modesOut, r.modesIn, r.layers[i].spectral, shape); err != nil {
		return err
	}
	return r.plan.Inverse(ctx, dst, r.modesOut)
}

// pointwise computes dst = act(W_i·src + b_i + addend); addend may be nil.
func (r *Runner) pointwise(ctx context.Context, i int, src, dst, addend backend.Buffer, act backend.Activation) error {
	return r.gemm(ctx, r.layers[i].pointwise, src, dst, r.plan.Points(), addend, act)
}

func (r *Runner) box(from, to []int) backend.Box {
	bx := backend.Box{Outer: r.active * r.m.Width, Src: [3]int{1, 1, 1}, Dst: [3]int{1, 1, 1}}
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
