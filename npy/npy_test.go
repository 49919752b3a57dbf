package npy

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/fluxcore/fluxcore/engine/limits"
)

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.npy")
	a := &Array{Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}}
	if err := Write(path, a); err != nil {
		t.Fatal(err)
	}
	b, err := Read(context.Background(), path)
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

// Read64 and Write64 keep float64 values exact, keep the stored type, and let NaN through
// for the caller to name.
func TestRoundTrip64(t *testing.T) {
	dir := t.TempDir()
	for _, f32 := range []bool{false, true} {
		path := filepath.Join(dir, "a.npy")
		a := &Array64{Shape: []int{3}, Data: []float64{0.1, -2, math.NaN()}, Float32: f32}
		if err := Write64(path, a); err != nil {
			t.Fatal(err)
		}
		b, err := Read64(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		want0 := 0.1
		if f32 {
			want0 = float64(float32(0.1))
		}
		if b.Float32 != f32 || len(b.Shape) != 1 || b.Shape[0] != 3 || b.Data[0] != want0 || b.Data[1] != -2 || !math.IsNaN(b.Data[2]) {
			t.Errorf("float32 %v: round trip gave %+v", f32, b)
		}
		if _, err := Read(context.Background(), path); err == nil || !strings.Contains(err.Error(), "element 2 (flat index) is NaN") {
			t.Errorf("Read of a NaN: %v", err)
		}
	}
}

// A file NumPy deflated (tools/gen_npz_golden.py) reads back with its dtypes and values, and
// WriteNPZ's members read back through ReadNPZ.
func TestNPZ(t *testing.T) {
	got, err := ReadNPZ(context.Background(), "testdata/savez_compressed.npz")
	if err != nil {
		t.Fatal(err)
	}
	a, b := got["a"], got["b"]
	if a == nil || !a.Float32 || fmt.Sprint(a.Shape) != "[2 3]" || b == nil || b.Float32 || fmt.Sprint(b.Shape) != "[4]" {
		t.Fatalf("arrays %v", got)
	}
	for i, v := range a.Data {
		if v != 0.5*float64(i) {
			t.Errorf("a[%d] = %v, want %v", i, v, 0.5*float64(i))
		}
	}
	for i, v := range b.Data {
		if v != -1+float64(i) {
			t.Errorf("b[%d] = %v, want %v", i, v, -1+float64(i))
		}
	}
	path := filepath.Join(t.TempDir(), "out.npz")
	in := &Array64{Shape: []int{3}, Data: []float64{1, 2.5, -3}}
	if err := WriteNPZ(path, map[string][]byte{"v": Encode64(in)}); err != nil {
		t.Fatal(err)
	}
	back, err := ReadNPZ(context.Background(), path)
	if err != nil || back["v"] == nil || fmt.Sprint(back["v"].Data) != fmt.Sprint(in.Data) {
		t.Fatalf("round trip: %v, %v", back, err)
	}
	if err := os.WriteFile(path, []byte("PK not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadNPZ(context.Background(), path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("a broken archive: err %v, want one naming the file", err)
	}
}

// writeZip writes members, deflated, as a hostile tool would: their bytes as given.
func writeZip(t *testing.T, members map[string][]byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.npz")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range members {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		w.Write(data)
	}
	zw.Close()
	os.WriteFile(path, buf.Bytes(), 0o644)
	return path
}

// TestNPZDecompressionIsBoundedByTheHeader: a member whose data inflates past what its
// .npy header declares, or whose header declares more than the budget, is refused before
// the excess is read or allocated.
func TestNPZDecompressionIsBoundedByTheHeader(t *testing.T) {
	small := Encode64(&Array64{Shape: []int{2}, Data: []float64{1, 2}})
	bomb := append(bytes.Clone(small), make([]byte, 64<<20)...) // 64 MiB of zeros past the data
	var huge bytes.Buffer
	huge.Write(encodeHeader("<f8", []int{1 << 18}, 0)) // 2 MiB, twice the budget
	huge.Write(make([]byte, 2<<20))
	budget, _ := limits.NewBudget(1 << 20)
	ctx := limits.WithBudget(context.Background(), budget)
	for name, c := range map[string]struct {
		member []byte
		want   string
	}{
		"bomb":     {bomb, "the archive says 67109008 bytes, the .npy header 144"},
		"declared": {huge.Bytes(), "exceeds the memory budget"},
		"header":   {[]byte("\x93NUMPY\x02\x00\xff\xff\xff\x7f"), "header length 2147483647 exceeds limit 1048576"},
	} {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		before := m.TotalAlloc
		_, err := ReadNPZ(ctx, writeZip(t, map[string][]byte{"x.npy": c.member}))
		runtime.ReadMemStats(&m)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", name, err, c.want)
		}
		if grew := m.TotalAlloc - before; grew > 8<<20 {
			t.Errorf("%s: reading allocated %d bytes", name, grew)
		}
	}
}
