package main

/*
#include "capi.h"
*/
import "C"

import (
	"fmt"
	"slices"
	"unsafe"

	"github.com/fluxcore/fluxcore/engine/limits"
)

// errTooLarge reports a tensor of more elements than the kernels index (int32).
var errTooLarge = fmt.Errorf("more than %d elements exceeds limit: %w", limits.MaxArrayElements, limits.ErrLimit)

// maxDims bounds a tensor's rank; fluxcore's largest is 5, a 3-D FNO's [batch, x, y, t, c].
const maxDims = 8

// tensor is a checked view of a caller's DLTensor. Arrays instead of slices keep a call from
// allocating.
type tensor struct {
	name    string
	data    unsafe.Pointer // data + byte_offset
	ndim    int
	shape   [maxDims]int
	strides [maxDims]int // in elements; the compact ones when the producer sent none
	compact bool
	count   int
	code    uint8
	bits    uint8
}

func (t *tensor) dims() []int { return t.shape[:t.ndim] }

// readTensor checks a DLTensor's description (device, rank, dtype, shape, strides) before
// anything reads its data.
func readTensor(name string, p *C.fluxcore_dl_tensor) (tensor, error) {
	t := tensor{name: name}
	if p == nil {
		return t, fmt.Errorf("%s is NULL", name)
	}
	switch dev := p.device; dev.device_type {
	case C.FLUXCORE_DL_CPU, C.FLUXCORE_DL_CUDA_HOST, C.FLUXCORE_DL_CUDA_MANAGED:
	case C.FLUXCORE_DL_CUDA:
		return t, fmt.Errorf("%s is on cuda:%d; this version takes host tensors (kDLCPU, kDLCUDAHost): %w",
			name, dev.device_id, errUnsupported)
	default:
		return t, fmt.Errorf("%s has DLPack device type %d, want kDLCPU (1) or a host-accessible CUDA type: %w",
			name, dev.device_type, errUnsupported)
	}
	if p.ndim < 0 || p.ndim > maxDims {
		return t, fmt.Errorf("%s has ndim %d, want 0..%d", name, p.ndim, maxDims)
	}
	t.ndim = int(p.ndim)
	t.code, t.bits = uint8(p.dtype.code), uint8(p.dtype.bits)
	if p.dtype.lanes != 1 || t.bits%8 != 0 || t.bits == 0 {
		return t, fmt.Errorf("%s has dtype (code %d, bits %d, lanes %d), want one lane of whole bytes",
			name, t.code, t.bits, p.dtype.lanes)
	}
	if t.ndim > 0 && p.shape == nil {
		return t, fmt.Errorf("%s has ndim %d and a NULL shape", name, t.ndim)
	}
	shape := unsafe.Slice((*int64)(unsafe.Pointer(p.shape)), t.ndim)
	for i, n := range shape {
		if n < 0 || n > limits.MaxArrayElements {
			return t, fmt.Errorf("%s has shape[%d] = %d, want 0..%d", name, i, n, limits.MaxArrayElements)
		}
		t.shape[i] = int(n)
	}
	// The count is multiplied here rather than by limits.Product, whose error keeps the
	// shape: that made every call allocate, its tensor included.
	t.count = 1
	for _, n := range t.shape[:t.ndim] {
		var ok bool
		if t.count, ok = limits.Mul(t.count, n); !ok || t.count > limits.MaxArrayElements {
			return t, fmt.Errorf("%s has shape %v: %w", name, slices.Clone(t.shape[:t.ndim]), errTooLarge)
		}
	}
	if err := t.readStrides(p.strides); err != nil {
		return t, err
	}
	if p.data == nil && t.count > 0 {
		return t, fmt.Errorf("%s has %d elements and a NULL data pointer", name, t.count)
	}
	t.data = unsafe.Add(p.data, uintptr(p.byte_offset))
	return t, nil
}

