//go:build cuda

package cuda

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/limits"
	"github.com/fluxcore/fluxcore/internal/lifetime"
	"github.com/fluxcore/fluxcore/kernels/module"
	"github.com/mumax/3/cuda/cu"
)

// Backend runs operations on one CUDA device, in its own context, on one non-default
// stream. Operations are queued asynchronously; Download and Synchronize wait for them.
// Its methods are safe for concurrent use: every call holds the backend for reading and
// Close for writing, so Close waits for the calls in flight.
type Backend struct {
	device  Device
	ctx     cu.Context
	stream  cu.Stream
	kernels kernelSet
	pool    pool
	ffts    fftPlans
	budget  *limits.Budget

	// mu is held for reading by every operation and for writing by Close, so that Close
	// never destroys the context under a running call.
	mu     sync.RWMutex
	closed bool
}

var errClosed = fmt.Errorf("cuda: backend: %w", lifetime.ErrClosed)

// Open creates a context and a stream on device ordinal, loads the kernel module and runs
// a self-test against the CPU backend. Any failure is returned, with every resource that
// was created released, so that engine.Open can fall back to the CPU and say why. Every
// buffer is charged to budget while it lives (nil: a budget of limits.DefaultBudgetBytes).
func Open(ordinal int, budget *limits.Budget) (backend.Backend, error) {
	if budget == nil {
		budget, _ = limits.NewBudget(0)
	}
	p := Probe()
	if !p.Available {
		return nil, errors.New(p.Reason)
	}
	if ordinal < 0 || ordinal >= len(p.Devices) {
		return nil, fmt.Errorf("cuda: device %d does not exist (found %d)", ordinal, len(p.Devices))
	}
	b := &Backend{device: p.Devices[ordinal], budget: budget}
	if err := b.init(); err != nil {
		b.Close()
		return nil, fmt.Errorf("%s: %w", b.device.ID(), err)
	}
	if err := selfTest(b); err != nil {
		b.Close()
		return nil, fmt.Errorf("%s: %w", b.device.ID(), err)
	}
	return b, nil
}

func (b *Backend) init() error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := guard("cuCtxCreate", func() { b.ctx = cu.CtxCreate(cu.CTX_SCHED_AUTO, cu.Device(b.device.Ordinal)) }); err != nil {
		return err
	}
	if err := guard("cuStreamCreate", func() { b.stream = cu.StreamCreate() }); err != nil {
		return err
	}
	// cuModuleLoadData reads the image from C memory; mumax copies it there (and keeps it,
	// about the fatbin's size once per Open).
	var mod cu.Module
	if err := guard("cuModuleLoadData", func() { mod = cu.ModuleLoadData(string(module.Fatbin)) }); err != nil {
		return err
	}
	return guard("cuModuleGetFunction", func() { b.kernels.load(mod) })
}

func (b *Backend) Kind() backend.Kind { return backend.KindCUDA }
func (b *Backend) Name() string       { return b.device.ID() }
func (b *Backend) Device() Device     { return b.device }

// do runs f with the backend's context current on a locked OS thread: the driver binds
// contexts to threads, and the Go scheduler would otherwise move f between them.
func (b *Backend) do(op string, f func() error) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return errClosed
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := guard("cuCtxSetCurrent", func() { cu.CtxSetCurrent(b.ctx) }); err != nil {
		return err
	}
	var inner error
	if err := guard(op, func() { inner = f() }); err != nil {
		return err
	}
	return inner
}

// Close waits for queued work, then releases the pool, the stream and the context.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	if b.ctx == 0 {
		return nil
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	errs := []error{guard("cuCtxSetCurrent", func() { cu.CtxSetCurrent(b.ctx) })}
	if b.stream != 0 {
		errs = append(errs, guard("cuStreamSynchronize", func() { b.stream.Synchronize() }))
	}
	errs = append(errs, b.releaseFFTs(), b.pool.release())
	if b.stream != 0 {
		errs = append(errs, guard("cuStreamDestroy", func() { b.stream.Destroy() }))
	}
	errs = append(errs, guard("cuCtxDestroy", func() { b.ctx.Destroy() }))
	return errors.Join(errs...)
}

// Synchronize waits for the stream. With a cancellable ctx it polls, so that cancellation
// returns promptly; the queued work itself cannot be recalled and still completes.
func (b *Backend) Synchronize(ctx context.Context) error {
	if ctx.Done() == nil {
		return b.do("cuStreamSynchronize", func() error { b.stream.Synchronize(); return nil })
	}
	for {
		var done bool
		err := b.do("cuStreamQuery", func() error {
			switch r := b.stream.Query(); r {
			case cu.SUCCESS:
				done = true
			case cu.ERROR_NOT_READY:
			default:
				return &Error{Op: "cuStreamQuery", Result: r.String()}
			}
			return nil
		})
		if err != nil || done {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Microsecond):
		}
	}
}

