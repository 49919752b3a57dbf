package cpu

// #include <stdint.h>
import "C"

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// A task is one operation's work over items [lo, hi), run on any of the backend's
// goroutines. It reports false when its kernel could not allocate scratch.
//
// Operations keep their tasks in pools (taskPool), and the backend keeps its goroutines,
// so that a warm operation allocates nothing: a closure handed to other goroutines would be
// a heap object per call, and so would each goroutine started for it.
type task interface {
	run(lo, hi int64) bool
}

// chunkFunc is a closure as a task, for the operations that allocate per call anyway.
type chunkFunc func(lo, hi int64)

func (f chunkFunc) run(lo, hi int64) bool {
	f(lo, hi)
	return true
}

// errScratch reports a kernel that could not allocate its scratch; operations replace it
// with a message that names their sizes.
var errScratch = errors.New("cpu: out of memory for kernel scratch")

// taskPool recycles one operation's task blocks.
type taskPool[T any] struct{ pool sync.Pool }

func (p *taskPool[T]) get() *T {
	if t, ok := p.pool.Get().(*T); ok {
		return t
	}
	return new(T)
}

// put zeroes t first, so that a pooled block keeps no buffer reachable.
func (p *taskPool[T]) put(t *T) {
	var zero T
	*t = zero
	p.pool.Put(t)
}

// job is one parallel operation: its task cut into chunks that the caller and any idle
// helpers claim one at a time.
type job struct {
	ctx           context.Context
	task          task
	items, chunks int64
	next          atomic.Int64
	failed        atomic.Bool // a kernel reported failure
	stop          atomic.Bool // a chunk panicked: claim no more
	mu            sync.Mutex
	panicked      error
	helping       sync.WaitGroup
}

var jobs taskPool[job]

// work runs chunks until none is left, the context is done or a chunk panicked. A panic
// on a helper goroutine would end the process, the host program's included when fluxcore
// is linked as a library; it becomes the operation's error instead.
func (j *job) work() {
	defer func() {
		if r := recover(); r != nil {
			j.stop.Store(true)
			j.mu.Lock()
			defer j.mu.Unlock()
			if j.panicked == nil {
				j.panicked = fmt.Errorf("cpu: internal error: panic in a worker: %v", r)
			}
		}
	}()
	for !j.stop.Load() && j.ctx.Err() == nil {
		c := j.next.Add(1) - 1
		if c >= j.chunks {
			return
		}
		if !j.task.run(j.items*c/j.chunks, j.items*(c+1)/j.chunks) {
			j.failed.Store(true)
		}
	}
}

// err is the job's outcome once every chunk has returned.
func (j *job) err() error {
	switch {
	case j.failed.Load():
		return errScratch
	case j.panicked != nil:
		return j.panicked
	}
	return j.ctx.Err()
}

// helpers are a backend's goroutines besides the caller's: they wait for jobs and leave
// when the backend is closed or collected.
type helpers struct {
	jobs chan *job
	quit chan struct{}
	once sync.Once
}

func startHelpers(n int) *helpers {
	h := &helpers{jobs: make(chan *job), quit: make(chan struct{})}
	for range n {
		go h.serve()
	}
	return h
}

func (h *helpers) serve() {
	for {
		select {
		case j := <-h.jobs:
			j.work()
			j.helping.Done()
		case <-h.quit:
			return
		}
	}
}

func (h *helpers) stop() { h.once.Do(func() { close(h.quit) }) }

// offer hands j to up to n idle helpers. A busy helper is skipped rather than waited for:
// the caller claims the chunks it would have run, so concurrent operations never queue
// behind one another.
func (h *helpers) offer(j *job, n int64) {
	for range n {
		j.helping.Add(1)
		select {
		case h.jobs <- j:
		default:
			j.helping.Done()
			return
		}
	}
}

// parallel runs t over [0, items) in chunks on the calling goroutine and the backend's
// helpers. Chunks are several per worker so that uneven chunk costs still balance; tiny
// jobs run on the calling goroutine alone because a hand-off costs more than they do, and
// big jobs get more chunks so that a cancelled ctx is noticed within a few milliseconds.
func (b *Backend) parallel(ctx context.Context, items int64, flopsPerItem float64, t task) error {
	const (
		minFlopsPerChunk = 1 << 16
		maxFlopsPerChunk = 1 << 23 // at most a few milliseconds at the kernels' slowest
	)
	flops := float64(items) * flopsPerItem
	chunks := max(int64(b.workers)*4, int64(flops/maxFlopsPerChunk))
	if byCost := int64(flops / minFlopsPerChunk); byCost < chunks {
		chunks = max(byCost, 1)
	}
	chunks = min(chunks, items)
	if chunks <= 1 {
		if !t.run(0, items) {
			return errScratch
		}
		return ctx.Err()
	}
	j := jobs.get()
	defer jobs.put(j)
	j.ctx, j.task, j.items, j.chunks = ctx, t, items, chunks
	b.helpers.offer(j, min(int64(b.workers), chunks)-1)
	j.work()
	j.helping.Wait()
	return j.err()
}

// kernelTask is the common task: an argument block that every worker passes to a C kernel.
type kernelTask[A any] struct {
	variant C.int
	args    A
	kernel  func(variant C.int, args *A, lo, hi C.int64_t) bool
}

func (t *kernelTask[A]) run(lo, hi int64) bool {
	return t.kernel(t.variant, &t.args, C.int64_t(lo), C.int64_t(hi))
}

// kernelPool recycles one operation's kernel tasks.
type kernelPool[A any] struct{ taskPool[kernelTask[A]] }

// start is a pooled task that runs kernel with variant v; put it back when the operation
// returns.
func (p *kernelPool[A]) start(v Variant, kernel func(C.int, *A, C.int64_t, C.int64_t) bool) *kernelTask[A] {
	t := p.get()
	t.variant, t.kernel = C.int(v), kernel
	return t
}
