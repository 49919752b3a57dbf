package backend

import (
	"fmt"
	"slices"
)

// Op names one operation of Backend: its method's name. ops_gen.go lists them.
type Op string

// Capabilities is what a backend runs: the ops it implements, the element types of the ops
// that take more than one (ProbConserv and Kalman: float32 and float64), and the largest
// buffer it can hold. ggml's supports_op plays the same part.
type Capabilities struct {
	Ops map[Op]OpSupport
	// MaxBufferBytes bounds one buffer: the device's memory, or 0 for no stated bound.
	MaxBufferBytes int64
}

// OpSupport is a backend's support of one op.
type OpSupport struct {
	// DTypes are the element types the op takes, for ops that take several; nil otherwise.
	DTypes []DType
}

// Capable is implemented by backends that report their capabilities; a backend that does
// not is taken to run every op.
type Capable interface {
	Capabilities() Capabilities
}

// FullCapabilities is every op, with both float types where an op takes either.
func FullCapabilities() Capabilities {
	c := Capabilities{Ops: map[Op]OpSupport{}}
	for _, op := range AllOps {
		c.Ops[op] = OpSupport{}
	}
	c.Ops[OpConserve] = OpSupport{DTypes: []DType{Float32, Float64}}
	c.Ops[OpKalman] = OpSupport{DTypes: []DType{Float32, Float64}}
	return c
}

// Supports says whether b runs op (on elements of dt, when dt is not zero), and if not,
// why.
func Supports(b Backend, op Op, dt DType) error {
	capable, ok := b.(Capable)
	if !ok {
		return nil
	}
	s, ok := capable.Capabilities().Ops[op]
	switch {
	case !ok:
		return fmt.Errorf("%s does not implement %s", b.Name(), op)
	case dt != 0 && s.DTypes != nil && !slices.Contains(s.DTypes, dt):
		return fmt.Errorf("%s runs %s on %v, not %v", b.Name(), op, s.DTypes, dt)
	}
	return nil
}
