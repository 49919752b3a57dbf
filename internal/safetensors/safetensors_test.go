package safetensors

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

func file(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

func TestRoundTripAndComplex(t *testing.T) {
	var buf bytes.Buffer
	err := Write(&buf, map[string]string{"arch": "fno1d"}, map[string]WriteTensor{
		"w": {Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}},
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["arch"] != "fno1d" {
		t.Errorf("metadata %v", f.Metadata)
	}
	c, shape, err := f.Tensor("w").Complex64()
	if err != nil || len(shape) != 1 || shape[0] != 2 || c[0] != 1+2i || c[1] != 3+4i {
		t.Errorf("view_as_real decode: %v %v %v", c, shape, err)
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
