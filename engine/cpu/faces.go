package cpu

// #include "dispatch_gen.h"
import "C"

import (
	"context"
	"fmt"
	"unsafe"

	"github.com/fluxcore/fluxcore/engine/backend"
)

func (b *Backend) Faces(ctx context.Context, f backend.Faces) error {
	if err := f.Validate(); err != nil {
		return err
	}
	// As in Gemm, the argument block is Go memory pointing at pinned buffer memory.
	pins := getPinSet()
	defer pins.release()
	ptr := func(buf backend.Buffer) (*C.float, error) {
		p, err := b.pinned(pins, "faces", buf, 0)
		if err != nil {
			err = fmt.Errorf("%w (face op %s)", err, f.Op)
		}
		return (*C.float)(p), err
	}
	t := facesTasks.start(b.variant, facesKernel)
	defer facesTasks.put(t)
	args := &t.args
	*args = C.fc_faces_args{
		op: C.int32_t(f.Op), outer: C.int64_t(f.Outer), n: C.int64_t(f.N), inner: C.int64_t(f.Inner),
		channels: C.int64_t(max(f.Channels, 1)), lead: C.int64_t(max(f.Lead, 1)), period: C.int64_t(max(f.Period, 1)),
		base: C.int64_t(f.Base), smooth: C.int32_t(f.Smooth),
		lenLeft: C.int32_t(f.StencilLeft), lenRight: C.int32_t(f.StencilRight),
	}
	var err error
	for _, op := range []struct {
		dst **C.float
		buf backend.Buffer
	}{{&args.dst, f.Dst}, {&args.x, f.X}, {&args.k, f.K}, {&args.probes, f.Probes}, {&args.left, f.Left},
		{&args.right, f.Right}, {&args.stencil, f.Stencil}} {
		if *op.dst, err = ptr(op.buf); err != nil {
			return err
		}
	}
	perItem := 4.0
	if f.Op == backend.FaceNeumann {
		perItem = float64(2 * (f.StencilLeft + f.StencilRight))
	} else if f.Op == backend.FaceMollify {
		perItem = float64(6 * f.Smooth)
	}
	return b.parallel(ctx, int64(f.Outer)*int64(f.Inner), perItem, t)
}

var facesTasks kernelPool[C.fc_faces_args]

func facesKernel(v C.int, a *C.fc_faces_args, lo, hi C.int64_t) bool {
	C.fc_cpu_faces(v, a, lo, hi)
	return true
}

func (b *Backend) AddScaled(ctx context.Context, dst, src backend.Buffer, scale float32) error {
	if err := backend.CheckAddScaled(dst, src); err != nil {
		return err
	}
	db, err := b.own(dst)
	if err != nil {
		return fmt.Errorf("add scaled: %w", err)
	}
	sb, err := b.own(src)
	if err != nil {
		return fmt.Errorf("add scaled: %w", err)
	}
	t := addScaledTasks.get()
	defer addScaledTasks.put(t)
	*t = addScaledTask{variant: C.int(b.variant), dst: (*C.float)(unsafe.Pointer(&db.floats()[0])),
		src: (*C.float)(unsafe.Pointer(&sb.floats()[0])), scale: C.float(scale)}
	return b.parallel(ctx, int64(dst.Len()), 2, t)
}

type addScaledTask struct {
	variant  C.int
	dst, src *C.float
	scale    C.float
}

var addScaledTasks taskPool[addScaledTask]

func (t *addScaledTask) run(lo, hi int64) bool {
	C.fc_cpu_add_scaled(t.variant, t.dst, t.src, t.scale, C.int64_t(lo), C.int64_t(hi))
	return true
}
