package cpu

// #include "dispatch_gen.h"
import "C"

import (
	"context"
	"fmt"

	"github.com/fluxcore/fluxcore/engine/backend"
)

// mixBatchTile must equal FC_MIX_BATCH_TILE in kernels/cpu/spectral_mix.c: a work item is
// one output channel of a tile of that many batch rows.
const mixBatchTile = 4

func (b *Backend) SpectralMix(ctx context.Context, out, in, w backend.Buffer, s backend.MixShape) error {
	if err := backend.CheckMix(out, in, w, s); err != nil {
		return err
	}
	bufs := [3]*buffer{}
	for i, buf := range []backend.Buffer{out, in, w} {
		hb, err := b.own(buf)
		if err != nil {
			return fmt.Errorf("spectral mix: %w", err)
		}
		bufs[i] = hb
	}
	outPtr, inPtr, wPtr := complexPtr(bufs[0]), complexPtr(bufs[1]), complexPtr(bufs[2])
	tiles := int64((s.Batch + mixBatchTile - 1) / mixBatchTile)
	items := tiles * int64(s.Out)
	flopsPerItem := s.Flops() / float64(items)
	return b.parallel(ctx, items, flopsPerItem, func(lo, hi int64) {
		C.fc_cpu_spectral_mix(C.int(b.variant), inPtr, wPtr, outPtr,
			C.int32_t(s.Batch), C.int32_t(s.In), C.int32_t(s.Out), C.int32_t(s.Modes),
			C.int64_t(lo), C.int64_t(hi))
	})
}

func complexPtr(buf *buffer) *C.fc_c32 {
	return (*C.fc_c32)(buf.data())
}
