// Package float32le converts float32 values to and from their little-endian bytes, the
// layout of the inference protocol's FP32 tensors (and of .npy's <f4): on a little-endian
// machine a view of the same memory, converted elsewhere.
package float32le

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// native is whether memory already holds float32s little-endian.
var native = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// Bytes is v's little-endian bytes: v's own memory where that is their layout, so the
// caller must not change v while it uses them.
func Bytes(v []float32) []byte {
	if native {
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 4*len(v))
	}
	out := make([]byte, 0, 4*len(v))
	for _, x := range v {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(x))
	}
	return out
}

// Floats decodes len(raw)/4 little-endian float32s into a new slice.
func Floats(raw []byte) []float32 {
	out := make([]float32, len(raw)/4)
	if native {
		copy(Bytes(out), raw)
		return out
	}
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return out
}
