// Package cpu is fluxcore's CPU backend: cgo loops over the shared formulas in kernels/,
// compiled once per ISA variant, run by goroutines over chunks of each batch.
package cpu

// #cgo CFLAGS: -O3 -std=gnu11 -fopenmp-simd -Wall -Wno-unknown-pragmas
// #cgo LDFLAGS: -lm
import "C"

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/limits"
	"github.com/fluxcore/fluxcore/internal/lifetime"
)

// Backend runs operations on the host with one ISA variant and a fixed number of workers.
// Its methods are safe for concurrent use, Close included (backend.Backend).
type Backend struct {
	variant Variant
	workers int
	memory  Memory
	arena   arena
	budget  *limits.Budget
	helpers *helpers
	closed  atomic.Bool
}

// Options configure a CPU backend.
type Options struct {
	// Variant pins an ISA variant; nil picks Best().
	Variant *Variant
	// Workers is the number of goroutines per operation; 0 means GOMAXPROCS.
	Workers int
	// Memory places the buffers; the zero value reads $FLUXCORE_CPU_MEMORY, else uses Go's heap.
	Memory Memory
	// Budget is charged for every buffer while it lives; nil is a budget of
	// limits.DefaultBudgetBytes of the backend's own.
	Budget *limits.Budget
}

// New returns a CPU backend, or an error if the pinned variant cannot run here.
func New(opts Options) (*Backend, error) {
	v := Best()
	if opts.Variant != nil {
		v = *opts.Variant
		if err := v.Check(); err != nil {
			return nil, err
		}
	}
	if opts.Workers < 0 {
		return nil, fmt.Errorf("cpu: workers = %d, want ≥ 0", opts.Workers)
	}
	workers := opts.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	memory, err := opts.Memory.resolve()
	if err != nil {
		return nil, err
	}
	a, err := newArena(memory)
	if err != nil {
		return nil, err
	}
	budget := opts.Budget
	if budget == nil {
		budget, _ = limits.NewBudget(0)
	}
	b := &Backend{variant: v, workers: workers, memory: memory, arena: a, budget: budget, helpers: startHelpers(workers - 1)}
	// A backend dropped without Close still lets its helpers go.
	runtime.AddCleanup(b, func(h *helpers) { h.stop() }, b.helpers)
	return b, nil
}

func (b *Backend) Kind() backend.Kind { return backend.KindCPU }
func (b *Backend) Name() string       { return "cpu/" + b.variant.String() }
func (b *Backend) Variant() Variant   { return b.variant }
func (b *Backend) Workers() int       { return b.workers }
func (b *Backend) Memory() Memory     { return b.memory }

// Close marks the backend closed: later allocations and operations fail with
// lifetime.ErrClosed. It frees nothing itself, so calls already running finish normally
// (on the calling goroutine, once the helpers have left).
func (b *Backend) Close() error {
	b.closed.Store(true)
	b.helpers.stop()
	return nil
}

// Synchronize returns at once: every CPU operation has finished when its call returns.
func (b *Backend) Synchronize(ctx context.Context) error { return ctx.Err() }

// buffer is host memory from the backend's arena: exactly n elements, so that a guarded
// arena can place its end against an inaccessible page.
type buffer struct {
	dtype backend.DType
	n     int
	mem   []byte
	freed bool
}

func (buf *buffer) DType() backend.DType { return buf.dtype }
func (buf *buffer) Len() int             { return buf.n }

func (buf *buffer) bytes() []byte { return buf.mem }

// data is the address of the first element, nil for an empty buffer.
func (buf *buffer) data() unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(buf.mem)) }

func (b *Backend) Alloc(dt backend.DType, n int) (backend.Buffer, error) {
	if b.closed.Load() {
		return nil, errClosed
	}
	if dt.Size() == 0 {
		return nil, fmt.Errorf("cpu: alloc: unknown dtype %v", dt)
	}
	if n < 0 {
		return nil, fmt.Errorf("cpu: alloc: %d elements, want ≥ 0", n)
	}
	if err := b.budget.Charge(fmt.Sprintf("cpu: alloc %d × %v", n, dt), n, dt.Size()); err != nil {
		return nil, err
	}
	mem, err := b.arena.alloc(n * dt.Size())
	if err != nil {
		b.budget.Release(int64(n * dt.Size()))
		return nil, fmt.Errorf("cpu: alloc: %w", err)
	}
	return &buffer{dtype: dt, n: n, mem: mem}, nil
}

// Free releases buf, also after Close: owners free their buffers in whatever order their
// deferred calls run.
func (b *Backend) Free(buf backend.Buffer) error {
	hb, err := live(buf)
	if err != nil {
		return err
	}
	mem := hb.mem
	hb.mem, hb.freed = nil, true
	b.budget.Release(int64(hb.n * hb.dtype.Size()))
	return b.arena.release(mem)
}

