package cpu

// #include "dispatch_gen.h"
import "C"

import (
	"context"
	"fmt"
	"math"
	"unsafe"

	"github.com/fluxcore/fluxcore/engine/backend"
)

func (b *Backend) CollisionProb(ctx context.Context, c backend.CollisionProb) error {
	if err := c.Validate(); err != nil {
		return err
	}
	pins := getPinSet()
	defer pins.release()
	ptrs, err := b.pinnedAll(pins, "collision probability", c.In, c.Out)
	if err != nil {
		return err
	}
	t := collisionTasks.start(b.variant, collisionKernel)
	defer collisionTasks.put(t)
	t.args = C.fc_collision_prob_args{in: (*C.float)(ptrs[0]), out: (*C.float)(ptrs[1]), n: C.int64_t(c.N)}
	flops := 16 * 40.0 // 16 nodes, each an exp and two Φ
	if c.Form == backend.CollisionFast {
		t.args.fast, flops = 1, 4*15.0
	}
	return b.parallel(ctx, int64(c.N), flops, t)
}

var collisionTasks kernelPool[C.fc_collision_prob_args]

func collisionKernel(v C.int, a *C.fc_collision_prob_args, lo, hi C.int64_t) bool {
	C.fc_cpu_collision_prob(v, a, lo, hi)
	return true
}

func (b *Backend) TrajScore(ctx context.Context, s backend.TrajScore) error {
	if err := s.Validate(); err != nil {
		return err
	}
	pins := getPinSet()
	defer pins.release()
	params, release, err := hostCopy(b, s.Params)
	if err != nil {
		return fmt.Errorf("trajectory score: parameters: %w", err)
	}
	defer release()
	pins.pin(&params[0]) // the argument block points at it
	ptrs, err := b.pinnedAll(pins, "trajectory score", s.Controls, s.Tracks, s.Path, s.Map, s.Total, s.Terms, s.Feasible, s.States)
	if err != nil {
		return err
	}
	// The obstacles' axes once for the call (fc_traj_prepare_track), not once per block.
	if steps := int64(s.Obstacles * s.Steps); steps > 0 {
		prepared, release, err := hostArray[float32](b, int(steps*C.FC_TK_COUNT))
		if err != nil {
			return fmt.Errorf("trajectory score: prepared tracks: %w", err)
		}
		defer release()
		pins.pin(&prepared[0])
		C.fc_cpu_traj_prepare(C.int(b.variant), (*C.float)(ptrs[1]), (*C.float)(unsafe.Pointer(&prepared[0])), C.int64_t(steps))
		ptrs[1] = unsafe.Pointer(&prepared[0])
	}
	lanes := int64(C.fc_cpu_traj_lanes(C.int(b.variant)))
	first, count := s.Span()
	blocks := int64(count) / lanes // lanes divide backend.TrajLaneMultiple
	// Per block of lanes: every step rolls out, projects onto the path and meets each obstacle.
	flops := float64(lanes) * float64(s.Steps) * (60 + 20*float64(s.PathPoints) + 100*float64(s.Obstacles))
	t := scoreTasks.start(b.variant, scoreKernel)
	defer scoreTasks.put(t)
	t.args = C.fc_traj_score_args{prm: (*C.float)(unsafe.Pointer(&params[0])), controls: (*C.float)(ptrs[0]),
		obstacles: (*C.float)(ptrs[1]), path: (*C.float)(ptrs[2]), _map: (*C.float)(ptrs[3]), total: (*C.float)(ptrs[4]),
		terms: (*C.float)(ptrs[5]), feasible: (*C.int32_t)(ptrs[6]), states: (*C.float)(ptrs[7]), n: C.int64_t(s.N),
		first: C.int64_t(first)}
	return b.parallel(ctx, blocks, flops, t)
}

var scoreTasks kernelPool[C.fc_traj_score_args]

func scoreKernel(v C.int, a *C.fc_traj_score_args, lo, hi C.int64_t) bool {
	C.fc_cpu_traj_score(v, a, lo, hi)
	return true
}

