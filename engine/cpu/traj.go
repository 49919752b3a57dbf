package cpu

// #include "dispatch.h"
import "C"

import (
	"context"
	"runtime"
	"unsafe"

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

func (b *Backend) TrajScore(ctx context.Context, s backend.TrajScore) error {
	if err := s.Validate(); err != nil {
		return err
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	params := append([]float32(nil), s.Params...)
	pin.Pin(&params[0])
	ptrs := make([]unsafe.Pointer, 8)
	for i, buf := range []backend.Buffer{s.Controls, s.Tracks, s.Path, s.Map, s.Total, s.Terms, s.Feasible, s.States} {
		p, err := b.pinned(&pin, "trajectory score", buf, 0)
		if err != nil {
			return err
		}
		ptrs[i] = p
	}
	// The obstacles' axes once for the call (fc_traj_prepare_track), not once per block.
	var prepared []float32
	if steps := int64(s.Obstacles * s.Steps); steps > 0 {
		prepared = make([]float32, steps*C.FC_TK_COUNT)
		pin.Pin(&prepared[0])
		C.fc_cpu_traj_prepare(C.int(b.variant), (*C.float)(ptrs[1]), (*C.float)(unsafe.Pointer(&prepared[0])), C.int64_t(steps))
		ptrs[1] = unsafe.Pointer(&prepared[0])
	}
	lanes := int64(C.fc_cpu_traj_lanes(C.int(b.variant)))
	blocks := (int64(s.N) + lanes - 1) / lanes
	// Per block of lanes: every step rolls out, projects onto the path and meets each obstacle.
	flops := float64(lanes) * float64(s.Steps) * (60 + 20*float64(s.PathPoints) + 100*float64(s.Obstacles))
	return b.parallel(ctx, blocks, flops, func(lo, hi int64) {
		C.fc_cpu_traj_score(C.int(b.variant), (*C.float)(unsafe.Pointer(&params[0])), (*C.float)(ptrs[0]), (*C.float)(ptrs[1]),
			(*C.float)(ptrs[2]), (*C.float)(ptrs[3]), (*C.float)(ptrs[4]), (*C.float)(ptrs[5]), (*C.int32_t)(ptrs[6]),
			(*C.float)(ptrs[7]), C.int64_t(s.N), C.int64_t(lo), C.int64_t(hi))
	})
}

// backend.TrajScore's array layouts are the kernel's FC_TP_*, FC_TT_* and FC_TS_* enums: a
// mismatch makes one of these indices non-zero, which does not compile.
var (
	_ = [1]struct{}{}[C.FC_TP_COUNT-backend.TrajParamCount]
	_ = [1]struct{}{}[C.FC_TP_CIRCLE0-backend.TrajParamCircle0]
	_ = [1]struct{}{}[C.FC_TP_CIRCLES-backend.TrajParamCircles]
	_ = [1]struct{}{}[C.FC_TP_W_PROGRESS-backend.TrajParamWeightProgress]
	_ = [1]struct{}{}[C.FC_TP_W_COLLISION-backend.TrajParamWeightCollision]
	_ = [1]struct{}{}[C.FC_TP_MAP_W-backend.TrajParamMapWidth]
	_ = [1]struct{}{}[C.FC_TP_OBSTACLES-backend.TrajParamObstacles]
	_ = [1]struct{}{}[C.FC_TP_X0-backend.TrajParamX0]
	_ = [1]struct{}{}[C.FC_TP_MAX_CIRCLES-backend.TrajMaxCircles]
	_ = [1]struct{}{}[C.FC_TT_COUNT-backend.TrajTerms]
	_ = [1]struct{}{}[C.FC_TS_COUNT-backend.TrajStateValues]
	_ = [1]struct{}{}[C.FC_TK_COUNT-8] // engine/cuda's trajTrackPrepared
)
