//go:build cuda

package cuda

import (
	"context"

	"github.com/mumax/3/cuda/cu"

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

// trajTrackPrepared is FC_TK_COUNT, the floats per prepared obstacle step.
const trajTrackPrepared = 8

func (b *Backend) TrajScore(ctx context.Context, s backend.TrajScore) error {
	if err := s.Validate(); err != nil {
		return err
	}
	params, err := backend.FromHost(ctx, b, s.Params)
	if err != nil {
		return err
	}
	defer b.Free(params)
	var ptrs [9]cu.DevicePtr
	for i, buf := range []backend.Buffer{params, s.Controls, s.Tracks, s.Path, s.Map, s.Total, s.Terms, s.Feasible, s.States} {
		if buf == nil {
			continue // an absent optional array is a null pointer
		}
		if ptrs[i], err = b.viewPtr("trajectory score", buf, 0); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// The obstacles' axes once for the call (fc_traj_prepare_track), not once per thread.
	if steps := int64(s.Obstacles * s.Steps); steps > 0 {
		prepared, err := b.Alloc(backend.Float32, int(steps)*trajTrackPrepared)
		if err != nil {
			return err
		}
		defer b.Free(prepared)
		pp, err := b.viewPtr("trajectory score", prepared, 0)
		if err != nil {
			return err
		}
		raw := ptrs[2]
		if err := b.do("launch fc_traj_prepare", func() error {
			b.kernels.launchFcTrajPrepare(b.elementwiseConfig(steps), raw, pp, steps)
			return nil
		}); err != nil {
			return err
		}
		ptrs[2] = pp
	}
	cfg := b.elementwiseConfig(int64(s.N))
	// The prepared tracks go to shared memory when they fit the 48 KiB every device gives a
	// block without opting in (8 obstacles × 100 steps take 25 KiB).
	sharedFloats := int32(0)
	if floats := s.Obstacles * s.Steps * trajTrackPrepared; floats > 0 && 4*floats <= 48<<10 {
		sharedFloats, cfg.sharedBytes = int32(floats), 4*floats
	}
	return b.do("launch fc_traj_score", func() error {
		b.kernels.launchFcTrajScore(cfg, ptrs[0], ptrs[1], ptrs[2], ptrs[3], ptrs[4], ptrs[5], ptrs[6], ptrs[7], ptrs[8], int64(s.N),
			sharedFloats)
		return nil
	})
}
