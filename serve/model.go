package serve

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/fno"
)

// The boundary inputs a model may take besides its input: the Dirichlet values on the
// first axis' faces (and the second's in 3-D), or the Neumann fluxes. A name's index is
// its slot in a request's faces, whose axis is slot/2.
var (
	dirichletFaces = []string{"left", "right", "top", "down"}
	neumannFaces   = []string{"flux_left", "flux_right"}
	faceNames      = append(slices.Clone(dirichletFaces), neumannFaces...)
)

// faceInputs are the boundary inputs m's condition takes, in slot order; Neumann fluxes
// may be left out (they default to 0).
func (m *Model) faceInputs() (names []string, optional bool) {
	switch m.kind {
	case fno.Dirichlet:
		return dirichletFaces[:2*m.fno.CorrectedAxes()], false
	case fno.Neumann:
		return neumannFaces, true
	}
	return nil, false
}

// Version is the one version each model is served as.
const Version = "1"

// Platform is what model metadata reports as the models' platform.
const Platform = "fluxcore_fno"

// TensorSpec describes an input or output: its protocol datatype and shape, -1 where any
// extent goes (the batch axis, and the grid axes of a model that serves several grids).
type TensorSpec struct {
	Name     string  `json:"name"`
	Datatype string  `json:"datatype"`
	Shape    []int64 `json:"shape"`
	// Optional inputs may be left out: a Neumann flux then defaults to 0.
	Optional bool `json:"optional,omitempty"`
}

// Model is one model of the repository, with its dynamic batcher and execution instances.
type Model struct {
	Name    string
	Config  ModelConfig
	Inputs  []TensorSpec
	Outputs []TensorSpec

	fno     *fno.Model
	weights *fno.Weights // placed once, shared by every runner of every instance
	kind    fno.BoundaryKind
	engine  *engine.Engine
	opts    *Options
	met     *metrics

	queue   chan *request
	queued  atomic.Int64 // admitted and not yet taken into a batch
	batches chan *batch
	idle    chan struct{} // a token per idle instance
	stop    chan struct{}
	wg      sync.WaitGroup

	mu    sync.Mutex
	grids map[string][]int // the grids admitted so far, by key
	built map[string]bool  // the grids some instance has a runner for

	// closing guards closed: a request is queued under its read lock, so that none can be
	// queued after close has told the scheduler to finish what is queued.
	closing sync.RWMutex
	closed  bool
}

// loadModel reads DIR/name's checkpoint and config and starts its batcher and instances.
func loadModel(ctx context.Context, dir, name string, e *engine.Engine, opts *Options, met *metrics) (*Model, error) {
	if err := CheckModelName(name); err != nil {
		return nil, err
	}
	mdir := filepath.Join(dir, name)
	cfg, hyper, err := readModelConfig(mdir, opts.MaxBatch)
	if err != nil {
		return nil, fmt.Errorf("serve: model %q: %w", name, err)
	}
	fm, err := fno.Load(ctx, filepath.Join(mdir, "model.safetensors"), hyper, fno.Overrides{})
	if err != nil {
		return nil, fmt.Errorf("serve: model %q: %w", name, err)
	}
	m := &Model{Name: name, Config: cfg, fno: fm, kind: fm.BOON, engine: e, opts: opts, met: met,
		queue: make(chan *request, opts.MaxQueue), batches: make(chan *batch), idle: make(chan struct{}, cfg.Instances), stop: make(chan struct{}),
		grids: map[string][]int{}, built: map[string]bool{}}
	if hyper.BC != nil {
		m.kind = *hyper.BC
	}
	for _, g := range cfg.Grids { // before describe, which trusts them
		if _, err := m.admitGrid(g); err != nil {
			return nil, fmt.Errorf("serve: model %q: grids: %w", name, err)
		}
	}
	m.describe()
	if m.weights, err = fm.PlaceWeights(ctx, e.Backend()); err != nil {
		return nil, fmt.Errorf("serve: model %q: %w", name, err)
	}
	if err := m.start(ctx); err != nil {
		m.weights.Close()
		return nil, fmt.Errorf("serve: model %q: %w", name, err)
	}
	return m, nil
}