func (b *Backend) TrajSample(ctx context.Context, s backend.TrajSample) error {
	if err := s.Validate(); err != nil {
		return err
	}
	pins := getPinSet()
	defer pins.release()
	groups, release, err := hostCopy(b, s.Groups)
	if err != nil {
		return fmt.Errorf("trajectory sample: groups: %w", err)
	}
	defer release()
	pins.pin(&groups[0]) // the argument block points at it
	ptrs, err := b.pinnedAll(pins, "trajectory sample", s.Points, s.Controls)
	if err != nil {
		return err
	}
	t := sampleTasks.start(b.variant, sampleKernel)
	defer sampleTasks.put(t)
	t.args = C.fc_traj_sample_args{groups: (*C.float)(unsafe.Pointer(&groups[0])), points: (*C.float)(ptrs[0]),
		controls: (*C.float)(ptrs[1]), rows: C.int64_t(s.Points.Len() / (2 * s.Segments)), extremes: C.int64_t(s.Extremes),
		warm: C.int64_t(s.Warm), n: C.int64_t(s.N), first: C.int64_t(s.First), segments: C.int32_t(s.Segments)}
	// A value costs about 20 ns (the row's 64-bit modulo dominates), some 80 flops' worth of
	// time: counted so, a chunk stays a few milliseconds and a cancel is seen promptly.
	return b.parallel(ctx, int64(s.Count), float64(2*s.Segments)*80, t)
}

var sampleTasks kernelPool[C.fc_traj_sample_args]

func sampleKernel(v C.int, a *C.fc_traj_sample_args, lo, hi C.int64_t) bool {
	C.fc_cpu_traj_sample(v, a, lo, hi)
	return true
}

// selectPart is the fewest candidates one worker selects from; below it one pass is faster.
const selectPart = 1 << 14

func (b *Backend) TrajSelect(ctx context.Context, s backend.TrajSelect) error {
	if err := s.Validate(); err != nil {
		return err
	}
	pins := getPinSet()
	defer pins.release()
	ptrs, err := b.pinnedAll(pins, "trajectory select", s.Total, s.Feasible, s.Controls, s.Index, s.Selected)
	if err != nil {
		return err
	}
	// Each part's best K, then the best K of those.
	parts := min(int64(b.workers), (int64(s.Count)+selectPart-1)/selectPart)
	k := int64(s.K)
	best, releaseBest, err := hostArray[uint64](b, int(parts*k))
	if err != nil {
		return fmt.Errorf("trajectory select: %w", err)
	}
	defer releaseBest()
	found := make([]int64, parts)
	// Selection allocates its heaps per call anyway, so a closure does here.
	if err := b.parallel(ctx, parts, math.MaxFloat32, chunkFunc(func(lo, hi int64) {
		for p := lo; p < hi; p++ {
			i0, i1 := int64(s.Count)*p/parts, int64(s.Count)*(p+1)/parts
			found[p] = int64(C.fc_cpu_traj_best(C.int(b.variant), (*C.float)(ptrs[0]), (*C.int32_t)(ptrs[1]), C.int64_t(i0),
				C.int64_t(i1), C.int64_t(k), (*C.uint64_t)(unsafe.Pointer(&best[p*k]))))
		}
	})); err != nil {
		return err
	}
	// The parts' keys side by side, then k keys of scratch for the final heap.
	var kept int64
	for _, f := range found {
		kept += f
	}
	packed, releasePacked, err := hostArray[uint64](b, int(kept+k))
	if err != nil {
		return fmt.Errorf("trajectory select: %w", err)
	}
	defer releasePacked()
	at := int64(0)
	for p := range parts {
		at += int64(copy(packed[at:], best[p*k:p*k+found[p]]))
	}
	packed, heap := packed[:kept], packed[kept:]
	C.fc_cpu_traj_best_keys(C.int(b.variant), (*C.uint64_t)(unsafe.Pointer(unsafe.SliceData(packed))), C.int64_t(len(packed)), C.int64_t(k),
		(*C.uint64_t)(unsafe.Pointer(&heap[0])), (*C.int32_t)(ptrs[3]))
	index := unsafe.Slice((*int32)(ptrs[3]), s.K)
	if s.Selected == nil {
		return nil
	}
	dims, stride := 2*s.Segments, s.Selected.Len()/(2*s.Segments)
	controls := unsafe.Slice((*float32)(ptrs[2]), dims*s.N)
	selected := unsafe.Slice((*float32)(ptrs[4]), dims*stride)
	for d := range dims {
		for i := range stride {
			selected[d*stride+i] = controls[d*s.N+int(index[min(i, s.K-1)])]
		}
	}
	return nil
}

// backend.TrajScore's array layouts reach the kernels as kernels/include/fc_layout_gen.h,
// generated from engine/backend's declarations; `go test ./kernels` fails when it is stale.
