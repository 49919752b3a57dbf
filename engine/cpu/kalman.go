package cpu

// #include "dispatch_gen.h"
import "C"

import (
	"context"
	"unsafe"

	"github.com/fluxcore/fluxcore/engine/backend"
)

func (b *Backend) Kalman(ctx context.Context, k backend.Kalman) error {
	if err := k.Validate(); err != nil {
		return err
	}
	pins := getPinSet()
	defer pins.release()
	t := kalmanTasks.get()
	defer kalmanTasks.put(t)
	t.variant = C.int(b.variant)
	args := &t.args
	for _, op := range []struct {
		dst *unsafe.Pointer
		buf backend.Buffer
	}{
		{&args.x, k.X}, {&args.p, k.P}, {&args.f, k.F}, {&args.q, k.Q}, {&args.h, k.H}, {&args.r, k.R}, {&args.z, k.Z},
		{(*unsafe.Pointer)(unsafe.Pointer(&args.status)), k.Status}, // int32_t *
	} {
		p, err := b.pinned(pins, "kalman", op.buf, 0)
		if err != nil {
			return err
		}
		*op.dst = p
	}
	args.batch, args.nx, args.nz = C.int64_t(k.Filters), C.int32_t(k.NX), C.int32_t(k.NZ)
	args.dtype = storageCode(k.DType())
	perFilter := func(shared bool) C.int32_t {
		if shared {
			return 0
		}
		return 1
	}
	args.perFilterF, args.perFilterQ = perFilter(k.SharedF), perFilter(k.SharedQ)
	args.perFilterH, args.perFilterR = perFilter(k.SharedH), perFilter(k.SharedR)
	nx, nz := float64(k.NX), float64(k.NZ)
	flops := 4 * nx * nx * nx // predict: FP and FPFᵀ
	if k.Update {
		t.update = 1
		flops = 6*nx*nx*nx + 4*nx*nx*nz + 2*nx*nx*nz*nz
	}
	return b.parallel(ctx, int64(k.Filters), flops, t)
}

type kalmanTask struct {
	variant C.int
	args    C.fc_kalman_args
	update  C.int32_t
}

var kalmanTasks taskPool[kalmanTask]

func (t *kalmanTask) run(lo, hi int64) bool {
	C.fc_cpu_kalman(t.variant, &t.args, t.update, C.int64_t(lo), C.int64_t(hi))
	return true
}

// storageCode is FC_F32 or FC_F64, the storage type of a covariance op's arrays.
func storageCode(dt backend.DType) C.int32_t {
	if dt == backend.Float64 {
		return C.FC_F64
	}
	return C.FC_F32
}