// start builds the instances, with the listed grids' runners so that the first requests do
// not wait for them, and starts them and the scheduler.
func (m *Model) start(ctx context.Context) error {
	instances := make([]*instance, m.Config.Instances)
	for i := range instances {
		instances[i] = &instance{m: m, runners: map[string]*fno.Runner{}}
		for _, g := range m.Config.Grids {
			if _, err := instances[i].runner(ctx, g); err != nil {
				for _, in := range instances[:i+1] {
					in.close()
				}
				return fmt.Errorf("grid %v: %w", g, err)
			}
		}
	}
	for range instances {
		m.idle <- struct{}{}
	}
	m.wg.Add(1 + len(instances))
	go m.schedule()
	for _, in := range instances {
		go in.serve()
	}
	return nil
}

// describe sets the tensors' metadata from the checkpoint and the boundary condition.
func (m *Model) describe() {
	grid := make([]int, m.fno.Dims) // -1: any extent
	for i := range grid {
		grid[i] = -1
	}
	if len(m.Config.Grids) == 1 && m.Config.MaxGrids == 1 {
		copy(grid, m.Config.Grids[0])
	}
	shape := func(channels int) []int64 { return int64s(append(append([]int{-1}, grid...), channels)) }
	m.Inputs = []TensorSpec{{Name: m.Config.Input, Datatype: "FP32", Shape: shape(m.fno.InChannels)}}
	m.Outputs = []TensorSpec{{Name: m.Config.Output, Datatype: "FP32", Shape: shape(m.fno.OutChannels)}}
	names, optional := m.faceInputs()
	for slot, name := range names {
		shape := int64s(fno.FaceShape(grid, -1, slot/2))
		m.Inputs = append(m.Inputs, TensorSpec{Name: name, Datatype: "FP32", Shape: shape, Optional: optional})
	}
}

// gridKey names a grid in maps.
func gridKey(grid []int) string { return fmt.Sprint(grid) }

// admitGrid accepts a request's grid if the model serves it already or may build it.
func (m *Model) admitGrid(grid []int) (string, error) {
	key := gridKey(grid)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.grids[key]; ok {
		return key, nil
	}
	if len(m.grids) >= m.Config.MaxGrids {
		served := make([]string, 0, len(m.grids))
		for k := range m.grids {
			served = append(served, k)
		}
		slices.Sort(served)
		return "", fmt.Errorf("%w: grid %v: model %q serves at most %d grids (max_grids), and has %v", ErrBadRequest, grid, m.Name, m.Config.MaxGrids, served)
	}
	if err := m.fno.CheckGrid(grid); err != nil {
		return "", fmt.Errorf("%w: model %q: %v", ErrBadRequest, m.Name, err)
	}
	m.grids[key] = slices.Clone(grid)
	return key, nil
}

// Errors that decide a response's status.
var (
	// ErrBadRequest marks a request that cannot be served as sent (HTTP 400, gRPC
	// INVALID_ARGUMENT).
	ErrBadRequest = errors.New("bad request")
	// ErrUnavailable marks a full queue or a server shutting down (HTTP 503, gRPC UNAVAILABLE).
	ErrUnavailable = errors.New("unavailable")
	// ErrNotFound marks an unknown model or version (HTTP 404, gRPC NOT_FOUND).
	ErrNotFound = errors.New("not found")
)

