package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"fmt"
	"slices"
	"unsafe"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/conserve"
	"github.com/fluxcore/fluxcore/engine/limits"
)

//export fcgo_conserve
func fcgo_conserve(h C.fluxcore_engine, a *C.fluxcore_conserve_args) C.int {
	return call("conserve", func() error {
		o, err := enter(uint64(h), kindEngine)
		if err != nil {
			return err
		}
		defer o.leave()
		if a == nil {
			return fmt.Errorf("args is NULL")
		}
		if size := uintptr(a.struct_size); size < unsafe.Sizeof(*a) {
			return fmt.Errorf("args->struct_size is %d, want sizeof(fluxcore_conserve_args) = %d", size, unsafe.Sizeof(*a))
		}
		mean, err := readTensor("args->mean", a.mean)
		if err != nil {
			return err
		}
		e := o.value.(*engine.Engine)
		ctx := limits.WithBudget(context.Background(), e.Budget())
		if mean.bits == 64 {
			return conserveAs[float64](ctx, e, a, &mean)
		}
		return conserveAs[float32](ctx, e, a, &mean)
	})
}

// conserveAs reads the problem in T, runs it and writes the outputs the caller gave.
func conserveAs[T float](ctx context.Context, e *engine.Engine, a *C.fluxcore_conserve_args, mean *tensor) error {
	slice := mean.dims() // [N] or [S, N]
	if len(slice) != 1 && len(slice) != 2 {
		return fmt.Errorf("args->mean has shape %v, want [N] or [slices, N]", slice)
	}
	n := slice[len(slice)-1]
	p := conserve.Problem[T]{Slices: mean.count / max(n, 1), N: n, NoiseVar: float64(a.noise_var)}
	var err error
	if p.Mean, err = values[T](mean); err != nil {
		return err
	}
	g, err := readTensor("args->g", a.g)
	if err != nil {
		return err
	}
	if g.ndim < 2 || g.ndim > len(slice)+1 || g.shape[g.ndim-1] != n {
		return fmt.Errorf("args->g has shape %v, want [C, %d] or [slices, C, %d]", g.dims(), n, n)
	}
	p.Constraints = g.shape[g.ndim-2]
	if p.G, err = values[T](&g); err != nil {
		return err
	}
	if p.RHS, err = input[T]("args->b", a.b, nil); err != nil {
		return err
	}
	if p.Var, err = input[T]("args->var", a._var, slice); err != nil {
		return err
	}
	if p.Cov, err = input[T]("args->cov", a.cov, append(slices.Clone(slice), n)); err != nil {
		return err
	}
	if ens, err := readOptional("args->ensemble", a.ensemble); err != nil {
		return err
	} else if ens != nil {
		if ens.ndim != len(slice)+1 || !slices.Equal(ens.dims()[:len(slice)], slice) {
			return fmt.Errorf("args->ensemble has shape %v, want %v followed by the members", ens.dims(), slice)
		}
		p.Members = ens.shape[len(slice)]
		if p.Ensemble, err = values[T](ens); err != nil {
			return err
		}
	}
	want := conserve.Want{Var: a.var_out != nil, Cov: a.cov_out != nil, Ensemble: a.ensemble_out != nil}
	res, err := conserve.Update(ctx, e.Backend(), p, want)
	if err != nil {
		return err
	}
	for _, out := range []struct {
		name   string
		dst    *C.fluxcore_dl_tensor
		values []T
		shape  []int
	}{
		{"args->mean_out", a.mean_out, res.Mean, slice},
		{"args->var_out", a.var_out, res.Var, slice},
		{"args->cov_out", a.cov_out, res.Cov, append(slices.Clone(slice), n)},
		{"args->ensemble_out", a.ensemble_out, res.Ensemble, append(slices.Clone(slice), p.Members)},
	} {
		if out.dst == nil && out.name != "args->mean_out" {
			continue
		}
		if err := writeOutput(out.name, out.dst, out.values, out.shape); err != nil {
			return err
		}
	}
	return nil
}

// input reads an optional input of T; shape, when given, is the shape it must have.
func input[T float](name string, p *C.fluxcore_dl_tensor, shape []int) ([]T, error) {
	t, err := readOptional(name, p)
	if t == nil || err != nil {
		return nil, err
	}
	if shape != nil {
		if err := t.expect(shape...); err != nil {
			return nil, err
		}
	}
	return values[T](t)
}

// writeOutput copies values into the caller's compact output of shape.
func writeOutput[T float](name string, p *C.fluxcore_dl_tensor, values []T, shape []int) error {
	t, err := readTensor(name, p)
	if err != nil {
		return err
	}
	dst, err := outputs[T](&t, shape)
	if err != nil {
		return err
	}
	copy(dst, values)
	return nil
}
