package cpu

// #include "dispatch_gen.h"
import "C"

import (
	"context"

	"github.com/fluxcore/fluxcore/engine/backend"
)

// mixBatchTile must equal FC_MIX_BATCH_TILE in kernels/cpu/spectral_mix.c: a work item is
// one output channel of a tile of that many batch rows.
const mixBatchTile = 4

func (b *Backend) SpectralMix(ctx context.Context, out, in, w backend.Buffer, s backend.MixShape) error {
	if err := backend.CheckMix(out, in, w, s); err != nil {
		return err
	}
	// The argument block lives in Go memory and points at buffer memory, which cgo allows
	// only while those buffers are pinned.
	pins := getPinSet()
	defer pins.release()
	ptrs, err := b.pinnedAll(pins, "spectral mix", out, in, w)
	if err != nil {
		return err
	}
	t := mixTasks.start(b.variant, mixKernel)
	defer mixTasks.put(t)
	t.args = C.fc_spectral_mix_args{out: (*C.fc_c32)(ptrs[0]), in: (*C.fc_c32)(ptrs[1]), w: (*C.fc_c32)(ptrs[2]),
		nBatch: C.int32_t(s.Batch), nIn: C.int32_t(s.In), nOut: C.int32_t(s.Out), nModes: C.int32_t(s.Modes)}
	tiles := int64((s.Batch + mixBatchTile - 1) / mixBatchTile)
	items := tiles * int64(s.Out)
	return b.parallel(ctx, items, s.Flops()/float64(items), t)
}

var mixTasks kernelPool[C.fc_spectral_mix_args]

func mixKernel(v C.int, a *C.fc_spectral_mix_args, lo, hi C.int64_t) bool {
	C.fc_cpu_spectral_mix(v, a, lo, hi)
	return true
}
