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
	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/kalman"
)

// kalmanBatch is a batch of filters whose state stays in the kernels' batch-innermost
// layout between calls; the caller's tensors are filter-major.
type kalmanBatch struct {
	ctx     context.Context // carries the engine's budget
	backend backend.Backend
	state   kalmanState // entered alone: every call reads or rewrites it
}

// kalmanState is a kalman.Batch of either element type.
type kalmanState interface {
	predict(ctx context.Context, b backend.Backend, f, q *C.fluxcore_dl_tensor) error
	update(ctx context.Context, b backend.Backend, z, h, r, status *C.fluxcore_dl_tensor) error
	copyOut(x, p *C.fluxcore_dl_tensor) error
}

type kalmanOf[T float] struct{ kalman.Batch[T] }

//export fcgo_kalman_create
func fcgo_kalman_create(h C.fluxcore_engine, x, p *C.fluxcore_dl_tensor, out *C.fluxcore_kalman) C.int {
	return call("kalman_create", func() error {
		return create(h, out, kindKalman, func(e *engine.Engine) (any, error) {
			xt, err := readTensor("x", x)
			if err != nil {
				return nil, err
			}
			var state kalmanState
			if xt.bits == 64 {
				state, err = newKalman[float64](&xt, p)
			} else {
				state, err = newKalman[float32](&xt, p)
			}
			if err != nil {
				return nil, err
			}
			return &kalmanBatch{ctx: budgetContext(e), backend: e.Backend(), state: state}, nil
		})
	})
}

func newKalman[T float](x *tensor, p *C.fluxcore_dl_tensor) (*kalmanOf[T], error) {
	if x.ndim != 2 {
		return nil, fmt.Errorf("x has shape %v, want [filters, nx]", x.dims())
	}
	filters, nx := x.shape[0], x.shape[1]
	xs, err := values[T](x)
	if err != nil {
		return nil, err
	}
	pt, err := readTensor("p", p)
	if err != nil {
		return nil, err
	}
	if err := pt.expect(filters, nx, nx); err != nil {
		return nil, err
	}
	ps, err := values[T](&pt)
	if err != nil {
		return nil, err
	}
	return &kalmanOf[T]{kalman.Batch[T]{Filters: filters, NX: nx, X: kalman.ToBatchInner(xs, filters), P: kalman.ToBatchInner(ps, filters)}}, nil
}

// enterKalman admits a call into batch h, one at a time.
func enterKalman(h C.fluxcore_kalman) (*object, *kalmanBatch, error) {
	o, err := enterAlone(uint64(h), kindKalman)
	if err != nil {
		return nil, nil, err
	}
	return o, o.value.(*kalmanBatch), nil
}

//export fcgo_kalman_destroy
func fcgo_kalman_destroy(h C.fluxcore_kalman) C.int {
	return call("kalman_destroy", func() error {
		_, err := unregister(uint64(h), kindKalman)
		return err
	})
}

//export fcgo_kalman_predict
func fcgo_kalman_predict(h C.fluxcore_kalman, f, q *C.fluxcore_dl_tensor) C.int {
	return call("kalman_predict", func() error {
		o, kb, err := enterKalman(h)
		if err != nil {
			return err
		}
		defer o.leave()
		return kb.state.predict(kb.ctx, kb.backend, f, q)
	})
}

//export fcgo_kalman_update
func fcgo_kalman_update(h C.fluxcore_kalman, z, hm, r, status *C.fluxcore_dl_tensor) C.int {
	return call("kalman_update", func() error {
		o, kb, err := enterKalman(h)
		if err != nil {
			return err
		}
		defer o.leave()
		return kb.state.update(kb.ctx, kb.backend, z, hm, r, status)
	})
}

//export fcgo_kalman_state
func fcgo_kalman_state(h C.fluxcore_kalman, x, p *C.fluxcore_dl_tensor) C.int {
	return call("kalman_state", func() error {
		o, kb, err := enterKalman(h)
		if err != nil {
			return err
		}
		defer o.leave()
		return kb.state.copyOut(x, p)
	})
}

func (k *kalmanOf[T]) predict(ctx context.Context, b backend.Backend, f, q *C.fluxcore_dl_tensor) error {
	fs, err := model[T]("f", f, k.Filters, k.NX, k.NX)
	if err != nil {
		return err
	}
	qs, err := model[T]("q", q, k.Filters, k.NX, k.NX)
	if err != nil {
		return err
	}
	return kalman.Predict(ctx, b, &k.Batch, fs, qs)
}

func (k *kalmanOf[T]) update(ctx context.Context, b backend.Backend, z, h, r, status *C.fluxcore_dl_tensor) error {
	zt, err := readTensor("z", z)
	if err != nil {
		return err
	}
	if zt.ndim != 2 || zt.shape[0] != k.Filters {
		return fmt.Errorf("z has shape %v, want [%d, nz]", zt.dims(), k.Filters)
	}
	nz := zt.shape[1]
	zs, err := values[T](&zt)
	if err != nil {
		return err
	}
	hs, err := model[T]("h", h, k.Filters, nz, k.NX)
	if err != nil {
		return err
	}
	rs, err := model[T]("r", r, k.Filters, nz, nz)
	if err != nil {
		return err
	}
	var st *tensor
	if st, err = readOptional("status_out", status); err != nil {
		return err
	}
	if st != nil {
		if err := st.want(C.FLUXCORE_DL_INT, 32); err != nil {
			return err
		}
		if err := st.expect(k.Filters); err != nil {
			return err
		}
		if !st.compact {
			return fmt.Errorf("status_out has strides %v, want a compact output", st.strides[:1])
		}
	}
	statuses, err := kalman.Update(ctx, b, &k.Batch, nz, hs, rs, kalman.ToBatchInner(zs, k.Filters))
	if err != nil {
		return err
	}
	if st != nil {
		copy(unsafe.Slice((*int32)(st.data), k.Filters), statuses)
	}
	return nil
}

func (k *kalmanOf[T]) copyOut(x, p *C.fluxcore_dl_tensor) error {
	if x != nil {
		if err := writeOutput("x_out", x, kalman.FromBatchInner(k.X, k.Filters), []int{k.Filters, k.NX}); err != nil {
			return err
		}
	}
	if p != nil {
		return writeOutput("p_out", p, kalman.FromBatchInner(k.P, k.Filters), []int{k.Filters, k.NX, k.NX})
	}
	return nil
}

// model reads a model matrix, [rows, cols] shared by every filter or [filters, rows, cols],
// into the layout kalman.Predict and Update take: as given when shared, batch-innermost when
// not.
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
