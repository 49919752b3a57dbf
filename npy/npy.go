// Package npy reads and writes NumPy .npy arrays (format versions 1.0–3.0) of float32 or
// float64, little-endian, in C order, which is what the reference models' inputs and outputs
// are. Anything else (Fortran order, big-endian, object arrays) is an error that says so.
package npy

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/fluxcore/fluxcore/internal/atomicfile"
)

var magic = []byte("\x93NUMPY")

// Array is a dense float32 array with its shape.
type Array struct {
	Shape []int
	Data  []float32
}

var (
	descrRE   = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
	fortranRE = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	shapeRE   = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
)

// Read loads a .npy file as float32 (float64 data is rounded), rejecting NaN and Inf.
func Read(path string) (*Array, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	a, err := Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("npy: %s: %w", path, err)
	}
	return a, nil
}

// Parse decodes .npy bytes.
func Parse(raw []byte) (*Array, error) {
	shape, size, body, err := parseHeader(raw)
	if err != nil {
		return nil, err
	}
	data := make([]float32, len(body)/size)
	for i := range data {
		v := element(body, size, i)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("element %d (flat index) is %v", i, v)
		}
		data[i] = float32(v)
	}
	return &Array{Shape: shape, Data: data}, nil
}

// Array64 is a dense array held as float64, with the type it is stored as on disk.
type Array64 struct {
	Shape []int
	Data  []float64
	// Float32: stored as <f4 (the values are exact float32s); otherwise <f8.
	Float32 bool
}

// Read64 loads a float32 or float64 .npy without rounding. Unlike Read it does not reject
// NaN or Inf: its callers check values themselves and name the index in their own terms.
func Read64(path string) (*Array64, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	a, err := Parse64(raw)
	if err != nil {
		return nil, fmt.Errorf("npy: %s: %w", path, err)
	}
	return a, nil
}

// Parse64 decodes float32 or float64 .npy bytes without rounding.
func Parse64(raw []byte) (*Array64, error) {
	shape, size, body, err := parseHeader(raw)
	if err != nil {
		return nil, err
	}
	a := &Array64{Shape: shape, Data: make([]float64, len(body)/size), Float32: size == 4}
	for i := range a.Data {
		a.Data[i] = element(body, size, i)
	}
	return a, nil
}

// Write64 saves a atomically, as <f4 when a.Float32 (rounding each value) and <f8 otherwise.
func Write64(path string, a *Array64) error {
	if err := atomicfile.WriteBytes(path, Encode64(a)); err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	return nil
}

// Encode64 is a as .npy bytes, <f4 when a.Float32 (rounding each value) and <f8 otherwise.
func Encode64(a *Array64) []byte {
	descr, size := "<f8", 8
	if a.Float32 {
		descr, size = "<f4", 4
	}
	buf := encodeHeader(descr, a.Shape, size*len(a.Data))
	for _, v := range a.Data {
		if a.Float32 {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(float32(v)))
		} else {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		}
	}
	return buf
}

// EncodeInt32 is an int32 array (<i4) as .npy bytes.
func EncodeInt32(shape []int, data []int32) []byte {
	buf := encodeHeader("<i4", shape, 4*len(data))
	for _, v := range data {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(v))
	}
	return buf
}

func element(body []byte, size, i int) float64 {
	if size == 4 {
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:])))
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(body[8*i:]))
}

// parseHeader checks the magic, version, dtype, order and shape, and returns the shape, the
// element size and the data bytes, whose length it has checked against the shape.
func parseHeader(raw []byte) (shape []int, size int, body []byte, err error) {
	if len(raw) < 10 || !bytes.Equal(raw[:6], magic) {
		return nil, 0, nil, fmt.Errorf("not a .npy file (no \\x93NUMPY magic)")
	}
	major := raw[6]
	var hlen, start int
	switch major {
	case 1:
		hlen, start = int(binary.LittleEndian.Uint16(raw[8:10])), 10
	case 2, 3:
		if len(raw) < 12 {
			return nil, 0, nil, fmt.Errorf("truncated header")
		}
		hlen, start = int(binary.LittleEndian.Uint32(raw[8:12])), 12
	default:
		return nil, 0, nil, fmt.Errorf("format version %d.%d is not supported", major, raw[7])
	}
	if start+hlen > len(raw) {
		return nil, 0, nil, fmt.Errorf("header of %d bytes runs past the end of the file", hlen)
	}
	header := string(raw[start : start+hlen])
	body = raw[start+hlen:]
	m := descrRE.FindStringSubmatch(header)
	if m == nil {
		return nil, 0, nil, fmt.Errorf("header %q has no descr", header)
	}
	switch m[1] {
	case "<f4":
		size = 4
	case "<f8":
		size = 8
	default:
		return nil, 0, nil, fmt.Errorf("dtype %q is not supported, want little-endian float32 (<f4) or float64 (<f8)", m[1])
	}
	if f := fortranRE.FindStringSubmatch(header); f == nil || f[1] != "False" {
		return nil, 0, nil, fmt.Errorf("array is in Fortran order or the header does not say; save it in C order")
	}
	sm := shapeRE.FindStringSubmatch(header)
	if sm == nil {
		return nil, 0, nil, fmt.Errorf("header %q has no shape", header)
	}
	n := 1
	for _, part := range strings.Split(sm[1], ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		d, err := strconv.Atoi(part)
		if err != nil || d < 0 || (d > 0 && n > math.MaxInt32/d) {
			return nil, 0, nil, fmt.Errorf("shape (%s) has a bad extent %q", sm[1], part)
		}
		shape = append(shape, d)
		n *= d
	}
	if len(body) != n*size {
		return nil, 0, nil, fmt.Errorf("shape %v of %s needs %d data bytes, file has %d", shape, m[1], n*size, len(body))
	}
	return shape, size, body, nil
}

// Encode writes a as a version 1.0 float32 .npy.
func Encode(w io.Writer, a *Array) error {
	buf := encodeHeader("<f4", a.Shape, 4*len(a.Data))
	for _, v := range a.Data {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
	}
	_, err := w.Write(buf)
	return err
}

// encodeHeader is the magic, version 1.0 and header of an array of the given dtype and
// shape, with capacity for dataBytes more.
func encodeHeader(descr string, shape []int, dataBytes int) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	tuple := strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, tuple)
	// Pad with spaces and a newline so that the data starts on a 64-byte boundary.
	pad := 64 - (10+len(header)+1)%64
	if pad == 64 {
		pad = 0
	}
	header += strings.Repeat(" ", pad) + "\n"
	buf := make([]byte, 0, 10+len(header)+dataBytes)
	buf = append(buf, magic...)
	buf = append(buf, 1, 0)
	buf = binary.LittleEndian.AppendUint16(buf, uint16(len(header)))
	return append(buf, header...)
}

// Write saves a to path atomically: a reader never sees a half-written file.
func Write(path string, a *Array) error {
	var buf bytes.Buffer
	if err := Encode(&buf, a); err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(path, buf.Bytes()); err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	return nil
}
