package backend

import (
	"fmt"
	"unsafe"
)

// DType is the element type of a Buffer.
type DType uint8

const (
	Float32 DType = iota + 1
	Float64
	Complex64
	Complex128
	Int32
)

// Size is the size of one element in bytes.
func (d DType) Size() int {
	switch d {
	case Float32, Int32:
		return 4
	case Float64, Complex64:
		return 8
	case Complex128:
		return 16
	}
	return 0
}

func (d DType) String() string {
	switch d {
	case Float32:
		return "float32"
	case Float64:
		return "float64"
	case Complex64:
		return "complex64"
	case Complex128:
		return "complex128"
	case Int32:
		return "int32"
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// Element is a Go type that a Buffer can hold.
type Element interface {
	float32 | float64 | complex64 | complex128 | int32
}

// DTypeOf is the DType that holds elements of type T.
func DTypeOf[T Element]() DType {
	var zero T
	switch any(zero).(type) {
	case float32:
		return Float32
	case float64:
		return Float64
	case complex64:
		return Complex64
	case complex128:
		return Complex128
	default:
		return Int32
	}
}

// Bytes views a slice of elements as its bytes, without copying.
func Bytes[T Element](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(s[0])))
}

// checkHostTransfer reports a type or length mismatch between a buffer and host elements.
func checkHostTransfer[T Element](op string, buf Buffer, n int) error {
	if want := DTypeOf[T](); buf.DType() != want {
		return fmt.Errorf("%s: buffer holds %s, host slice holds %s", op, buf.DType(), want)
	}
	if buf.Len() != n {
		return fmt.Errorf("%s: buffer has %d elements, host slice has %d", op, buf.Len(), n)
	}
	return nil
}
