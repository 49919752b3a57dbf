package batch

import (
	"fmt"
	"slices"

	"github.com/fluxcore/fluxcore/npy"
)

// ArraySpec is one named array of every sample: its dtype as .npy names it (<f4, <f8 or
// <i4) and its shape without the sample axis. A job's manifest lists its per-sample inputs
// and outputs so.
type ArraySpec struct {
	Name  string `json:"name"`
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
}

// Values is the number of values of one sample.
func (s ArraySpec) Values() int { return product(s.Shape) }

// elementBytes is one value's size in memory and on disk.
func (s ArraySpec) elementBytes() int {
	if s.DType == "<f8" {
		return 8
	}
	return 4
}

func (s ArraySpec) String() string { return fmt.Sprintf("%s %s%v", s.Name, s.DType, s.Shape) }

func specsEqual(a, b []ArraySpec) bool {
	return slices.EqualFunc(a, b, func(x, y ArraySpec) bool {
		return x.Name == y.Name && x.DType == y.DType && slices.Equal(x.Shape, y.Shape)
	})
}

// sampleBytes is the bytes of one sample of all of specs.
func sampleBytes(specs []ArraySpec) int {
	n := 0
	for _, s := range specs {
		n += s.Values() * s.elementBytes()
	}
	return n
}

// Values holds one array's values for a run of samples, in the slice its spec's dtype
// names: F32 for <f4, F64 for <f8, I32 for <i4.
type Values struct {
	F32 []float32
	F64 []float64
	I32 []int32
}

// newValues makes room for samples samples of spec.
func newValues(spec ArraySpec, samples int) Values {
	n := samples * spec.Values()
	switch spec.DType {
	case "<f4":
		return Values{F32: make([]float32, n)}
	case "<f8":
		return Values{F64: make([]float64, n)}
	}
	return Values{I32: make([]int32, n)}
}

// first is the leading samples samples of v (one sample being per values), within v's
// capacity.
func (v Values) first(per, samples int) Values {
	n := per * samples
	switch {
	case v.F32 != nil:
		return Values{F32: v.F32[:n]}
	case v.F64 != nil:
		return Values{F64: v.F64[:n]}
	}
	return Values{I32: v.I32[:n]}
}

// full is v at its whole capacity again.
func (v Values) full() Values {
	return Values{F32: v.F32[:cap(v.F32)], F64: v.F64[:cap(v.F64)], I32: v.I32[:cap(v.I32)]}
}

// write saves v, samples samples of spec, as an .npy at path, atomically.
func (v Values) write(path string, spec ArraySpec, samples int) error {
	shape := append([]int{samples}, spec.Shape...)
	switch spec.DType {
	case "<f4":
		return npy.WriteStream(path, shape, func(emit func([]float32) error) error { return emit(v.F32) })
	case "<f8":
		return npy.WriteStream(path, shape, func(emit func([]float64) error) error { return emit(v.F64) })
	}
	return npy.WriteStream(path, shape, func(emit func([]int32) error) error { return emit(v.I32) })
}

// setFloat stores data, which holds exactly v's values, in v's type: a float32 result held
// as float64 converts back exactly.
func (v Values) setFloat(data []float64) error {
	n := max(len(v.F32), len(v.F64))
	if len(data) != n || v.I32 != nil {
		return fmt.Errorf("batch: %d result values for %d float outputs", len(data), n)
	}
	if v.F64 != nil {
		copy(v.F64, data)
		return nil
	}
	for i, x := range data {
		v.F32[i] = float32(x)
	}
	return nil
}

// resultDType is the dtype of float outputs: float32 when every input was, as the
// single-process commands write them.
func resultDType(allFloat32 bool) string {
	if allFloat32 {
		return "<f4"
	}
	return "<f8"
}
