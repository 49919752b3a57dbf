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
	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/conserve"
)

// conserveProblem holds the constraints in both element types, converted once.
type conserveProblem struct {
	ctx      context.Context // carries the engine's budget
	backend  backend.Backend
	g64, b64 []float64
	g32, b32 []float32
	gShape   []int // [C, N] or [S, C, N]
	noiseVar float64
}

//export fcgo_conserve_create
func fcgo_conserve_create(h C.fluxcore_engine, g, b *C.fluxcore_dl_tensor, noiseVar C.double, out *C.fluxcore_conserve) C.int {
	return call("conserve_create", func() error {
		return create(h, out, kindConserve, func(e *engine.Engine) (any, error) {
			if err := conserve.CheckNoiseVar(float64(noiseVar)); err != nil {
				return nil, err
			}
			p := &conserveProblem{ctx: budgetContext(e), backend: e.Backend(), noiseVar: float64(noiseVar)}
			var bShape []int
			var err error
			if p.g64, p.gShape, err = float64s("g", g); err != nil {
				return nil, err
			}
			if p.b64, bShape, err = float64s("b", b); err != nil {
				return nil, err
			}
			n := len(p.gShape)
			if n < 2 || n > 3 || len(bShape) != n-1 || bShape[n-2] != p.gShape[n-2] || (n == 3 && bShape[0] != p.gShape[0]) {
				return nil, fmt.Errorf("g has shape %v and b %v, want [C, N] and [C], or [S, C, N] and [S, C]", p.gShape, bShape)
			}
			p.g32, p.b32 = convert[float32](p.g64), convert[float32](p.b64)
			return p, nil
		})
	})
}

// constraints returns G and b in T.
func constraints[T float](cp *conserveProblem) (g, b []T) {
	switch any(g).(type) {
	case []float32:
		return any(cp.g32).([]T), any(cp.b32).([]T)
	}
	return any(cp.g64).([]T), any(cp.b64).([]T)
}

// float64s reads a float32 or float64 tensor as float64 values, with its shape.
func float64s(name string, p *C.fluxcore_dl_tensor) ([]float64, []int, error) {
	t, err := readTensor(name, p)
	if err != nil {
		return nil, nil, err
	}
	shape := slices.Clone(t.dims())
	if t.code == C.FLUXCORE_DL_FLOAT && t.bits == 32 {
		v, err := values[float32](&t)
		return convert[float64](v), shape, err
	}
	v, err := values[float64](&t)
	return slices.Clone(v), shape, err
}

//export fcgo_conserve_destroy
func fcgo_conserve_destroy(h C.fluxcore_conserve) C.int {
	return call("conserve_destroy", func() error {
		_, err := unregister(uint64(h), kindConserve)
		return err
	})
}

//export fcgo_conserve_update
func fcgo_conserve_update(h C.fluxcore_conserve, a *C.fluxcore_conserve_args) C.int {
	return call("conserve_update", func() error {
		o, err := enter(uint64(h), kindConserve)
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
		p := o.value.(*conserveProblem)
		if mean.bits == 64 {
			return conserveAs[float64](p, a, &mean)
		}
		return conserveAs[float32](p, a, &mean)
	})
}

// conserveAs reads the estimates in T, runs the update and writes the outputs the caller gave.
func conserveAs[T float](cp *conserveProblem, a *C.fluxcore_conserve_args, mean *tensor) error {
	slice := mean.dims() // [N] or [S, N]
	if len(slice) != 1 && len(slice) != 2 {
		return fmt.Errorf("args->mean has shape %v, want [N] or [slices, N]", slice)
	}
	n := slice[len(slice)-1]
	if want := cp.gShape[len(cp.gShape)-1]; n != want {
		return fmt.Errorf("args->mean has %d points, the problem's G has %d", n, want)
	}
	p := conserve.Problem[T]{Slices: mean.count / max(n, 1), N: n, Constraints: cp.gShape[len(cp.gShape)-2], NoiseVar: cp.noiseVar}
	p.G, p.RHS = constraints[T](cp)
	var err error
	if p.Mean, err = values[T](mean); err != nil {
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
			return fmt.Errorf("args->ensemble has shape %v, want %v followed by the members", slices.Clone(ens.dims()), slice)
		}
		p.Members = ens.shape[len(slice)]
		if p.Ensemble, err = values[T](ens); err != nil {
			return err
		}
	}
	want := conserve.Want{Var: a.var_out != nil, Cov: a.cov_out != nil, Ensemble: a.ensemble_out != nil}
	res, err := conserve.Update(cp.ctx, cp.backend, p, want)
	if err != nil {
		return err
	}
	if err := writeOutput("args->mean_out", a.mean_out, res.Mean, slice); err != nil {
		return err
	}
	for _, out := range []struct {
		name   string
		dst    *C.fluxcore_dl_tensor
		values []T
		shape  []int
	}{
		{"args->var_out", a.var_out, res.Var, slice},
		{"args->cov_out", a.cov_out, res.Cov, append(slices.Clone(slice), n)},
		{"args->ensemble_out", a.ensemble_out, res.Ensemble, append(slices.Clone(slice), p.Members)},
	} {
		if out.dst != nil {
			if err := writeOutput(out.name, out.dst, out.values, out.shape); err != nil {
				return err
			}
		}
	}
	return nil
}

// convert copies v into a new slice of T.
func convert[T, F float](v []F) []T {
	out := make([]T, len(v))
	for i, x := range v {
		out[i] = T(x)
	}
	return out
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