func (b *Backend) Upload(ctx context.Context, dst backend.Buffer, src []byte) error {
	hb, err := b.own(dst)
	if err != nil {
		return err
	}
	if len(src) != len(hb.bytes()) {
		return fmt.Errorf("cpu: upload: %d bytes into a buffer of %d", len(src), len(hb.bytes()))
	}
	return copyCancellable(ctx, hb.bytes(), src)
}

func (b *Backend) Download(ctx context.Context, dst []byte, src backend.Buffer) error {
	hb, err := b.own(src)
	if err != nil {
		return err
	}
	if len(dst) != len(hb.bytes()) {
		return fmt.Errorf("cpu: download: buffer of %d bytes into %d", len(hb.bytes()), len(dst))
	}
	return copyCancellable(ctx, dst, hb.bytes())
}

// copyPiece bounds how long a copy runs between checks of its context: about a millisecond.
const copyPiece = 8 << 20

// copyCancellable copies src into dst (of equal length) piece by piece, stopping early when
// ctx is done.
func copyCancellable(ctx context.Context, dst, src []byte) error {
	for off := 0; off < len(src); off += copyPiece {
		if err := ctx.Err(); err != nil {
			return err
		}
		copy(dst[off:], src[off:min(off+copyPiece, len(src))])
	}
	return ctx.Err()
}

var (
	errFreed  = errors.New("cpu: buffer used after Free")
	errClosed = fmt.Errorf("cpu: backend: %w", lifetime.ErrClosed)
)

// pinSet pins the buffers of one operation. A runtime.Pinner holds five pointers inline and
// allocates for a sixth, so a set spreads its pointers over several; sets are pooled, and a
// reused Pinner keeps its state, so a warm operation allocates nothing.
type pinSet struct {
	pinners [3]runtime.Pinner
	n       int
}

// pinnerInline is how many pointers a runtime.Pinner holds without allocating.
const pinnerInline = 5

var pinSets = sync.Pool{New: func() any { return new(pinSet) }}

func getPinSet() *pinSet { return pinSets.Get().(*pinSet) }

// pin pins the memory p points into.
func (s *pinSet) pin(p any) {
	s.pinners[min(s.n/pinnerInline, len(s.pinners)-1)].Pin(p)
	s.n++
}

// release unpins everything and returns the set to the pool.
func (s *pinSet) release() {
	for i := range s.pinners {
		s.pinners[i].Unpin()
	}
	s.n = 0
	pinSets.Put(s)
}

// pinned is the address of the float32 at floatOffset in buf (nil for a nil or empty
// buffer), with buf's memory pinned in pin: an argument block in Go memory may hold buffer
// addresses across a cgo call only while that memory is pinned.
func (b *Backend) pinned(pins *pinSet, op string, buf backend.Buffer, floatOffset int) (unsafe.Pointer, error) {
	if buf == nil {
		return nil, nil
	}
	hb, err := b.own(buf)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if len(hb.mem) == 0 {
		return nil, nil
	}
	pins.pin(&hb.mem[0]) // a no-op for memory outside Go's heap
	return unsafe.Add(hb.data(), 4*floatOffset), nil
}

// maxPinned is the most buffers one pinnedAll call takes.
const maxPinned = 8

// pinnedAll is pinned for each of bufs, in order, at offset 0 (nil stays nil). It returns
// an array so that a warm call allocates nothing.
func (b *Backend) pinnedAll(pins *pinSet, op string, bufs ...backend.Buffer) (ptrs [maxPinned]unsafe.Pointer, err error) {
	if len(bufs) > maxPinned {
		return ptrs, fmt.Errorf("%s: %d buffers, more than pinnedAll's %d", op, len(bufs), maxPinned)
	}
	for i, buf := range bufs {
		if ptrs[i], err = b.pinned(pins, op, buf, 0); err != nil {
			return ptrs, err
		}
	}
	return ptrs, nil
}

// own is buf as this backend's live buffer, on an open backend.
func (b *Backend) own(buf backend.Buffer) (*buffer, error) {
	if b.closed.Load() {
		return nil, errClosed
	}
	return live(buf)
}

// live is buf as a CPU buffer not yet freed.
func live(buf backend.Buffer) (*buffer, error) {
	hb, ok := buf.(*buffer)
	if !ok {
		return nil, fmt.Errorf("cpu: buffer of type %T was not allocated by the CPU backend", buf)
	}
	if hb.freed {
		return nil, errFreed
	}
	return hb, nil
}

// Capabilities: the CPU backend runs every op, ProbConserv and Kalman in either float type.
func (b *Backend) Capabilities() backend.Capabilities { return backend.FullCapabilities() }
