package cpu

// #include "dispatch_gen.h"
import "C"

import (
	"context"
	"errors"
	"fmt"
	"unsafe"

	"github.com/fluxcore/fluxcore/engine/backend"
)

func (b *Backend) Gemm(ctx context.Context, g backend.Gemm) error {
	if err := g.Validate(); err != nil {
		return err
	}
	// The argument block lives in Go memory and points at buffer memory, which cgo allows
	// only while those buffers are pinned.
	pins := getPinSet()
	defer pins.release()
	ptr := func(m backend.Matrix) (*C.float, error) {
		p, err := b.pinned(pins, "gemm", m.Buf, m.Offset)
		return (*C.float)(p), err
	}
	t := gemmTasks.start(b.variant, gemmKernel)
	defer gemmTasks.put(t)
	args := &t.args
	var err error
	if args.a, err = ptr(g.A); err != nil {
		return err
	}
	if args.b, err = ptr(g.B); err != nil {
		return err
	}
	if args.c, err = ptr(g.C); err != nil {
		return err
	}
	if g.Bias != nil {
		if args.bias, err = ptr(backend.Matrix{Buf: g.Bias, Rows: 1, Cols: g.Bias.Len()}); err != nil {
			return err
		}
	}
	if g.Addend != nil {
		if args.addend, err = ptr(*g.Addend); err != nil {
			return err
		}
		args.ldd, args.strideD = C.int64_t(g.Addend.RowStride()), C.int64_t(g.Addend.BatchStride)
	}
	args.lda, args.strideA = C.int64_t(g.A.RowStride()), C.int64_t(g.A.BatchStride)
	args.ldb, args.strideB = C.int64_t(g.B.RowStride()), C.int64_t(g.B.BatchStride)
	args.ldc, args.strideC = C.int64_t(g.C.RowStride()), C.int64_t(g.C.BatchStride)
	args.m, args.n, args.k = C.int32_t(g.C.Rows), C.int32_t(g.C.Cols), C.int32_t(g.A.Cols)
	args.batch, args.act = C.int32_t(g.Batch), C.int32_t(g.Act)

	items := int64(C.fc_cpu_gemm_items(t.variant, args))
	err = b.parallel(ctx, items, g.Flops()/float64(items), t)
	if errors.Is(err, errScratch) {
		return fmt.Errorf("gemm: out of memory for packing buffers (K = %d)", g.A.Cols)
	}
	return err
}

// gemmTask is a Gemm's argument block, which every worker reads.
var gemmTasks kernelPool[C.fc_gemm_args]

func gemmKernel(v C.int, a *C.fc_gemm_args, lo, hi C.int64_t) bool {
	return C.fc_cpu_gemm(v, a, lo, hi) == 0
}

func (b *Backend) MLP(ctx context.Context, p backend.MLP) error {
	if err := p.Validate(); err != nil {
		return err
	}
	pins := getPinSet()
	defer pins.release()
	ptr := func(buf backend.Buffer, offset int) (*C.float, error) {
		p, err := b.pinned(pins, "mlp", buf, offset)
		return (*C.float)(p), err
	}
	t := mlpTasks.start(b.variant, mlpKernel)
	defer mlpTasks.put(t)
	args := &t.args
	var err error
	for _, op := range []struct {
		dst    **C.float
		buf    backend.Buffer
		offset int
	}{
		{&args.x, p.X.Buf, p.X.Offset}, {&args.w1, p.W1, 0}, {&args.bias1, p.Bias1, 0},
		{&args.w2, p.W2, 0}, {&args.bias2, p.Bias2, 0},
	} {
		if *op.dst, err = ptr(op.buf, op.offset); err != nil {
			return err
		}
	}
	y, err := ptr(p.Y.Buf, p.Y.Offset)
	if err != nil {
		return err
	}
	args.y = y
	args.ldx, args.strideX = C.int64_t(p.X.RowStride()), C.int64_t(p.X.BatchStride)
	args.ldy, args.strideY = C.int64_t(p.Y.RowStride()), C.int64_t(p.Y.BatchStride)
	args.in, args.hidden, args.out = C.int32_t(p.X.Rows), C.int32_t(p.Hidden), C.int32_t(p.Y.Rows)
	args.n, args.batch, args.act = C.int32_t(p.X.Cols), C.int32_t(p.Batch), C.int32_t(p.Act)

	items := int64(C.fc_cpu_mlp_items(t.variant, args))
	err = b.parallel(ctx, items, p.Flops()/float64(items), t)
	if errors.Is(err, errScratch) {
		return fmt.Errorf("mlp: out of memory for packing buffers (in %d, hidden %d, out %d)", p.X.Rows, p.Hidden, p.Y.Rows)
	}
	return err
}

var mlpTasks kernelPool[C.fc_mlp_args]

func mlpKernel(v C.int, a *C.fc_mlp_args, lo, hi C.int64_t) bool {
	return C.fc_cpu_mlp(v, a, lo, hi) == 0
}

