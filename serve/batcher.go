package serve

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"sync/atomic"
	"time"

	"github.com/fluxcore/fluxcore/engine/fno"
	"github.com/fluxcore/fluxcore/engine/limits"
)

// request is one admitted inference on its way through the batcher.
type request struct {
	samples int
	grid    []int
	key     string
	input   []float32
	faces   [4][]float32 // left, right, top, down: Dirichlet values or Neumann fluxes
	out     []float32

	enqueued, started time.Time
	computed          time.Duration
	state             atomic.Int32 // queued, taken into a batch, or abandoned by its client
	err               error
	done              chan struct{}
}

const (
	stateQueued int32 = iota
	stateTaken
	stateAbandoned
)

// abandon takes a request that no batch holds yet off the queue; it reports whether it did.
func (r *request) abandon() bool { return r.state.CompareAndSwap(stateQueued, stateAbandoned) }

// take claims a request for a batch unless its client has abandoned it.
func (r *request) take() bool { return r.state.CompareAndSwap(stateQueued, stateTaken) }

// batch is requests of one grid joined along the batch axis.
type batch struct {
	key     string
	grid    []int
	samples int
	reqs    []*request
}

// schedule forms batches, as Triton's dynamic batcher does: it starts a batch with the
// oldest request, adds the queued requests of the same grid that fit, and waits for more
// until the batch is full or the oldest request has waited --max-queue-delay. It then
// keeps adding requests until an instance is idle, so that a busy engine gets fuller
// batches rather than a queue of small ones. On stop it runs what is queued without
// waiting, then closes the instances' channel.
func (m *Model) schedule() {
	defer m.wg.Done()
	defer close(m.batches)
	var pending []*request
	stopping := false
	for {
		pending = m.drain(pending)
		if len(pending) == 0 {
			if stopping {
				return
			}
			select {
			case r := <-m.queue:
				pending = append(pending, r)
			case <-m.stop:
				stopping = true
			}
			continue
		}
		if !stopping {
			pending, stopping = m.gather(pending)
		}
		pending, stopping = m.awaitIdle(pending, stopping)
		var b *batch
		b, pending = m.form(pending)
		m.met.pending(m.Name, m.queued.Load())
		if b == nil {
			m.idle <- struct{}{} // every pending request was abandoned: the instance stays idle
			continue
		}
		m.batches <- b
	}
}

// awaitIdle waits for an idle instance, taking in requests meanwhile while the batch has
// room.
func (m *Model) awaitIdle(pending []*request, stopping bool) ([]*request, bool) {
	for {
		queue := m.queue
		if fitting(pending, m.Config.MaxBatchSize) >= m.Config.MaxBatchSize {
			queue = nil // full: only an idle instance matters now
		}
		select {
		case <-m.idle:
			return pending, stopping
		case r := <-queue:
			pending = append(pending, r)
		case <-m.stopSignal(stopping):
			stopping = true
		}
	}
}

// stopSignal is the stop channel until the stop has been seen, then nil.
func (m *Model) stopSignal(seen bool) <-chan struct{} {
	if seen {
		return nil
	}
	return m.stop
}

// drain moves whatever is queued into pending without waiting.
func (m *Model) drain(pending []*request) []*request {
	for {
		select {
		case r := <-m.queue:
			pending = append(pending, r)
		default:
			return pending
		}
	}
}

// gather waits for requests until the oldest one's batch is full or its delay is over.
func (m *Model) gather(pending []*request) ([]*request, bool) {
	deadline := pending[0].enqueued.Add(m.opts.MaxQueueDelay)
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for fitting(pending, m.Config.MaxBatchSize) < m.Config.MaxBatchSize && time.Now().Before(deadline) {
		select {
		case r := <-m.queue:
			pending = append(pending, r)
		case <-timer.C:
			return pending, false
		case <-m.stop:
			return pending, true
		}
	}
	return pending, false
}

// fitting counts the samples of the oldest request's grid that one batch would take.
func fitting(pending []*request, maxBatch int) int {
	n := 0
	for _, r := range pending {
		if r.key == pending[0].key && n+r.samples <= maxBatch && r.state.Load() == stateQueued {
			n += r.samples
		}
	}
	return n
}

// form takes the oldest live request and the same grid's that fit into a batch, drops the
// abandoned ones, and returns the rest in order. The batch stops at a power of two
// (preferred): with 17 samples waiting, 16 run now and one starts the next batch.
func (m *Model) form(pending []*request) (*batch, []*request) {
	var b *batch
	limit := preferred(fitting(pending, m.Config.MaxBatchSize), m.Config.MaxBatchSize)
	rest := pending[:0]
	for _, r := range pending {
		switch {
		case b == nil && r.take():
			b = &batch{key: r.key, grid: r.grid, samples: r.samples, reqs: []*request{r}}
		case b != nil && r.key == b.key && b.samples+r.samples <= limit && r.take():
			b.samples += r.samples
			b.reqs = append(b.reqs, r)
		case r.state.Load() == stateAbandoned: // Infer has counted it out of the queue
			continue
		default:
			rest = append(rest, r)
			continue
		}
		m.queued.Add(-1) // taken: it has left the queue
	}
	clear(pending[len(rest):])
	return b, rest
}

