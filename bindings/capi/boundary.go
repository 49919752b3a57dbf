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

	"github.com/fluxcore/fluxcore/engine/fno"
	"github.com/fluxcore/fluxcore/engine/limits"
)

// maxStencil bounds a Neumann stencil's length; the published ones have 2 to 4 taps.
const maxStencil = 64

var boundaryKinds = map[C.int32_t]fno.BoundaryKind{
	C.FLUXCORE_BC_DIRICHLET: fno.Dirichlet,
	C.FLUXCORE_BC_NEUMANN:   fno.Neumann,
	C.FLUXCORE_BC_PERIODIC:  fno.Periodic,
}

// readBoundary turns the caller's boundary description into BOON's run-time data for a batch
// on grid; nil means no condition (a plain FNO without bc, or bc asking for the model's own
// when it has none).
func readBoundary(ctx context.Context, m *fno.Model, p *C.fluxcore_fno_boundary, batch int, grid []int) (*fno.Boundary, error) {
	if p == nil {
		return nil, nil
	}
	size := uintptr(p.struct_size)
	if size < unsafe.Sizeof(*p) {
		return nil, fmt.Errorf("bc->struct_size is %d, want sizeof(fluxcore_fno_boundary) = %d", size, unsafe.Sizeof(*p))
	}
	kind := m.BOON
	if p.kind != C.FLUXCORE_BC_MODEL {
		var ok bool
		if kind, ok = boundaryKinds[p.kind]; !ok {
			return nil, fmt.Errorf("bc->kind is %d, want FLUXCORE_BC_MODEL (0), _DIRICHLET (1), _NEUMANN (2) or _PERIODIC (3)", p.kind)
		}
	}
	if kind == "" {
		return nil, nil
	}
	bc := &fno.Boundary{Kind: kind, OutputOnly: p.output_only != 0}
	var err error
	xFace := fno.FaceShape(grid, batch, 0)
	switch kind {
	case fno.Dirichlet:
		if bc.Left, err = faceData("bc->left", p.left, xFace, false); err == nil {
			bc.Right, err = faceData("bc->right", p.right, xFace, false)
		}
		if err == nil && m.Dims == 3 {
			yFace := fno.FaceShape(grid, batch, 1)
			if bc.Top, err = faceData("bc->top", p.top, yFace, false); err == nil {
				bc.Down, err = faceData("bc->down", p.down, yFace, false)
			}
		}
	case fno.Neumann:
		if bc.Left, err = faceData("bc->left", p.left, xFace, true); err == nil {
			bc.Right, err = faceData("bc->right", p.right, xFace, true)
		}
		if err == nil {
			bc.StencilLeft, err = stencil("bc->stencil_left", p.stencil_left, p.stencil_left_len)
		}
		if err == nil {
			bc.StencilRight, err = stencil("bc->stencil_right", p.stencil_right, p.stencil_right_len)
		}
	}
	if err != nil {
		return nil, err
	}
	return bc, ctx.Err()
}

// faceData reads one face's float32 values of the given shape; an absent optional face (a
// Neumann flux) is zero everywhere.
func faceData(name string, p *C.fluxcore_dl_tensor, shape []int, optional bool) ([]float32, error) {
	if p == nil {
		if optional {
			n, err := limits.Product(name, limits.MaxArrayElements, shape...)
			return fno.UniformFaces(n, 0), err
		}
		return nil, fmt.Errorf("%s is NULL; this condition needs it, shaped %v", name, shape)
	}
	t, err := readTensor(name, p)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(withoutUnitAxes(t.dims()), withoutUnitAxes(shape)) {
		return nil, fmt.Errorf("%s has shape %v, want %v (axes of extent 1 may be added or left out)", name, t.dims(), shape)
	}
	return values[float32](&t)
}

func stencil(name string, p *C.double, n C.int32_t) ([]float64, error) {
	if p == nil || n == 0 {
		return nil, nil
	}
	if n < 2 || n > maxStencil {
		return nil, fmt.Errorf("%s has %d taps, want 2..%d", name, n, maxStencil)
	}
	return slices.Clone(unsafe.Slice((*float64)(unsafe.Pointer(p)), int(n))), nil
}

// withoutUnitAxes drops the axes of extent 1, which do not change a row-major layout: a 1-D
// model's faces come as [batch] or [batch, 1].
func withoutUnitAxes(dims []int) []int {
	return slices.DeleteFunc(slices.Clone(dims), func(n int) bool { return n == 1 })
}