func (b *Backend) ComplexCombine(ctx context.Context, z, p backend.Buffer, s backend.CombineShape) error {
	if err := backend.CheckCombine(z, p, s); err != nil {
		return err
	}
	zb, err := b.own(z)
	if err != nil {
		return fmt.Errorf("complex combine: %w", err)
	}
	pb, err := b.own(p)
	if err != nil {
		return fmt.Errorf("complex combine: %w", err)
	}
	t := combineTasks.get()
	defer combineTasks.put(t)
	*t = combineTask{variant: C.int(b.variant), p: (*C.float)(pb.data()), z: (*C.float)(zb.data()),
		rows: C.int32_t(s.Rows), pairs: C.int64_t(s.Pairs)}
	return b.parallel(ctx, int64(s.Outer), float64(4*s.Rows*s.Pairs), t)
}

type combineTask struct {
	variant C.int
	p, z    *C.float
	rows    C.int32_t
	pairs   C.int64_t
}

var combineTasks taskPool[combineTask]

func (t *combineTask) run(lo, hi int64) bool {
	C.fc_cpu_complex_combine(t.variant, t.p, t.z, t.rows, t.pairs, C.int64_t(lo), C.int64_t(hi))
	return true
}

// CopyBox is a memory move, which Go's copy does at memmove speed, so it needs no kernel.
func (b *Backend) CopyBox(ctx context.Context, dst, src backend.Buffer, bx backend.Box) error {
	if err := backend.CheckBox(dst, src, bx); err != nil {
		return err
	}
	db, err := b.own(dst)
	if err != nil {
		return fmt.Errorf("copy box: %w", err)
	}
	sb, err := b.own(src)
	if err != nil {
		return fmt.Errorf("copy box: %w", err)
	}
	d, s := db.floats(), sb.floats()
	// Unused trailing axes would make every copy one element long; move them to the front,
	// where an extent of 1 costs nothing.
	for bx.Src[2] == 1 && bx.Dst[2] == 1 && (bx.Src[1] != 1 || bx.Dst[1] != 1 || bx.Src[0] != 1 || bx.Dst[0] != 1) {
		bx.Src = [3]int{1, bx.Src[0], bx.Src[1]}
		bx.Dst = [3]int{1, bx.Dst[0], bx.Dst[1]}
	}
	t := copyBoxTasks.get()
	defer copyBoxTasks.put(t)
	*t = copyBoxTask{src: s, dst: d, box: bx}
	return b.parallel(ctx, int64(bx.Outer), float64(bx.Dst[0]*bx.Dst[1]*bx.Dst[2]), t)
}

type copyBoxTask struct {
	src, dst []float32
	box      backend.Box
}

var copyBoxTasks taskPool[copyBoxTask]

func (t *copyBoxTask) run(lo, hi int64) bool {
	bx := t.box
	keep := [3]int{min(bx.Src[0], bx.Dst[0]), min(bx.Src[1], bx.Dst[1]), min(bx.Src[2], bx.Dst[2])}
	srcPlane, dstPlane := bx.Src[1]*bx.Src[2], bx.Dst[1]*bx.Dst[2]
	for o := int(lo); o < int(hi); o++ {
		so, do := t.src[o*bx.Src[0]*srcPlane:], t.dst[o*bx.Dst[0]*dstPlane:(o+1)*bx.Dst[0]*dstPlane]
		clear(do)
		for i := range keep[0] {
			for j := range keep[1] {
				from := so[i*srcPlane+j*bx.Src[2]:]
				copy(do[i*dstPlane+j*bx.Dst[2]:][:keep[2]], from[:keep[2]])
			}
		}
	}
	return true
}

func (buf *buffer) floats() []float32 {
	return unsafe.Slice((*float32)(buf.data()), len(buf.mem)/4)
}

func (b *Backend) Activate(ctx context.Context, x backend.Matrix, batch int, act backend.Activation) error {
	if err := backend.CheckActivate(x, batch, act); err != nil {
		return err
	}
	hb, err := b.own(x.Buf)
	if err != nil {
		return fmt.Errorf("activate: %w", err)
	}
	t := activateTasks.get()
	defer activateTasks.put(t)
	*t = activateTask{variant: C.int(b.variant), floats: hb.floats(), x: x, act: C.int32_t(act)}
	// Work items are rows across the whole batch; a chunk runs its rows entry by entry.
	return b.parallel(ctx, int64(batch)*int64(x.Rows), float64(40*x.Cols), t)
}

type activateTask struct {
	variant C.int
	floats  []float32
	x       backend.Matrix
	act     C.int32_t
}

var activateTasks taskPool[activateTask]

func (t *activateTask) run(lo, hi int64) bool {
	x, rows := t.x, int64(t.x.Rows)
	for lo < hi {
		entry, row := lo/rows, lo%rows
		end := min(hi, (entry+1)*rows)
		ptr := (*C.float)(unsafe.Pointer(&t.floats[x.Offset+int(entry)*x.BatchStride]))
		C.fc_cpu_activate(t.variant, ptr, C.int64_t(x.RowStride()), C.int32_t(x.Cols), t.act, C.int64_t(row), C.int64_t(row+end-lo))
		lo = end
	}
	return true
}
