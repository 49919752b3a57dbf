//go:build cuda

package cuda

import (
	"context"

	"github.com/fluxcore/fluxcore/engine/backend"
)

func (b *Backend) Kalman(ctx context.Context, k backend.Kalman) error {
	if err := k.Validate(); err != nil {
		return err
	}
	ptrs, err := b.viewPtrs("kalman", k.X, k.P, k.F, k.Q, k.H, k.R, k.Z, k.Status) // the other step's matrices are null
	if err != nil {
		return err
	}

	if err := ctx.Err(); err != nil {
		return err
	}
	perFilter := func(shared bool) int32 {
		if shared {
			return 0
		}
		return 1
	}
	update := int32(0)
	if k.Update {
		update = 1
	}
	cfg := b.elementwiseConfig(int64(k.Filters))
	return b.do("launch fc_kalman", func() error {
		b.kernels.launchFcKalman(cfg, ptrs[0], ptrs[1], ptrs[2], ptrs[3], ptrs[4], ptrs[5], ptrs[6], ptrs[7],
			int64(k.Filters), int32(k.NX), int32(k.NZ), storageCode(k.DType()), perFilter(k.SharedF), perFilter(k.SharedQ),
			perFilter(k.SharedH), perFilter(k.SharedR), update)
		return nil
	})
}
