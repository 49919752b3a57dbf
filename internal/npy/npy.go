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
	if len(raw) < 10 || !bytes.Equal(raw[:6], magic) {
		return nil, fmt.Errorf("not a .npy file (no \\x93NUMPY magic)")
	}
	major := raw[6]
	var hlen, start int
	switch major {
	case 1:
		hlen, start = int(binary.LittleEndian.Uint16(raw[8:10])), 10
	case 2, 3:
		if len(raw) < 12 {
			return nil, fmt.Errorf("truncated header")
		}
		hlen, start = int(binary.LittleEndian.Uint32(raw[8:12])), 12
	default:
		return nil, fmt.Errorf("format version %d.%d is not supported", major, raw[7])
	}
	if start+hlen > len(raw) {
		return nil, fmt.Errorf("header of %d bytes runs past the end of the file", hlen)
	}
	header := string(raw[start : start+hlen])
	body := raw[start+hlen:]
	m := descrRE.FindStringSubmatch(header)
	if m == nil {
		return nil, fmt.Errorf("header %q has no descr", header)
	}
	var size int
	switch m[1] {
	case "<f4":
		size = 4
	case "<f8":
		size = 8
	default:
		return nil, fmt.Errorf("dtype %q is not supported, want little-endian float32 (<f4) or float64 (<f8)", m[1])
	}
	if f := fortranRE.FindStringSubmatch(header); f == nil || f[1] != "False" {
		return nil, fmt.Errorf("array is in Fortran order or the header does not say; save it in C order")
	}
	sm := shapeRE.FindStringSubmatch(header)
	if sm == nil {
		return nil, fmt.Errorf("header %q has no shape", header)
	}
	var shape []int
	n := 1
	for _, part := range strings.Split(sm[1], ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		d, err := strconv.Atoi(part)
		if err != nil || d < 0 || (d > 0 && n > math.MaxInt32/d) {
			return nil, fmt.Errorf("shape (%s) has a bad extent %q", sm[1], part)
		}
		shape = append(shape, d)
		n *= d
	}
	if len(body) != n*size {
		return nil, fmt.Errorf("shape %v of %s needs %d data bytes, file has %d", shape, m[1], n*size, len(body))
	}
	data := make([]float32, n)
	for i := range data {
		var v float64
		if size == 4 {
			v = float64(math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:])))
		} else {
			v = math.Float64frombits(binary.LittleEndian.Uint64(body[8*i:]))
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("element %d (flat index) is %v", i, v)
		}
		data[i] = float32(v)
	}
	return &Array{Shape: shape, Data: data}, nil
}

// Encode writes a as a version 1.0 float32 .npy.
func Encode(w io.Writer, a *Array) error {
	dims := make([]string, len(a.Shape))
	for i, d := range a.Shape {
		dims[i] = strconv.Itoa(d)
	}
	shape := strings.Join(dims, ", ")
	if len(a.Shape) == 1 {
		shape += ","
	}
	header := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", shape)
	// Pad with spaces and a newline so that the data starts on a 64-byte boundary.
	pad := 64 - (10+len(header)+1)%64
	if pad == 64 {
		pad = 0
	}
	header += strings.Repeat(" ", pad) + "\n"
	buf := append([]byte(nil), magic...)
	buf = append(buf, 1, 0)
	buf = binary.LittleEndian.AppendUint16(buf, uint16(len(header)))
	buf = append(buf, header...)
	for _, v := range a.Data {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
	}
	_, err := w.Write(buf)
	return err
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
