package safetensors

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
)

func file(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

func TestDecode(t *testing.T) {
	// view_as_real F32 [2, 2] = (1+2i, 3+4i); C64 [1] = 5−6i; F16 [3] = 1, −2, 2⁻²⁴
	// (the smallest subnormal); BF16 [1] = 1; F64 [1] = 0.5.
	f32 := []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40}
	c64 := []byte{0, 0, 0xa0, 0x40, 0, 0, 0xc0, 0xc0}
	f16 := []byte{0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00}
	bf16 := []byte{0x80, 0x3f}
	f64 := []byte{0, 0, 0, 0, 0, 0, 0xe0, 0x3f}
	data := append(append(append(append(append([]byte(nil), f32...), c64...), f16...), bf16...), f64...)
	header := `{"__metadata__":{"arch":"fno1d"},` +
		`"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},` +
		`"c":{"dtype":"C64","shape":[1],"data_offsets":[16,24]},` +
		`"h":{"dtype":"F16","shape":[3],"data_offsets":[24,30]},` +
		`"b":{"dtype":"BF16","shape":[1],"data_offsets":[30,32]},` +
		`"d":{"dtype":"F64","shape":[1],"data_offsets":[32,40]}}`
	f, err := Parse(file(header, data))
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["arch"] != "fno1d" {
		t.Errorf("metadata %v", f.Metadata)
	}
	if c, shape, err := f.Tensor("w").Complex64(); err != nil || len(shape) != 1 || shape[0] != 2 || c[0] != 1+2i || c[1] != 3+4i {
		t.Errorf("view_as_real: %v %v %v", c, shape, err)
	}
	if c, _, err := f.Tensor("c").Complex64(); err != nil || c[0] != 5-6i {
		t.Errorf("C64: %v %v", c, err)
	}
	if h, err := f.Tensor("h").Float32(); err != nil || h[0] != 1 || h[1] != -2 || h[2] != 1.0/(1<<24) {
		t.Errorf("F16: %v %v", h, err)
	}
	if b, err := f.Tensor("b").Float32(); err != nil || b[0] != 1 {
		t.Errorf("BF16: %v %v", b, err)
	}
	if d, err := f.Tensor("d").Float32(); err != nil || d[0] != 0.5 {
		t.Errorf("F64: %v %v", d, err)
	}
	if _, _, err := f.Tensor("d").Complex64(); err == nil || !strings.Contains(err.Error(), "is not complex") {
		t.Errorf("F64 [1] as complex: got %v", err)
	}
}

func TestMalformed(t *testing.T) {
	for _, c := range []struct {
		name string
		raw  []byte
		want string
	}{
		{"short", []byte{1, 2}, "shorter than the 8-byte header length"},
		{"header past end", file(`{}`, nil)[:9], "exceeds the file"},
		{"not json", file(`{"a":`, nil), "not a JSON object"},
		{"bad dtype", file(`{"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)), `unknown dtype "Q7"`},
		{"offsets past data", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 4)), "outside the 4 data bytes"},
		{"shape mismatch", file(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, make([]byte, 8)), "needs 12 bytes, data_offsets give 8"},
		{"negative extent", file(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}`, nil), "negative or overflowing"},
		{"overlap", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8)), "overlap"},
	} {
		_, err := Parse(c.raw)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
	nan := file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, []byte{0, 0, 0xc0, 0x7f})
	f, err := Parse(nan)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Tensor("a").Float32(); err == nil || !strings.Contains(err.Error(), "element 0 is NaN") {
		t.Errorf("NaN tensor: got %v", err)
	}
}

// Encode's output parses back to the same tensors, shapes and metadata, with the data
// section 8-byte aligned.
func TestEncodeRoundTrip(t *testing.T) {
	tensors := map[string][]float32{"b.weight": {1, -2, 3.5, 4, 5, 6}, "a": {0.25}}
	shapes := map[string][]int{"b.weight": {2, 3}, "a": {}}
	raw, err := Encode(tensors, shapes, map[string]string{"width": "3"})
	if err != nil {
		t.Fatal(err)
	}
	if n := binary.LittleEndian.Uint64(raw); n%8 != 0 {
		t.Errorf("header of %d bytes: the data section is not 8-byte aligned", n)
	}
	f, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["width"] != "3" {
		t.Errorf("metadata %v", f.Metadata)
	}
	for name, want := range tensors {
		tensor := f.Tensor(name)
		if tensor == nil {
			t.Fatalf("tensor %q missing", name)
		}
		got, err := tensor.Float32()
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) || fmt.Sprint(tensor.Shape) != fmt.Sprint(shapes[name]) {
			t.Errorf("%q: %v %v (err %v), want %v %v", name, got, tensor.Shape, err, want, shapes[name])
		}
	}
	if _, err := Encode(map[string][]float32{"x": {1, 2}}, map[string][]int{"x": {3}}, nil); err == nil {
		t.Error("a shape that disagrees with the data was accepted")
	}
}