// readStrides fills t.strides and t.compact; NULL strides mean compact row-major.
func (t *tensor) readStrides(p *C.int64_t) error {
	step := 1
	t.compact = true
	for i := t.ndim - 1; i >= 0; i-- {
		t.strides[i] = step
		step *= t.shape[i]
	}
	if p == nil {
		return nil
	}
	given := unsafe.Slice((*int64)(unsafe.Pointer(p)), t.ndim)
	for i, s := range given {
		if s < 0 || s > limits.MaxArrayElements {
			return fmt.Errorf("%s has strides[%d] = %d, want 0..%d (negative strides are not taken)",
				t.name, i, s, limits.MaxArrayElements)
		}
		// A dimension of extent 1 is never stepped along, so its stride does not matter.
		if int(s) != t.strides[i] && t.shape[i] > 1 {
			t.compact = false
		}
		t.strides[i] = int(s)
	}
	return nil
}

// float is an element type the C ABI exchanges.
type float interface{ float32 | float64 }

func bitsOf[T float]() uint8 {
	var zero T
	return uint8(unsafe.Sizeof(zero) * 8)
}

// gather checks that t holds T and returns its elements: a compact tensor in place, a
// strided one gathered into scratch (grown when short).
func gather[T float](t *tensor, scratch *[]T) ([]T, error) {
	if err := t.want(C.FLUXCORE_DL_FLOAT, bitsOf[T]()); err != nil {
		return nil, err
	}
	if t.count == 0 {
		return nil, nil
	}
	if t.compact {
		return unsafe.Slice((*T)(t.data), t.count), nil
	}
	if cap(*scratch) < t.count {
		*scratch = make([]T, t.count)
	}
	dst := (*scratch)[:t.count]
	var index [maxDims]int
	size := int(unsafe.Sizeof(dst[0]))
	for i := range dst {
		off := 0
		for d := range t.ndim {
			off += index[d] * t.strides[d]
		}
		dst[i] = *(*T)(unsafe.Add(t.data, size*off))
		for d := t.ndim - 1; d >= 0; d-- {
			if index[d]++; index[d] < t.shape[d] {
				break
			}
			index[d] = 0
		}
	}
	return dst, nil
}

// values is gather into a fresh slice when t is strided.
func values[T float](t *tensor) ([]T, error) {
	var scratch []T
	return gather(t, &scratch)
}

// outputs checks that t is a compact tensor of T with exactly shape and returns its elements
// for writing.
func outputs[T float](t *tensor, shape []int) ([]T, error) {
	if err := t.want(C.FLUXCORE_DL_FLOAT, bitsOf[T]()); err != nil {
		return nil, err
	}
	if err := t.expect(shape...); err != nil {
		return nil, err
	}
	if !t.compact {
		return nil, fmt.Errorf("%s has strides %v, want a compact row-major output", t.name, slices.Clone(t.strides[:t.ndim]))
	}
	return unsafe.Slice((*T)(t.data), t.count), nil
}

// expect is an error naming t when its shape is not exactly shape. (Errors here format
// copies, so that a call's tensors stay on its stack.)
func (t *tensor) expect(shape ...int) error {
	if !slices.Equal(t.dims(), shape) {
		return fmt.Errorf("%s has shape %v, want %v", t.name, slices.Clone(t.dims()), slices.Clone(shape))
	}
	return nil
}

// readOptional is readTensor for an argument that may be NULL (nil then).
func readOptional(name string, p *C.fluxcore_dl_tensor) (*tensor, error) {
	if p == nil {
		return nil, nil
	}
	t, err := readTensor(name, p)
	return &t, err
}

// want is an error naming t when its dtype is not (code, bits). The wanted name is formatted
// only on failure: a forward checks its tensors on every call.
func (t *tensor) want(code, bits uint8) error {
	if t.code != code || t.bits != bits {
		return fmt.Errorf("%s has dtype %s, want %s", t.name, dtypeName(t.code, t.bits), dtypeName(code, bits))
	}
	return nil
}

func dtypeName(code, bits uint8) string {
	switch code {
	case C.FLUXCORE_DL_INT:
		return fmt.Sprintf("int%d", bits)
	case C.FLUXCORE_DL_UINT:
		return fmt.Sprintf("uint%d", bits)
	case C.FLUXCORE_DL_FLOAT:
		return fmt.Sprintf("float%d", bits)
	case C.FLUXCORE_DL_COMPLEX:
		return fmt.Sprintf("complex%d", bits)
	}
	return fmt.Sprintf("(code %d, %d bits)", code, bits)
}
