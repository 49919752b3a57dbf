package npy

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.npy")
	a := &Array{Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}}
	if err := Write(path, a); err != nil {
		t.Fatal(err)
	}
	b, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Shape) != 2 || b.Shape[0] != 2 || b.Shape[1] != 3 || b.Data[5] != 6 {
		t.Errorf("round trip: %+v", b)
	}
}

func TestMalformed(t *testing.T) {
	var good bytes.Buffer
	Encode(&good, &Array{Shape: []int{2}, Data: []float32{1, 2}})
	for _, c := range []struct {
		name string
		raw  []byte
		want string
	}{
		{"no magic", []byte("hello world"), "no \\x93NUMPY magic"},
		{"truncated data", good.Bytes()[:good.Len()-1], "needs 8 data bytes, file has 7"},
		{"int dtype", bytes.Replace(good.Bytes(), []byte("<f4"), []byte("<i4"), 1), `dtype "<i4" is not supported`},
		{"fortran", bytes.Replace(good.Bytes(), []byte("False"), []byte("True "), 1), "Fortran order"},
	} {
		_, err := Parse(c.raw)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}
