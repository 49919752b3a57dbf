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
		b.kernels.launchFcKalman(cfg, fcKalmanArgs{
			X: ptrs[0], P: ptrs[1], F: ptrs[2], Q: ptrs[3], H: ptrs[4], R: ptrs[5], Z: ptrs[6], Status: ptrs[7],
			Batch: int64(k.Filters), Nx: int32(k.NX), Nz: int32(k.NZ), Dtype: storageCode(k.DType()),
			PerFilterF: perFilter(k.SharedF), PerFilterQ: perFilter(k.SharedQ), PerFilterH: perFilter(k.SharedH),
			PerFilterR: perFilter(k.SharedR), Update: update,
		})
		return nil
	})
}
