//go:build cuda

package cuda

import (
	"context"

	"github.com/fluxcore/fluxcore/engine/backend"
)

func (b *Backend) CollisionProb(ctx context.Context, c backend.CollisionProb) error {
	if err := c.Validate(); err != nil {
		return err
	}
	in, err := b.viewPtr("collision probability", c.In, 0)
	if err != nil {
		return err
	}
	out, err := b.viewPtr("collision probability", c.Out, 0)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	fast := int32(0)
	if c.Form == backend.CollisionFast {
		fast = 1
	}
	cfg := b.elementwiseConfig(int64(c.N))
	return b.do("launch fc_collision_prob_batch", func() error {
		b.kernels.launchFcCollisionProbBatch(cfg, in, out, int64(c.N), fast)
		return nil
	})
}
