package main

/*
#include <stdlib.h>
#include "capi.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"unsafe"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/fno"
	"github.com/fluxcore/fluxcore/engine/limits"
)

// fnoModel is a loaded checkpoint and its pool of runners. A runner holds the weights and
// activations on the device for one grid and batch size and serves one call at a time, so
// concurrent calls take different runners, and a warm call reuses one: no weights placed
// again, no buffers allocated.
type fnoModel struct {
	engine *engine.Engine
	model  *fno.Model
	ctx    context.Context // carries the engine's budget; made once rather than per call

	mu   sync.Mutex
	idle map[runnerKey][]*pooledRunner
}

// runnerKey is a runner's shape: the batch and up to three grid axes.
type runnerKey struct {
	batch int
	grid  [3]int
}

type pooledRunner struct {
	runner *fno.Runner
	input  []float32 // gathers a strided input
}

// Bounds on the idle runners a model keeps: enough for every thread of a busy host at one
// shape, and a few shapes besides.
const (
	maxIdlePerShape = 8
	maxIdleRunners  = 32
)

//export fcgo_fno_load
func fcgo_fno_load(h C.fluxcore_engine, path *C.char, out *C.fluxcore_fno) C.int {
	return call("fno_load", func() error {
		if path == nil {
			return fmt.Errorf("path is NULL")
		}
		return create(h, out, kindFNO, func(e *engine.Engine) (any, error) {
			ctx := budgetContext(e)
			m, err := fno.Load(ctx, C.GoString(path), fno.Overrides{}, fno.Overrides{})
			if err != nil {
				return nil, err
			}
			return &fnoModel{engine: e, model: m, ctx: ctx, idle: map[runnerKey][]*pooledRunner{}}, nil
		})
	})
}

//export fcgo_fno_destroy
func fcgo_fno_destroy(h C.fluxcore_fno) C.int {
	return call("fno_destroy", func() error {
		o, err := unregister(uint64(h), kindFNO)
		if err != nil {
			return err
		}
		o.value.(*fnoModel).drain()
		return nil
	})
}

// drain closes the idle runners, releasing their device memory.
func (m *fnoModel) drain() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for key, list := range m.idle {
		for _, p := range list {
			p.runner.Close()
		}
		delete(m.idle, key)
	}
}

//export fcgo_fno_info_json
func fcgo_fno_info_json(h C.fluxcore_fno, buf *C.char, bufLen C.size_t, lenOut *C.size_t) C.int {
	return call("fno_info_json", func() error {
		o, err := enter(uint64(h), kindFNO)
		if err != nil {
			return err
		}
		defer o.leave()
		m := o.value.(*fnoModel).model
		data, err := json.Marshal(map[string]any{
			"dims": m.Dims, "in_channels": m.InChannels, "out_channels": m.OutChannels,
			"width": m.Width, "modes": m.Modes, "layout": m.Layout, "boon": m.BOON,
		})
		if err != nil {
			return err
		}
		return copyJSON(data, buf, bufLen, lenOut)
	})
}

//export fcgo_fno_output_shape
func fcgo_fno_output_shape(h C.fluxcore_fno, x *C.fluxcore_dl_tensor, shape *C.int64_t) C.int {
	return call("fno_output_shape", func() error {
		o, err := enter(uint64(h), kindFNO)
		if err != nil {
			return err
		}
		defer o.leave()
		if shape == nil {
			return fmt.Errorf("shape is NULL")
		}
		in, err := readTensor("x", x)
		if err != nil {
			return err
		}
		outShape, _, err := o.value.(*fnoModel).outputShape(&in)
		if err != nil {
			return err
		}
		dst := unsafe.Slice((*int64)(unsafe.Pointer(shape)), in.ndim)
		for i, n := range outShape[:in.ndim] {
			dst[i] = int64(n)
		}
		return nil
	})
}

//export fcgo_fno_forward
func fcgo_fno_forward(h C.fluxcore_fno, x *C.fluxcore_dl_tensor, bc *C.fluxcore_fno_boundary, y *C.fluxcore_dl_tensor, stream unsafe.Pointer) C.int {
	return call("fno_forward", func() error {
		o, err := enter(uint64(h), kindFNO)
		if err != nil {
			return err
		}
		defer o.leave()
		_, err = o.value.(*fnoModel).forward(x, bc, y)
		return err
	})
}

//export fcgo_fno_forward_alloc
func fcgo_fno_forward_alloc(h C.fluxcore_fno, x *C.fluxcore_dl_tensor, bc *C.fluxcore_fno_boundary, y **C.fluxcore_dl_managed_tensor, stream unsafe.Pointer) C.int {
	return call("fno_forward_alloc", func() error {
		if y == nil {
			return fmt.Errorf("y is NULL")
		}
		o, err := enter(uint64(h), kindFNO)
		if err != nil {
			return err
		}
		defer o.leave()
		block, err := o.value.(*fnoModel).forward(x, bc, nil)
		if err != nil {
			return err
		}
		*y = block
		return nil
	})
}

// forward checks x and bc against the model and runs a pooled runner into y, or, when y is
// nil, into a tensor it allocates on the C heap and returns.
func (m *fnoModel) forward(x *C.fluxcore_dl_tensor, bc *C.fluxcore_fno_boundary, y *C.fluxcore_dl_tensor) (*C.fluxcore_dl_managed_tensor, error) {
	in, err := readTensor("x", x)
	if err != nil {
		return nil, err
	}
	outShape, grid, err := m.outputShape(&in)
	if err != nil {
		return nil, err
	}
	key := runnerKey{batch: in.shape[0]}
	copy(key.grid[:], grid)
	boundary, err := readBoundary(m.ctx, m.model, bc, key.batch, grid)
	if err != nil {
		return nil, err
	}
	var block *C.fluxcore_dl_managed_tensor
	var dst []float32
	if y != nil {
		out, err := readTensor("y", y)
		if err != nil {
			return nil, err
		}
		if dst, err = outputs[float32](&out, outShape[:in.ndim]); err != nil {
			return nil, err
		}
	} else if block, dst, err = allocFloat32(outShape[:in.ndim]); err != nil {
		return nil, err
	}
	if err := m.run(key, grid, &in, dst, boundary); err != nil {
		if block != nil {
			C.free(unsafe.Pointer(block))
		}
		return nil, err
	}
	return block, nil
}

// outputShape checks input x against the model and returns the output's shape, [batch,
// grid..., out_channels] in x's first ndim entries, and x's grid.
func (m *fnoModel) outputShape(x *tensor) (shape [maxDims]int, grid []int, err error) {
	if grid, err = m.model.CheckInput(x.dims()); err != nil {
		return shape, nil, err
	}
	copy(shape[:], x.dims())
	shape[x.ndim-1] = m.model.OutChannels
	return shape, grid, nil
}

// run takes a runner of key's shape from the pool and computes into dst.
func (m *fnoModel) run(key runnerKey, grid []int, in *tensor, dst []float32, boundary *fno.Boundary) error {
	p, err := m.take(m.ctx, key, grid)
	if err != nil {
		return err
	}
	defer m.put(key, p)
	src, err := gather(in, &p.input)
	if err != nil {
		return err
	}
	return p.runner.ForwardInto(m.ctx, dst, src, key.batch, boundary)
}

// take returns an idle runner of key's shape, or places a new one. A new runner that the
// memory budget refuses is tried again once after closing the idle ones.
func (m *fnoModel) take(ctx context.Context, key runnerKey, grid []int) (*pooledRunner, error) {
	m.mu.Lock()
	if list := m.idle[key]; len(list) > 0 {
		p := list[len(list)-1]
		m.idle[key] = list[:len(list)-1]
		m.mu.Unlock()
		return p, nil
	}
	m.mu.Unlock()
	cfg := fno.RunnerConfig{Grid: slices.Clone(grid), MaxBatch: key.batch}
	r, err := m.model.NewRunner(ctx, m.engine.Backend(), cfg)
	if errors.Is(err, limits.ErrBudget) {
		m.drain()
		r, err = m.model.NewRunner(ctx, m.engine.Backend(), cfg)
	}
	if err != nil {
		return nil, err
	}
	return &pooledRunner{runner: r}, nil
}

func (m *fnoModel) put(key runnerKey, p *pooledRunner) {
	m.mu.Lock()
	defer m.mu.Unlock()
	held := 0
	for _, list := range m.idle {
		held += len(list)
	}
	if len(m.idle[key]) >= maxIdlePerShape || held >= maxIdleRunners {
		p.runner.Close()
		return
	}
	m.idle[key] = append(m.idle[key], p)
}

// allocFloat32 allocates a float32 host tensor of shape on the C heap, where the caller may
// keep it: one block that its deleter frees.
func allocFloat32(shape []int) (*C.fluxcore_dl_managed_tensor, []float32, error) {
	count := 1
	var dims [maxDims]C.int64_t
	for i, n := range shape {
		count *= n // shape is an output shape the model checked: no overflow
		dims[i] = C.int64_t(n)
	}
	block := C.fc_alloc_tensor(C.int32_t(len(shape)), &dims[0], 4, C.size_t(count))
	if block == nil {
		return nil, nil, fmt.Errorf("allocate the output, %v float32: %w", slices.Clone(shape), errNoMemory)
	}
	block.dl_tensor.dtype = C.fluxcore_dl_datatype{code: C.FLUXCORE_DL_FLOAT, bits: 32, lanes: 1}
	return block, unsafe.Slice((*float32)(block.dl_tensor.data), count), nil
}