// instance runs batches on runners of its own, built on first use: one per grid, of
// max_batch_size, which computes only the samples it is given. An instance runs one batch
// at a time; the model's instances run theirs at once.
type instance struct {
	m       *Model
	runners map[string]*fno.Runner
	in, out []float32 // joined inputs and outputs, reused
	faces   [4][]float32
}

func (in *instance) serve() {
	defer in.m.wg.Done()
	defer in.close()
	for b := range in.m.batches {
		in.run(b)
		in.m.idle <- struct{}{}
	}
}

func (in *instance) close() {
	for _, r := range in.runners {
		r.Close()
	}
}

// run executes a batch and hands each request its result.
func (in *instance) run(b *batch) {
	start := time.Now()
	for _, r := range b.reqs {
		r.started = start
	}
	err := in.execute(b)
	in.m.met.executed(in.m.Name, b.samples)
	for _, r := range b.reqs {
		r.err = err
	}
	if err != nil && len(b.reqs) > 1 && !errors.Is(err, ErrBadRequest) {
		// One request's values (a finite input that overflows the network, say) must not
		// fail the others: each runs alone, and only the culprit fails.
		for _, r := range b.reqs {
			r.err = in.execute(&batch{key: b.key, grid: b.grid, samples: r.samples, reqs: []*request{r}})
		}
	}
	for _, r := range b.reqs {
		if errors.Is(r.err, fno.ErrOverflow) { // having run alone, the request's own values overflowed
			r.err = fmt.Errorf("%w: model %q: the input's values are too large for the network: %w", ErrBadRequest, in.m.Name, r.err)
		}
	}
	elapsed := time.Since(start)
	for _, r := range b.reqs {
		r.computed = elapsed
		close(r.done)
	}
}

// preferred is the largest power of two of at most n samples, or max_batch_size when n
// reaches it. A runner costs in proportion to the samples it is given, so this is not for
// the runner: leaving the remainder to start the next batch on the other instance keeps
// both busy. 64 one-sample clients on the 2-D golden model were served 3771-3895 samples/s
// with the cut and 3566-3589 without it, whose batches were larger (mean 20 against 13).
func preferred(n, maxBatch int) int {
	if n < 1 || n >= maxBatch {
		return max(min(n, maxBatch), 1)
	}
	return 1 << (bits.Len(uint(n)) - 1)
}

// runner is the instance's runner for grid.
func (in *instance) runner(ctx context.Context, grid []int) (*fno.Runner, error) {
	m := in.m
	key := gridKey(grid)
	if r := in.runners[key]; r != nil {
		return r, nil
	}
	r, err := m.fno.NewRunner(ctx, m.engine.Backend(), fno.RunnerConfig{Grid: grid, MaxBatch: m.Config.MaxBatchSize,
		Transform: m.opts.Transform, Weights: m.weights})
	if err != nil {
		return nil, err
	}
	in.runners[key] = r
	m.mu.Lock()
	m.built[key] = true
	m.mu.Unlock()
	return r, nil
}

// execute runs the batch's joined inputs and splits the outputs back. A lone request runs
// from and into its own buffers.
func (in *instance) execute(b *batch) error {
	ctx := context.Background() // one client's cancel must not fail the others in the batch
	runner, err := in.runner(ctx, b.grid)
	if err != nil {
		return in.m.runnerFailed(b, err)
	}
	if len(b.reqs) == 1 {
		r := b.reqs[0]
		return runner.ForwardInto(ctx, r.out, r.input, r.samples, in.m.boundary(r.faces))
	}
	in.in = in.in[:0]
	for k := range in.faces {
		in.faces[k] = in.faces[k][:0]
	}
	for _, r := range b.reqs {
		in.in = append(in.in, r.input...)
		for k, f := range r.faces {
			in.faces[k] = append(in.faces[k], f...)
		}
	}
	outPerSample := len(b.reqs[0].out) / b.reqs[0].samples
	in.out = slices.Grow(in.out[:0], outPerSample*b.samples)[:outPerSample*b.samples]
	if err := runner.ForwardInto(ctx, in.out, in.in, b.samples, in.m.boundary(in.faces)); err != nil {
		return err
	}
	off := 0
	for _, r := range b.reqs {
		off += copy(r.out, in.out[off:])
	}
	return nil
}

// runnerFailed reports a runner that could not be built for a batch. A grid too large for
// the memory budget is the request's fault (400); a grid that never got a runner gives
// its place among max_grids back, so that failing grids cannot use them up.
func (m *Model) runnerFailed(b *batch, err error) error {
	m.mu.Lock()
	if !m.built[b.key] {
		delete(m.grids, b.key)
	}
	m.mu.Unlock()
	if errors.Is(err, limits.ErrBudget) {
		return fmt.Errorf("%w: model %q: grid %v with max_batch_size %d needs more memory than the budget (--mem-budget): %v", ErrBadRequest, m.Name, b.grid, m.Config.MaxBatchSize, err)
	}
	return fmt.Errorf("model %q: grid %v: %w", m.Name, b.grid, err)
}

// boundary is the forward's boundary data from a request's or a batch's faces.
func (m *Model) boundary(faces [4][]float32) *fno.Boundary {
	if m.kind == "" {
		return nil
	}
	return &fno.Boundary{Kind: m.kind, Left: faces[0], Right: faces[1], Top: faces[2], Down: faces[3], OutputOnly: m.Config.BCOutputOnly}
}
