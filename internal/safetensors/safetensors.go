// Package safetensors reads the safetensors format: an 8-byte little-endian header length N,
// N bytes of JSON mapping tensor names to {dtype, shape, data_offsets}, plus an optional
// "__metadata__" map of strings, then the raw little-endian tensor bytes. Offsets are relative
// to the end of the header. Every offset, shape and dtype is checked before any data is read,
// so a malformed file is an error that names the tensor and the problem, never a panic.
package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/fluxcore/fluxcore/engine/limits"
)

// Tensor is one named tensor of a file.
type Tensor struct {
	Name  string
	DType string // "F32", "F64", "C64", "F16", "BF16", "I64", ...
	Shape []int
	data  []byte
}

// File is a parsed safetensors file, held in memory.
type File struct {
	Metadata map[string]string
	tensors  map[string]*Tensor
}

var dtypeSizes = map[string]int{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1,
	"I16": 2, "U16": 2, "F16": 2, "BF16": 2,
	"I32": 4, "U32": 4, "F32": 4,
	"I64": 8, "U64": 8, "F64": 8, "C64": 8,
}

type entry struct {
	DType       string  `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// Parse validates raw file bytes; the tensors alias raw.
func Parse(raw []byte) (*File, error) {
	if len(raw) < 8 {
		return nil, fmt.Errorf("file is %d bytes, shorter than the 8-byte header length", len(raw))
	}
	n := binary.LittleEndian.Uint64(raw[:8])
	if n > limits.MaxSafetensorsHeaderBytes || n > uint64(len(raw)-8) {
		return nil, fmt.Errorf("header length %d exceeds the file (%d bytes after the length) or the %d-byte limit", n, len(raw)-8, limits.MaxSafetensorsHeaderBytes)
	}
	header, data := raw[8:8+n], raw[8+n:]
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(header, &fields); err != nil {
		return nil, fmt.Errorf("header is not a JSON object: %w", err)
	}
	f := &File{tensors: map[string]*Tensor{}}
	type span struct {
		lo, hi int64
		name   string
	}
	var spans []span
	for name, msg := range fields {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &f.Metadata); err != nil {
				return nil, fmt.Errorf("__metadata__ must map strings to strings: %w", err)
			}
			continue
		}
		var e entry
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		size, ok := dtypeSizes[e.DType]
		if !ok {
			return nil, fmt.Errorf("tensor %q: unknown dtype %q", name, e.DType)
		}
		if len(e.DataOffsets) != 2 {
			return nil, fmt.Errorf("tensor %q: data_offsets has %d values, want 2", name, len(e.DataOffsets))
		}
		lo, hi := e.DataOffsets[0], e.DataOffsets[1]
		if lo < 0 || hi < lo || hi > int64(len(data)) {
			return nil, fmt.Errorf("tensor %q: data_offsets [%d, %d] outside the %d data bytes", name, lo, hi, len(data))
		}
		if len(e.Shape) > limits.MaxRank {
			return nil, fmt.Errorf("tensor %q: rank %d exceeds limit %d", name, len(e.Shape), limits.MaxRank)
		}
		shape := make([]int, len(e.Shape))
		for i, d := range e.Shape {
			if d < 0 || d > math.MaxInt32 {
				return nil, fmt.Errorf("tensor %q: shape %v has a negative or overflowing extent", name, e.Shape)
			}
			shape[i] = int(d)
		}
		n, err := limits.Product(fmt.Sprintf("tensor %q: shape", name), limits.MaxArrayElements, shape...)
		if err != nil {
			return nil, err
		}
		if elems := int64(n); elems*int64(size) != hi-lo {
			return nil, fmt.Errorf("tensor %q: shape %v of %s needs %d bytes, data_offsets give %d", name, e.Shape, e.DType, elems*int64(size), hi-lo)
		}
		f.tensors[name] = &Tensor{Name: name, DType: e.DType, Shape: shape, data: data[lo:hi]}
		spans = append(spans, span{lo, hi, name})
	}
	// Overlapping tensors would mean one write changes another; the format forbids it.
	sort.Slice(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
	for i := 1; i < len(spans); i++ {
		if spans[i].lo < spans[i-1].hi {
			return nil, fmt.Errorf("tensors %q and %q overlap in the data section", spans[i-1].name, spans[i].name)
		}
	}
	return f, nil
}

// Names lists the tensor names, sorted.
func (f *File) Names() []string {
	names := make([]string, 0, len(f.tensors))
	for n := range f.tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Tensor returns the named tensor, or nil.
func (f *File) Tensor(name string) *Tensor { return f.tensors[name] }

// Len is the number of elements.
func (t *Tensor) Len() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Float32 decodes an F32, F64 or F16/BF16 tensor into float32 values, rejecting NaN and Inf.
func (t *Tensor) Float32() ([]float32, error) {
	out := make([]float32, t.Len())
	for i := range out {
		var v float32
		switch t.DType {
		case "F32":
			v = math.Float32frombits(binary.LittleEndian.Uint32(t.data[4*i:]))
		case "F64":
			v = float32(math.Float64frombits(binary.LittleEndian.Uint64(t.data[8*i:])))
		case "BF16":
			v = math.Float32frombits(uint32(binary.LittleEndian.Uint16(t.data[2*i:])) << 16)
		case "F16":
			v = halfToFloat(binary.LittleEndian.Uint16(t.data[2*i:]))
		default:
			return nil, fmt.Errorf("tensor %q: dtype %s, want a floating-point type", t.Name, t.DType)
		}
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("tensor %q: element %d is %v", t.Name, i, v)
		}
		out[i] = v
	}
	return out, nil
}

// Complex64 decodes a complex tensor: C64, or a real tensor whose last dimension is 2 (the
// layout of torch.view_as_real). The shape returned drops that trailing 2.
func (t *Tensor) Complex64() ([]complex64, []int, error) {
	if t.DType == "C64" {
		out := make([]complex64, t.Len())
		for i := range out {
			re := math.Float32frombits(binary.LittleEndian.Uint32(t.data[8*i:]))
			im := math.Float32frombits(binary.LittleEndian.Uint32(t.data[8*i+4:]))
			if bad(re) || bad(im) {
				return nil, nil, fmt.Errorf("tensor %q: element %d is %v", t.Name, i, complex(re, im))
			}
			out[i] = complex(re, im)
		}
		return out, append([]int(nil), t.Shape...), nil
	}
	if len(t.Shape) == 0 || t.Shape[len(t.Shape)-1] != 2 {
		return nil, nil, fmt.Errorf("tensor %q: shape %v of %s is not complex: want dtype C64 or a trailing dimension of 2", t.Name, t.Shape, t.DType)
	}
	pairs, err := t.Float32()
	if err != nil {
		return nil, nil, err
	}
	out := make([]complex64, len(pairs)/2)
	for i := range out {
		out[i] = complex(pairs[2*i], pairs[2*i+1])
	}
	return out, append([]int(nil), t.Shape[:len(t.Shape)-1]...), nil
}

func bad(v float32) bool { return math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) }

func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: frac·2⁻²⁴
		v := float32(frac) / (1 << 24)
		if sign != 0 {
			v = -v
		}
		return v
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	}
	return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
}

// Encode writes float32 tensors (F32, little-endian) and metadata in the safetensors layout:
// the tensors in name order, packed, and the header padded with spaces to a multiple of 8
// bytes so that the data section starts aligned, as the reference writer does. shapes gives
// each tensor's shape; its element count must equal the tensor's length.
func Encode(tensors map[string][]float32, shapes map[string][]int, metadata map[string]string) ([]byte, error) {
	names := make([]string, 0, len(tensors))
	for name := range tensors {
		names = append(names, name)
	}
	sort.Strings(names)
	header := map[string]any{}
	if len(metadata) > 0 {
		header["__metadata__"] = metadata
	}
	var data []byte
	for _, name := range names {
		values, shape := tensors[name], shapes[name]
		elems := 1
		for _, d := range shape {
			elems *= d
		}
		if elems != len(values) {
			return nil, fmt.Errorf("safetensors: tensor %q: shape %v holds %d elements, the tensor has %d", name, shape, elems, len(values))
		}
		lo := len(data)
		for _, v := range values {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
		}
		header[name] = map[string]any{"dtype": "F32", "shape": shape, "data_offsets": []int{lo, len(data)}}
	}
	js, err := json.Marshal(header)
	if err != nil {
		return nil, fmt.Errorf("safetensors: header: %w", err)
	}
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
	return append(append(out, js...), data...), nil
}