// TimeDevice measures queued work with a pair of events on the backend's stream.
func (b *Backend) TimeDevice(ctx context.Context, queue func() error) (time.Duration, error) {
	var start, end event
	err := b.do("cuEventCreate", func() error {
		var err error
		if start, err = newEvent(); err != nil {
			return err
		}
		if end, err = newEvent(); err != nil {
			return err
		}
		return start.record(b.stream)
	})
	defer b.do("cuEventDestroy", func() error {
		return errors.Join(start.destroy(), end.destroy())
	})
	if err != nil {
		return 0, err
	}
	if err := queue(); err != nil {
		return 0, err
	}
	var d time.Duration
	err = b.do("cuEventRecord", func() error {
		if err := end.record(b.stream); err != nil {
			return err
		}
		if err := end.synchronize(); err != nil {
			return err
		}
		d, err = elapsed(start, end)
		return err
	})
	return d, errors.Join(err, ctx.Err())
}

// buffer is device memory from the backend's pool.
type buffer struct {
	owner *Backend
	dtype backend.DType
	n     int
	ptr   cu.DevicePtr
	class int64
	freed bool
}

func (buf *buffer) DType() backend.DType { return buf.dtype }
func (buf *buffer) Len() int             { return buf.n }
func (buf *buffer) bytes() int64         { return int64(buf.n) * int64(buf.dtype.Size()) }

func (b *Backend) Alloc(dt backend.DType, n int) (backend.Buffer, error) {
	if dt.Size() == 0 {
		return nil, fmt.Errorf("cuda: alloc: unknown dtype %v", dt)
	}
	if n < 0 {
		return nil, fmt.Errorf("cuda: alloc: %d elements, want ≥ 0", n)
	}
	buf := &buffer{owner: b, dtype: dt, n: n}
	if n == 0 {
		return buf, nil
	}
	if err := b.budget.Charge(fmt.Sprintf("cuda: alloc %d × %v", n, dt), n, dt.Size()); err != nil {
		return nil, err
	}
	err := b.do("alloc", func() error {
		var err error
		buf.ptr, buf.class, err = b.pool.get(buf.bytes())
		return err
	})
	if err != nil {
		b.budget.Release(buf.bytes())
		return nil, fmt.Errorf("cuda: alloc %d × %s: %w", n, dt, err)
	}
	return buf, nil
}

func (b *Backend) own(buf backend.Buffer) (*buffer, error) {
	db, ok := buf.(*buffer)
	if !ok || db.owner != b {
		return nil, fmt.Errorf("cuda: buffer of type %T was not allocated by %s", buf, b.Name())
	}
	if db.freed {
		return nil, errors.New("cuda: buffer used after Free")
	}
	return db, nil
}

// Free returns the block to the pool. Work already queued on the stream that uses it runs
// before any later work that could reuse it, because everything shares one stream.
func (b *Backend) Free(buf backend.Buffer) error {
	db, err := b.own(buf)
	if err != nil {
		return err
	}
	db.freed = true
	if db.ptr != 0 {
		b.pool.put(db.ptr, db.class)
		b.budget.Release(db.bytes())
	}
	return nil
}

// Upload and Download copy synchronously through the legacy default stream, which orders
// them after all work queued on the backend's (blocking) stream, and keeps the Go memory
// they read or write in use only for the duration of the cgo call.
func (b *Backend) Upload(ctx context.Context, dst backend.Buffer, src []byte) error {
	db, err := b.own(dst)
	if err != nil {
		return err
	}
	if int64(len(src)) != db.bytes() {
		return fmt.Errorf("cuda: upload: %d bytes into a buffer of %d", len(src), db.bytes())
	}
	if len(src) == 0 {
		return ctx.Err()
	}
	return b.do("cuMemcpyHtoD", func() error {
		cu.MemcpyHtoD(db.ptr, unsafe.Pointer(unsafe.SliceData(src)), db.bytes())
		return ctx.Err()
	})
}

func (b *Backend) Download(ctx context.Context, dst []byte, src backend.Buffer) error {
	db, err := b.own(src)
	if err != nil {
		return err
	}
	if int64(len(dst)) != db.bytes() {
		return fmt.Errorf("cuda: download: buffer of %d bytes into %d", db.bytes(), len(dst))
	}
	if err := b.Synchronize(ctx); err != nil {
		return err
	}
	if len(dst) == 0 {
		return nil
	}
	return b.do("cuMemcpyDtoH", func() error {
		cu.MemcpyDtoH(unsafe.Pointer(unsafe.SliceData(dst)), db.ptr, db.bytes())
		return nil
	})
}

// Capabilities: every op has a kernel (kernels/ops.go), and a buffer can be as large as the
// device's memory.
func (b *Backend) Capabilities() backend.Capabilities {
	c := backend.FullCapabilities()
	c.MaxBufferBytes = b.device.MemoryBytes
	return c
}
