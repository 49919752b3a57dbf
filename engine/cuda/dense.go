//go:build cuda

package cuda

import (
	"context"
	"fmt"

	"github.com/mumax/3/cuda/cu"

	"github.com/fluxcore/fluxcore/engine/backend"
)

const gemmTile = 16 // FC_GEMM_TILE in kernels/cuda/dense.cu

// viewPtr is the device address of a view's first element.
func (b *Backend) viewPtr(op string, buf backend.Buffer, offset int) (cu.DevicePtr, error) {
	db, err := b.own(buf)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	return db.ptr + cu.DevicePtr(4*offset), nil
}

// viewPtrs is viewPtr for each of bufs, in order, at offset 0; an absent (nil) buffer is a
// null pointer, which the kernels read as "not given".
func (b *Backend) viewPtrs(op string, bufs ...backend.Buffer) ([]cu.DevicePtr, error) {
	ptrs := make([]cu.DevicePtr, len(bufs))
	for i, buf := range bufs {
		if buf == nil {
			continue
		}
		var err error
		if ptrs[i], err = b.viewPtr(op, buf, 0); err != nil {
			return nil, err
		}
	}
	return ptrs, nil
}

func (b *Backend) Gemm(ctx context.Context, g backend.Gemm) error {
	if err := g.Validate(); err != nil {
		return err
	}
	aPtr, err := b.viewPtr("gemm", g.A.Buf, g.A.Offset)
	if err != nil {
		return err
	}
	bPtr, err := b.viewPtr("gemm", g.B.Buf, g.B.Offset)
	if err != nil {
		return err
	}
	cPtr, err := b.viewPtr("gemm", g.C.Buf, g.C.Offset)
	if err != nil {
		return err
	}
	var biasPtr, dPtr cu.DevicePtr
	var ldd, strideD int64
	if g.Bias != nil {
		if biasPtr, err = b.viewPtr("gemm", g.Bias, 0); err != nil {
			return err
		}
	}
	if g.Addend != nil {
		if dPtr, err = b.viewPtr("gemm", g.Addend.Buf, g.Addend.Offset); err != nil {
			return err
		}
		ldd, strideD = int64(g.Addend.RowStride()), int64(g.Addend.BatchStride)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	cfg := launchConfig{
		grid:   [3]int{(g.C.Cols + gemmTile - 1) / gemmTile, (g.C.Rows + gemmTile - 1) / gemmTile, min(g.Batch, maxGridYZ)},
		block:  [3]int{gemmTile, gemmTile, 1},
		stream: b.stream,
	}
	if cfg.grid[1] > maxGridYZ {
		return fmt.Errorf("gemm: %d rows need %d row tiles, beyond the grid limit %d", g.C.Rows, cfg.grid[1], maxGridYZ)
	}
	return b.do("launch fc_gemm", func() error {
		b.kernels.launchFcGemm(cfg, fcGemmArgs{
			A: aPtr, B: bPtr, C: cPtr, Bias: biasPtr, Addend: dPtr, Lda: int64(g.A.RowStride()),
			Ldb: int64(g.B.RowStride()), Ldc: int64(g.C.RowStride()), Ldd: ldd, StrideA: int64(g.A.BatchStride),
			StrideB: int64(g.B.BatchStride), StrideC: int64(g.C.BatchStride), StrideD: strideD,
			M: int32(g.C.Rows), N: int32(g.C.Cols), K: int32(g.A.Cols), Batch: int32(g.Batch), Act: int32(g.Act),
		})
		return nil
	})
}

func (b *Backend) MLP(ctx context.Context, p backend.MLP) error {
	if err := p.Validate(); err != nil {
		return err
	}
	var ptrs [6]cu.DevicePtr
	for i, op := range []struct {
		buf    backend.Buffer
		offset int
	}{{p.X.Buf, p.X.Offset}, {p.Y.Buf, p.Y.Offset}, {p.W1, 0}, {p.Bias1, 0}, {p.W2, 0}, {p.Bias2, 0}} {
		if op.buf == nil {
			continue // an absent bias is a null pointer
		}
		var err error
		if ptrs[i], err = b.viewPtr("mlp", op.buf, op.offset); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	cfg := b.elementwiseConfig(int64(p.Batch) * int64(p.X.Cols))
	return b.do("launch fc_mlp", func() error {
		b.kernels.launchFcMlp(cfg, fcMlpArgs{
			X: ptrs[0], Y: ptrs[1], W1: ptrs[2], Bias1: ptrs[3], W2: ptrs[4], Bias2: ptrs[5],
			Ldx: int64(p.X.RowStride()), Ldy: int64(p.Y.RowStride()), StrideX: int64(p.X.BatchStride),
			StrideY: int64(p.Y.BatchStride), In: int32(p.X.Rows), Hidden: int32(p.Hidden), Out: int32(p.Y.Rows),
			N: int32(p.X.Cols), Batch: int32(p.Batch), Act: int32(p.Act),
		})
		return nil
	})
}

// elementwiseConfig covers n threads with 256-thread blocks; kernels stride past the cap.
func (b *Backend) elementwiseConfig(n int64) launchConfig {
	const threads = 256
	return launchConfig{
		grid:   [3]int{int(min((n+threads-1)/threads, 1<<20)), 1, 1},
		block:  [3]int{threads, 1, 1},
		stream: b.stream,
	}
}

func (b *Backend) ComplexCombine(ctx context.Context, z, p backend.Buffer, s backend.CombineShape) error {
	if err := backend.CheckCombine(z, p, s); err != nil {
		return err
	}
	zPtr, err := b.viewPtr("complex combine", z, 0)
	if err != nil {
		return err
	}
	pPtr, err := b.viewPtr("complex combine", p, 0)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	cfg := b.elementwiseConfig(int64(s.Outer) * int64(s.Rows) * int64(s.Pairs))
	return b.do("launch fc_complex_combine", func() error {
		b.kernels.launchFcComplexCombine(cfg, fcComplexCombineArgs{
			P: pPtr, Z: zPtr, Outer: int64(s.Outer), NRows: int32(s.Rows), Pairs: int64(s.Pairs),
		})
		return nil
	})
}

func (b *Backend) CopyBox(ctx context.Context, dst, src backend.Buffer, bx backend.Box) error {
	if err := backend.CheckBox(dst, src, bx); err != nil {
		return err
	}
	dPtr, err := b.viewPtr("copy box", dst, 0)
	if err != nil {
		return err
	}
	sPtr, err := b.viewPtr("copy box", src, 0)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	cfg := b.elementwiseConfig(int64(bx.DstLen()))
	return b.do("launch fc_copy_box", func() error {
		b.kernels.launchFcCopyBox(cfg, fcCopyBoxArgs{
			Src: sPtr, Dst: dPtr, Outer: int64(bx.Outer), S0: int32(bx.Src[0]), S1: int32(bx.Src[1]),
			S2: int32(bx.Src[2]), D0: int32(bx.Dst[0]), D1: int32(bx.Dst[1]), D2: int32(bx.Dst[2]),
		})
		return nil
	})
}

func (b *Backend) Activate(ctx context.Context, x backend.Matrix, batch int, act backend.Activation) error {
	if err := backend.CheckActivate(x, batch, act); err != nil {
		return err
	}
	ptr, err := b.viewPtr("activate", x.Buf, x.Offset)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	cfg := b.elementwiseConfig(int64(batch) * int64(x.Rows) * int64(x.Cols))
	return b.do("launch fc_activate_rows", func() error {
		b.kernels.launchFcActivateRows(cfg, fcActivateRowsArgs{
			X: ptr, Ld: int64(x.RowStride()), BatchStride: int64(x.BatchStride), Batch: int64(batch),
			Rows: int64(x.Rows), Cols: int32(x.Cols), Act: int32(act),
		})
		return nil
	})
}
