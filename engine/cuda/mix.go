//go:build cuda

package cuda

import (
	"context"
	"fmt"

	"github.com/fluxcore/fluxcore/engine/backend"
)

// maxGridYZ is the largest grid extent in y and z; the kernel strides beyond it.
const maxGridYZ = 65535

func (b *Backend) SpectralMix(ctx context.Context, out, in, w backend.Buffer, s backend.MixShape) error {
	if err := backend.CheckMix(out, in, w, s); err != nil {
		return err
	}
	var ptrs [3]*buffer
	for i, buf := range []backend.Buffer{out, in, w} {
		db, err := b.own(buf)
		if err != nil {
			return fmt.Errorf("spectral mix: %w", err)
		}
		ptrs[i] = db
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// A warp-multiple block over modes; small mode counts get a small block rather than
	// idle threads.
	threads := min(128, (s.Modes+31)/32*32)
	cfg := launchConfig{
		grid:   [3]int{(s.Modes + threads - 1) / threads, min(s.Out, maxGridYZ), min(s.Batch, maxGridYZ)},
		block:  [3]int{threads, 1, 1},
		stream: b.stream,
	}
	return b.do("launch fc_spectral_mix", func() error {
		b.kernels.launchFcSpectralMix(cfg, fcSpectralMixArgs{
			In: ptrs[1].ptr, W: ptrs[2].ptr, Out: ptrs[0].ptr, NBatch: int32(s.Batch), NIn: int32(s.In),
			NOut: int32(s.Out), NModes: int32(s.Modes),
		})
		return nil
	})
}
