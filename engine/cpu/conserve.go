package cpu

// #include "dispatch_gen.h"
import "C"

import (
	"context"
	"errors"
	"fmt"
	"unsafe"

	"github.com/fluxcore/fluxcore/engine/backend"
)

func (b *Backend) Conserve(ctx context.Context, c backend.Conserve) error {
	if err := c.Validate(); err != nil {
		return err
	}
	pins := getPinSet()
	defer pins.release()
	t := conserveTasks.start(b.variant, conserveKernel)
	defer conserveTasks.put(t)
	args := &t.args
	bufs := []struct {
		dst *unsafe.Pointer
		buf backend.Buffer
	}{
		{&args.mean, c.Mean}, {&args._var, c.Var}, {&args.cov, c.Cov}, {&args.ens, c.Ensemble},
		{&args.g, c.G}, {&args.rhs, c.RHS},
		{&args.outMean, c.OutMean}, {&args.outVar, c.OutVar}, {&args.outCov, c.OutCov}, {&args.outEns, c.OutEnsemble},
		{(*unsafe.Pointer)(unsafe.Pointer(&args.status)), c.Status}, // int32_t *
	}
	for _, op := range bufs {
		p, err := b.pinned(pins, "conserve", op.buf, 0)
		if err != nil {
			return err
		}
		*op.dst = p
	}
	args.slices, args.n, args.m, args.members = C.int64_t(c.Slices), C.int32_t(c.N), C.int32_t(c.Constraints), C.int32_t(c.Members)
	args.form, args.noiseVar = C.int32_t(c.Form), C.double(c.NoiseVar)
	args.dtype = storageCode(c.DType())
	if !c.SharedG {
		args.gStride = C.int64_t(c.Constraints * c.N)
	}
	if !c.SharedRHS {
		args.rhsStride = C.int64_t(c.Constraints)
	}
	// The cost that sizes the chunks: C and the marginal variances, plus the dense Σ work
	// of the full form or output.
	n, m := float64(c.N), float64(c.Constraints)
	perSlice := 4 * n * m * (m + 1)
	if c.Form == backend.CovFull || c.OutCov != nil {
		perSlice += 2 * n * n * m
	}
	if c.Form == backend.CovEnsemble {
		perSlice += 4 * n * m * float64(c.Members)
	}
	err := b.parallel(ctx, int64(c.Slices), perSlice, t)
	if errors.Is(err, errScratch) {
		return fmt.Errorf("conserve: out of memory for the scratch of one slice (n %d, m %d)", c.N, c.Constraints)
	}
	return err
}

var conserveTasks kernelPool[C.fc_conserve_args]

func conserveKernel(v C.int, a *C.fc_conserve_args, lo, hi C.int64_t) bool {
	return C.fc_cpu_conserve(v, a, lo, hi) == 0
}
