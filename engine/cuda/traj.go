//go:build cuda

package cuda

// #include "../../kernels/include/fc_traj_score.h"
import "C"

import (
	"context"

	"github.com/mumax/3/cuda/cu"

	"github.com/fluxcore/fluxcore/engine/backend"
)

func (b *Backend) CollisionProb(ctx context.Context, c backend.CollisionProb) error {
	if err := c.Validate(); err != nil {
		return err
	}
	ptrs, err := b.viewPtrs("collision probability", c.In, c.Out)
	if err != nil {
		return err
	}
	in, out := ptrs[0], ptrs[1]
	if err := ctx.Err(); err != nil {
		return err
	}
	fast := int32(0)
	if c.Form == backend.CollisionFast {
		fast = 1
	}
	cfg := b.elementwiseConfig(int64(c.N))
	return b.do("launch fc_collision_prob_batch", func() error {
		b.kernels.launchFcCollisionProbBatch(cfg, fcCollisionProbBatchArgs{In: in, Out: out, N: int64(c.N), Fast: fast})
		return nil
	})
}

func (b *Backend) TrajScore(ctx context.Context, s backend.TrajScore) error {
	if err := s.Validate(); err != nil {
		return err
	}
	params, err := backend.FromHost(ctx, b, s.Params)
	if err != nil {
		return err
	}
	defer b.Free(params)
	ptrs, err := b.viewPtrs("trajectory score", params, s.Controls, s.Tracks, s.Path, s.Map, s.Total, s.Terms, s.Feasible,
		s.States)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// The obstacles' axes once for the call (fc_traj_prepare_track), not once per thread.
	if steps := int64(s.Obstacles * s.Steps); steps > 0 {
		prepared, err := b.Alloc(backend.Float32, int(steps)*C.FC_TK_COUNT)
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
			b.kernels.launchFcTrajPrepare(b.elementwiseConfig(steps), fcTrajPrepareArgs{Raw: raw, Prepared: pp, Count: steps})
			return nil
		}); err != nil {
			return err
		}
		ptrs[2] = pp
	}
	first, count := s.Span()
	cfg := b.elementwiseConfig(int64(count))
	// The prepared tracks go to shared memory when they fit the 48 KiB every device gives a
	// block without opting in (8 obstacles × 100 steps take 44 KiB).
	sharedFloats := int32(0)
	if floats := s.Obstacles * s.Steps * C.FC_TK_COUNT; floats > 0 && 4*floats <= 48<<10 {
		sharedFloats, cfg.sharedBytes = int32(floats), 4*floats
	}
	return b.do("launch fc_traj_score", func() error {
		b.kernels.launchFcTrajScore(cfg, fcTrajScoreArgs{
			Prm: ptrs[0], Controls: ptrs[1], Obstacles: ptrs[2], Path: ptrs[3], CostMap: ptrs[4], Total: ptrs[5],
			Terms: ptrs[6], Feasible: ptrs[7], States: ptrs[8], N: int64(s.N), First: int64(first),
			Count: int64(count), SharedFloats: sharedFloats,
		})
		return nil
	})
}

func (b *Backend) TrajSample(ctx context.Context, s backend.TrajSample) error {
	if err := s.Validate(); err != nil {
		return err
	}
	groups, err := backend.FromHost(ctx, b, s.Groups)
	if err != nil {
		return err
	}
	defer b.Free(groups)
	ptrs, err := b.viewPtrs("trajectory sample", groups, s.Points, s.Controls)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rows := int64(s.Points.Len() / (2 * s.Segments))
	cfg := b.elementwiseConfig(int64(s.Count) * int64(2*s.Segments))
	return b.do("launch fc_traj_sample", func() error {
		b.kernels.launchFcTrajSample(cfg, fcTrajSampleArgs{
			Groups: ptrs[0], Points: ptrs[1], Rows: rows, Segments: int32(s.Segments),
			Extremes: int64(s.Extremes), Warm: int64(s.Warm), Controls: ptrs[2], N: int64(s.N),
			First: int64(s.First), Count: int64(s.Count),
		})
		return nil
	})
}

// selectTile is the keys one block of fc_traj_select sorts.
const selectTile = C.FC_TRAJ_SELECT_TILE

func (b *Backend) TrajSelect(ctx context.Context, s backend.TrajSelect) error {
	if err := s.Validate(); err != nil {
		return err
	}
	ptrs, err := b.viewPtrs("trajectory select", s.Total, s.Feasible, s.Controls, s.Index, s.Selected)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Passes of tiles, each keeping K keys per tile (K ≤ TrajSelectMax = tile/4), until one
	// tile holds them all; two scratch arrays of 64-bit keys, taken in turn.
	count, k := int64(s.Count), int64(s.K)
	var scratch [2]cu.DevicePtr
	if count > selectTile {
		for i := range scratch {
			buf, err := b.Alloc(backend.Int32, int(2*k*((count+selectTile-1)/selectTile)))
			if err != nil {
				return err
			}
			defer b.Free(buf)
			if scratch[i], err = b.viewPtr("trajectory select", buf, 0); err != nil {
				return err
			}
		}
	}
	dims, selStride := int32(2*s.Segments), int64(0)
	if s.Selected != nil {
		selStride = int64(s.Selected.Len()) / int64(dims)
	}
	cfg := launchConfig{grid: [3]int{1, 1, 1}, block: [3]int{1024, 1, 1}, stream: b.stream}
	var keysIn cu.DevicePtr
	for pass := 0; count > selectTile; pass++ {
		blocks := (count + selectTile - 1) / selectTile
		cfg.grid[0] = int(blocks)
		out := scratch[pass%2]
		if err := b.do("launch fc_traj_select", func() error {
			b.kernels.launchFcTrajSelect(cfg, fcTrajSelectArgs{
				Total: ptrs[0], Feasible: ptrs[1], KeysIn: keysIn, Count: count, K: int32(k), KeysOut: out,
				Controls: 0, N: 0, Dims: 0, Index: 0, Selected: 0, SelStride: 0,
			})
			return nil
		}); err != nil {
			return err
		}
		keysIn, count = out, blocks*k
	}
	cfg.grid[0] = 1
	return b.do("launch fc_traj_select", func() error {
		b.kernels.launchFcTrajSelect(cfg, fcTrajSelectArgs{
			Total: ptrs[0], Feasible: ptrs[1], KeysIn: keysIn, Count: count, K: int32(k), KeysOut: 0,
			Controls: ptrs[2], N: int64(s.N), Dims: dims, Index: ptrs[3], Selected: ptrs[4],
			SelStride: selStride,
		})
		return nil
	})
}
