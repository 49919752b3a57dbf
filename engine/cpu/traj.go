package cpu

// #include "dispatch.h"
import "C"

import (
	"context"
	"runtime"

	"github.com/fluxcore/fluxcore/engine/backend"
)

func (b *Backend) CollisionProb(ctx context.Context, c backend.CollisionProb) error {
	if err := c.Validate(); err != nil {
		return err
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	in, err := b.pinned(&pin, "collision probability", c.In, 0)
	if err != nil {
		return err
	}
	out, err := b.pinned(&pin, "collision probability", c.Out, 0)
	if err != nil {
		return err
	}
	fast, flops := C.int32_t(0), 16*40.0 // 16 nodes, each an exp and two Φ
	if c.Form == backend.CollisionFast {
		fast, flops = 1, 4*15.0
	}
	return b.parallel(ctx, int64(c.N), flops, func(lo, hi int64) {
		C.fc_cpu_collision_prob(C.int(b.variant), (*C.float)(in), (*C.float)(out), C.int64_t(c.N), fast, C.int64_t(lo), C.int64_t(hi))
	})
}
