// Package npy reads and writes NumPy .npy arrays (format versions 1.0–3.0) of float32 or
// float64, little-endian, in C order, which is what the reference models' inputs and outputs
// are. Anything else (Fortran order, big-endian, object arrays) is an error that says so.
package npy

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/fluxcore/fluxcore/engine/limits"
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

// Read loads a .npy file as float32 (float64 data is rounded), rejecting NaN and Inf. The
// file and the array are charged to ctx's memory budget (limits.From).
func Read(ctx context.Context, path string) (*Array, error) {
	raw, err := limits.ReadFile(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	a, err := parseCharged(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("npy: %s: %w", path, err)
	}
	return a, nil
}

func parseCharged(ctx context.Context, raw []byte) (*Array, error) {
	shape, size, body, err := parseHeader(raw)
	if err != nil {
		return nil, err
	}
	if err := limits.From(ctx).Charge("array", len(body)/size, 4); err != nil {
		return nil, err
	}
	return decode(shape, size, body)
}

// Parse decodes .npy bytes.
func Parse(raw []byte) (*Array, error) {
	shape, size, body, err := parseHeader(raw)
	if err != nil {
		return nil, err
	}
	return decode(shape, size, body)
}

func decode(shape []int, size int, body []byte) (*Array, error) {
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

// Read64 loads a float32 or float64 .npy without rounding, charging the file and the array
// to ctx's memory budget. Unlike Read it does not reject NaN or Inf: its callers check values
// themselves and name the index in their own terms.
func Read64(ctx context.Context, path string) (*Array64, error) {
	raw, err := limits.ReadFile(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	shape, size, body, err := parseHeader(raw)
	if err == nil {
		err = limits.From(ctx).Charge("array", len(body)/size, 8)
	}
	if err != nil {
		return nil, fmt.Errorf("npy: %s: %w", path, err)
	}
	return decode64(shape, size, body), nil
}

// Parse64 decodes float32 or float64 .npy bytes without rounding.
func Parse64(raw []byte) (*Array64, error) {
	shape, size, body, err := parseHeader(raw)
	if err != nil {
		return nil, err
	}
	return decode64(shape, size, body), nil
}

func decode64(shape []int, size int, body []byte) *Array64 {
	a := &Array64{Shape: shape, Data: make([]float64, len(body)/size), Float32: size == 4}
	for i := range a.Data {
		a.Data[i] = element(body, size, i)
	}
	return a
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

// header is what an .npy preamble declares: the shape, the element size, and where the data
// starts and how many bytes it has.
type header struct {
	shape     []int
	size      int
	descr     string
	dataStart int
	dataBytes int
}

// readHeader reads the magic, version and header dictionary from r and checks the dtype,
// order and shape, whose element count and bytes it bounds by limits.MaxArrayElements. It
// reads no data.
func readHeader(r io.Reader) (header, error) {
	return readHeaderBounded(r, limits.MaxArrayElements)
}

// readHeaderBounded is readHeader with maxElements in place of limits.MaxArrayElements.
func readHeaderBounded(r io.Reader, maxElements int) (header, error) {
	var pre [12]byte
	if _, err := io.ReadFull(r, pre[:10]); err != nil || !bytes.Equal(pre[:6], magic) {
		return header{}, fmt.Errorf("not a .npy file (no \\x93NUMPY magic)")
	}
	var hlen, start int
	switch major := pre[6]; major {
	case 1:
		hlen, start = int(binary.LittleEndian.Uint16(pre[8:10])), 10
	case 2, 3:
		if _, err := io.ReadFull(r, pre[10:12]); err != nil {
			return header{}, fmt.Errorf("truncated header")
		}
		hlen, start = int(binary.LittleEndian.Uint32(pre[8:12])), 12
	default:
		return header{}, fmt.Errorf("format version %d.%d is not supported", major, pre[7])
	}
	if err := limits.Check("header length", hlen, limits.MaxNPYHeaderBytes); err != nil {
		return header{}, err
	}
	text := make([]byte, hlen)
	if _, err := io.ReadFull(r, text); err != nil {
		return header{}, fmt.Errorf("header of %d bytes runs past the end of the file", hlen)
	}
	h, err := parseDict(string(text), maxElements)
	h.dataStart = start + hlen
	return h, err
}

// parseDict reads the header dictionary's descr, fortran_order and shape.
func parseDict(text string, maxElements int) (header, error) {
	var h header
	m := descrRE.FindStringSubmatch(text)
	if m == nil {
		return h, fmt.Errorf("header %q has no descr", text)
	}
	h.descr = m[1]
	switch h.descr {
	case "<f4":
		h.size = 4
	case "<f8":
		h.size = 8
	case "<i4": // only streamed files (File) carry it: batch kalman's status chunks
		h.size = 4
	default:
		return h, unsupportedDType(h.descr)
	}
	if f := fortranRE.FindStringSubmatch(text); f == nil || f[1] != "False" {
		return h, fmt.Errorf("array is in Fortran order or the header does not say; save it in C order")
	}
	sm := shapeRE.FindStringSubmatch(text)
	if sm == nil {
		return h, fmt.Errorf("header %q has no shape", text)
	}
	for _, part := range strings.Split(sm[1], ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		d, err := strconv.Atoi(part)
		if err != nil || d < 0 {
			return h, fmt.Errorf("shape (%s) has a bad extent %q", sm[1], part)
		}
		h.shape = append(h.shape, d)
	}
	if err := limits.Check("rank", len(h.shape), limits.MaxRank); err != nil {
		return h, err
	}
	n, err := limits.Product("shape", maxElements, h.shape...)
	if err != nil {
		return h, err
	}
	h.dataBytes = n * h.size
	return h, nil
}

func unsupportedDType(descr string) error {
	return fmt.Errorf("dtype %q is not supported, want little-endian float32 (<f4) or float64 (<f8)", descr)
}

// checkFloat refuses the one dtype that a header may declare and element cannot decode.
func (h header) checkFloat() error {
	if h.descr == "<i4" {
		return unsupportedDType(h.descr)
	}
	return nil
}

// parseHeader checks raw's preamble and returns the shape, the element size and the data
// bytes, whose length it has checked against the shape.
func parseHeader(raw []byte) (shape []int, size int, body []byte, err error) {
	h, err := readHeader(bytes.NewReader(raw))
	if err == nil {
		err = h.checkFloat()
	}
	if err != nil {
		return nil, 0, nil, err
	}
	body = raw[h.dataStart:]
	if len(body) != h.dataBytes {
		return nil, 0, nil, fmt.Errorf("shape %v of %s needs %d data bytes, file has %d", h.shape, h.descr, h.dataBytes, len(body))
	}
	return h.shape, h.size, body, nil
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
