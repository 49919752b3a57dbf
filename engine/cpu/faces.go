package cpu

// #include "dispatch_gen.h"
import "C"

import (
	"context"
	"fmt"
	"runtime"
	"unsafe"

	"github.com/fluxcore/fluxcore/engine/backend"
)

func (b *Backend) Faces(ctx context.Context, f backend.Faces) error {
	if err := f.Validate(); err != nil {
		return err
	}
	// As in Gemm, the argument block is Go memory pointing at pinned buffer memory.
	var pin runtime.Pinner
	defer pin.Unpin()
	ptr := func(buf backend.Buffer) (*C.float, error) {
		p, err := b.pinned(&pin, fmt.Sprintf("faces %s", f.Op), buf, 0)
		return (*C.float)(p), err
	}
	args := C.fc_faces_args{
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
	return b.parallel(ctx, int64(f.Outer)*int64(f.Inner), perItem, func(lo, hi int64) {
		C.fc_cpu_faces(C.int(b.variant), &args, C.int64_t(lo), C.int64_t(hi))
	})
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
	d, s := (*C.float)(unsafe.Pointer(&db.floats()[0])), (*C.float)(unsafe.Pointer(&sb.floats()[0]))
	return b.parallel(ctx, int64(dst.Len()), 2, func(lo, hi int64) {
		C.fc_cpu_add_scaled(C.int(b.variant), d, s, C.float(scale), C.int64_t(lo), C.int64_t(hi))
	})
}
