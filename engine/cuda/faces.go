//go:build cuda

package cuda

import (
	"context"
	"fmt"

	"github.com/mumax/3/cuda/cu"

	"github.com/fluxcore/fluxcore/engine/backend"
)

func (b *Backend) Faces(ctx context.Context, f backend.Faces) error {
	if err := f.Validate(); err != nil {
		return err
	}
	var ptrs [7]cu.DevicePtr
	for i, buf := range []backend.Buffer{f.Dst, f.X, f.K, f.Probes, f.Left, f.Right, f.Stencil} {
		if buf == nil {
			continue
		}
		db, err := b.own(buf)
		if err != nil {
			return fmt.Errorf("faces %s: %w", f.Op, err)
		}
		ptrs[i] = db.ptr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	threads := min(256, (f.Inner+31)/32*32)
	cfg := launchConfig{
		grid:   [3]int{(f.Inner + threads - 1) / threads, min(f.Outer, maxGridYZ), 1},
		block:  [3]int{threads, 1, 1},
		stream: b.stream,
	}
	return b.do("launch fc_faces", func() error {
		b.kernels.launchFcFaces(cfg, fcFacesArgs{
			Dst: ptrs[0], X: ptrs[1], K: ptrs[2], Probes: ptrs[3], Left: ptrs[4], Right: ptrs[5],
			Stencil: ptrs[6], Op: int32(f.Op), Outer: int64(f.Outer), N: int64(f.N), Inner: int64(f.Inner),
			Channels: int64(max(f.Channels, 1)), Lead: int64(max(f.Lead, 1)), Period: int64(max(f.Period, 1)),
			Base: int64(f.Base), Smooth: int32(f.Smooth), LenLeft: int32(f.StencilLeft),
			LenRight: int32(f.StencilRight),
		})
		return nil
	})
}

func (b *Backend) AddScaled(ctx context.Context, dst, src backend.Buffer, scale float32) error {
	if err := backend.CheckAddScaled(dst, src); err != nil {
		return err
	}
	dPtr, err := b.viewPtr("add scaled", dst, 0)
	if err != nil {
		return err
	}
	sPtr, err := b.viewPtr("add scaled", src, 0)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	cfg := b.elementwiseConfig(int64(dst.Len()))
	return b.do("launch fc_add_scaled", func() error {
		b.kernels.launchFcAddScaled(cfg, fcAddScaledArgs{Dst: dPtr, Src: sPtr, Scale: scale, Total: int64(dst.Len())})
		return nil
	})
}