// Infer runs one request through the batcher: it waits until the batch that took it has
// run, or until ctx ends (a client's timeout, deadline or disconnect), which takes it off
// the queue if it is still there.
func (m *Model) Infer(ctx context.Context, in *Request) (*Response, error) {
	start := time.Now()
	r, err := m.enqueue(in)
	if err != nil {
		m.met.failure(m.Name, failureReason(err))
		return nil, err
	}
	m.met.pending(m.Name, m.queued.Load())
	select {
	case <-r.done:
	case <-ctx.Done():
		if r.abandon() {
			m.queued.Add(-1)
			m.met.pending(m.Name, m.queued.Load())
			m.met.failure(m.Name, "CANCELED")
			return nil, fmt.Errorf("model %q: %w", m.Name, context.Cause(ctx))
		}
		<-r.done // a batch holds it already: its result is moments away
	}
	if r.err != nil {
		m.met.failure(m.Name, failureReason(r.err))
		return nil, r.err
	}
	m.met.success(m.Name, r.samples, start, r.started.Sub(r.enqueued), r.computed)
	return &Response{Model: m.Name, Version: Version, Outputs: []Tensor{{Name: m.Config.Output, Datatype: "FP32",
		Shape: outShape(r.samples, r.grid, m.fno.OutChannels), F32: r.out}}}, nil
}

// enqueue admits a request and queues it, unless the model is closing.
func (m *Model) enqueue(in *Request) (*request, error) {
	m.closing.RLock()
	defer m.closing.RUnlock()
	if m.closed {
		return nil, fmt.Errorf("%w: model %q is shutting down", ErrUnavailable, m.Name)
	}
	r, err := m.admit(in)
	if err != nil {
		return nil, err
	}
	select {
	case m.queue <- r:
		return r, nil
	default: // admit counted it within --max-queue, so this is only a safeguard
		m.queued.Add(-1)
		return nil, fmt.Errorf("%w: model %q: the queue holds %d requests (--max-queue)", ErrUnavailable, m.Name, m.opts.MaxQueue)
	}
}

func outShape(samples int, grid []int, channels int) []int {
	return append(append([]int{samples}, grid...), channels)
}

func failureReason(err error) string {
	switch {
	case errors.Is(err, ErrBadRequest), errors.Is(err, ErrUnavailable):
		return "REJECTED"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "CANCELED"
	}
	return "BACKEND"
}

// close stops the batcher and the instances after the requests queued have run; later
// requests are refused as unavailable.
func (m *Model) close() {
	m.closing.Lock()
	m.closed = true
	m.closing.Unlock()
	close(m.stop)
	m.wg.Wait()
	m.weights.Close()
}

// ModelMetadata is the protocol's model metadata.
type ModelMetadata struct {
	Name     string       `json:"name"`
	Versions []string     `json:"versions"`
	Platform string       `json:"platform"`
	Inputs   []TensorSpec `json:"inputs"`
	Outputs  []TensorSpec `json:"outputs"`
}

// Metadata describes the model's tensors.
func (m *Model) Metadata() ModelMetadata {
	return ModelMetadata{Name: m.Name, Versions: []string{Version}, Platform: Platform, Inputs: m.Inputs, Outputs: m.Outputs}
}

// TritonConfig is the model's configuration as Triton reports it at /config, enough for
// perf_analyzer and other Triton tools: max_batch_size, and the tensors' dims without the
// batch axis.
func (m *Model) TritonConfig(backendName string, delay time.Duration) map[string]any {
	dims := func(specs []TensorSpec) []map[string]any {
		out := make([]map[string]any, len(specs))
		for i, s := range specs {
			out[i] = map[string]any{"name": s.Name, "data_type": "TYPE_FP32", "dims": s.Shape[1:], "optional": s.Optional}
		}
		return out
	}
	kind := "KIND_CPU"
	if backendName == "cuda" {
		kind = "KIND_GPU"
	}
	return map[string]any{
		"name": m.Name, "platform": Platform, "backend": "fluxcore", "max_batch_size": m.Config.MaxBatchSize,
		"input": dims(m.Inputs), "output": dims(m.Outputs),
		"dynamic_batching": map[string]any{"max_queue_delay_microseconds": delay.Microseconds()},
		"instance_group":   []map[string]any{{"count": m.Config.Instances, "kind": kind}},
	}
}

func int64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}
