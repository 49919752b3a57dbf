package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"fmt"
	"unsafe"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/kalman"
	"github.com/fluxcore/fluxcore/engine/limits"
)

//export fcgo_kalman_update
func fcgo_kalman_update(h C.fluxcore_engine, a *C.fluxcore_kalman_args) C.int {
	return call("kalman_update", func() error {
		o, err := enter(uint64(h), kindEngine)
		if err != nil {
			return err
		}
		defer o.leave()
		if a == nil {
			return fmt.Errorf("args is NULL")
		}
		if size := uintptr(a.struct_size); size < unsafe.Sizeof(*a) {
			return fmt.Errorf("args->struct_size is %d, want sizeof(fluxcore_kalman_args) = %d", size, unsafe.Sizeof(*a))
		}
		x, err := readTensor("args->x", a.x)
		if err != nil {
			return err
		}
		e := o.value.(*engine.Engine)
		ctx := limits.WithBudget(context.Background(), e.Budget())
		if x.bits == 64 {
			return kalmanAs[float64](ctx, e, a, &x)
		}
		return kalmanAs[float32](ctx, e, a, &x)
	})
}

// kalmanAs converts the caller's filter-major arrays to the batch-innermost layout of the
// kernels, updates, and converts back into the outputs.
func kalmanAs[T float](ctx context.Context, e *engine.Engine, a *C.fluxcore_kalman_args, x *tensor) error {
	if x.ndim != 2 {
		return fmt.Errorf("args->x has shape %v, want [filters, nx]", x.dims())
	}
	filters, nx := x.shape[0], x.shape[1]
	xs, err := values[T](x)
	if err != nil {
		return err
	}
	ps, err := input[T]("args->p", a.p, []int{filters, nx, nx})
	if err != nil || ps == nil {
		return cmpErr(err, "args->p is NULL")
	}
	z, err := readTensor("args->z", a.z)
	if err != nil {
		return err
	}
	if z.ndim != 2 || z.shape[0] != filters {
		return fmt.Errorf("args->z has shape %v, want [%d, nz]", z.dims(), filters)
	}
	nz := z.shape[1]
	zs, err := values[T](&z)
	if err != nil {
		return err
	}
	hs, err := model[T]("args->h", a.h, filters, nz, nx)
	if err != nil {
		return err
	}
	rs, err := model[T]("args->r", a.r, filters, nz, nz)
	if err != nil {
		return err
	}
	batch := kalman.Batch[T]{Filters: filters, NX: nx, X: kalman.ToBatchInner(xs, filters), P: kalman.ToBatchInner(ps, filters)}
	status, err := kalman.Update(ctx, e.Backend(), &batch, nz, hs, rs, kalman.ToBatchInner(zs, filters))
	if err != nil {
		return err
	}
	if err := writeOutput("args->x_out", a.x_out, kalman.FromBatchInner(batch.X, filters), []int{filters, nx}); err != nil {
		return err
	}
	if err := writeOutput("args->p_out", a.p_out, kalman.FromBatchInner(batch.P, filters), []int{filters, nx, nx}); err != nil {
		return err
	}
	st, err := readTensor("args->status_out", a.status_out)
	if err != nil {
		return err
	}
	if err := st.want(C.FLUXCORE_DL_INT, 32, "int32"); err != nil {
		return err
	}
	if err := st.expect(filters); err != nil || !st.compact {
		return cmpErr(err, "args->status_out must be compact")
	}
	copy(unsafe.Slice((*int32)(st.data), filters), status)
	return nil
}

// model reads a measurement model, [rows, cols] shared by every filter or [filters, rows,
// cols], into the layout kalman.Update takes: as given when shared, batch-innermost when not.
func model[T float](name string, p *C.fluxcore_dl_tensor, filters, rows, cols int) ([]T, error) {
	t, err := readTensor(name, p)
	if err != nil {
		return nil, err
	}
	switch {
	case t.ndim == 2 && t.shape[0] == rows && t.shape[1] == cols:
		return values[T](&t)
	case t.ndim == 3 && t.shape[0] == filters && t.shape[1] == rows && t.shape[2] == cols:
		v, err := values[T](&t)
		if err != nil {
			return nil, err
		}
		return kalman.ToBatchInner(v, filters), nil
	}
	return nil, fmt.Errorf("%s has shape %v, want [%d, %d] (shared) or [%d, %d, %d]", name, t.dims(), rows, cols, filters, rows, cols)
}

// cmpErr is err, or an error of msg when err is nil.
func cmpErr(err error, msg string) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("%s", msg)
}
