//go:build cuda

package cuda

// #include "../../kernels/include/fc_conserve.h"
import "C"

import (
	"context"
	"errors"

	"github.com/fluxcore/fluxcore/engine/backend"
)

func (b *Backend) Conserve(ctx context.Context, c backend.Conserve) error {
	if err := c.Validate(); err != nil {
		return err
	}
	ptrs, err := b.viewPtrs("conserve", c.Mean, c.Var, c.Cov, c.Ensemble, c.G, c.RHS, c.OutMean, c.OutVar, c.OutCov,
		c.OutEnsemble, c.Status)
	if err != nil {
		return err
	}

	wantEns := C.int32_t(0)
	if c.OutEnsemble != nil {
		wantEns = 1
	}
	perSlice := int64(C.fc_conserve_work(C.int32_t(c.N), C.int32_t(c.Constraints), C.int32_t(c.Members), C.int32_t(c.Form), wantEns))
	work, err := b.Alloc(backend.Float64, int(perSlice)*c.Slices)
	if err != nil {
		return err
	}
	workPtr, err := b.viewPtr("conserve", work, 0)
	if err != nil {
		return errors.Join(err, b.Free(work))
	}
	if err := ctx.Err(); err != nil {
		return errors.Join(err, b.Free(work))
	}
	var gStride, rhsStride int64
	if !c.SharedG {
		gStride = int64(c.Constraints * c.N)
	}
	if !c.SharedRHS {
		rhsStride = int64(c.Constraints)
	}
	cfg := b.elementwiseConfig(int64(c.Slices))
	err = b.do("launch fc_conserve", func() error {
		b.kernels.launchFcConserve(cfg, fcConserveArgs{
			Mean: ptrs[0], Variances: ptrs[1], Cov: ptrs[2], Ens: ptrs[3], G: ptrs[4], Rhs: ptrs[5],
			OutMean: ptrs[6], OutVar: ptrs[7], OutCov: ptrs[8], OutEns: ptrs[9], Work: workPtr, Status: ptrs[10],
			Slices: int64(c.Slices), GStride: gStride, RhsStride: rhsStride, WorkStride: perSlice, N: int32(c.N),
			M: int32(c.Constraints), Members: int32(c.Members), Form: int32(c.Form),
			Dtype: storageCode(c.DType()), NoiseVar: c.NoiseVar,
		})
		return nil
	})
	// The pool hands the scratch to later work on the same stream only, which runs after
	// this kernel, so it can be returned at once.
	return errors.Join(err, b.Free(work))
}

// storageCode is FC_F32 or FC_F64 (fc_conserve.h), the storage type of a covariance op's
// arrays.
func storageCode(dt backend.DType) int32 {
	if dt == backend.Float64 {
		return C.FC_F64
	}
	return C.FC_F32
}
