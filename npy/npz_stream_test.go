package npy

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// ReadRows64 returns every range of a float32 or float64 file exactly as Read64 holds it.
func TestFileReadRows64MatchesRead64(t *testing.T) { bothPaths(t, testFileReadRows64MatchesRead64) }

func testFileReadRows64MatchesRead64(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	data := make([]float64, 6*4)
	for i := range data {
		data[i] = rng.NormFloat64() * 1e10
	}
	for _, f32 := range []bool{true, false} {
		path := filepath.Join(t.TempDir(), "a.npy")
		if err := Write64(path, &Array64{Shape: []int{6, 4}, Data: data, Float32: f32}); err != nil {
			t.Fatal(err)
		}
		whole, err := Read64(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		for lo := 0; lo <= 6; lo++ {
			for hi := lo; hi <= 6; hi++ {
				got := make([]float64, (hi-lo)*4)
				if err := f.ReadRows64(ctx, got, lo, hi); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, whole.Data[lo*4:hi*4]) {
					t.Fatalf("float32 %v: rows [%d, %d) = %v, want %v", f32, lo, hi, got, whole.Data[lo*4:hi*4])
				}
			}
		}
		f.Close()
	}
}

// WriteStream of float64 and int32 writes the bytes that the whole-array encoders do.
func TestWriteStreamTypes(t *testing.T) { bothPaths(t, testWriteStreamTypes) }

func testWriteStreamTypes(t *testing.T) {
	dir := t.TempDir()
	f64 := []float64{1.5, -2.25, 3e300, 0}
	if err := WriteStream(filepath.Join(dir, "f8.npy"), []int{2, 2}, func(emit func([]float64) error) error {
		return emit(f64)
	}); err != nil {
		t.Fatal(err)
	}
	i32 := []int32{0, -1, 2, 1 << 30}
	if err := WriteStream(filepath.Join(dir, "i4.npy"), []int{4}, func(emit func([]int32) error) error {
		if err := emit(i32[:1]); err != nil {
			return err
		}
		return emit(i32[1:])
	}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{
		"f8.npy": Encode64(&Array64{Shape: []int{2, 2}, Data: f64}),
		"i4.npy": EncodeInt32([]int{4}, i32),
	} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %v\n got %q\nwant %q", name, err, got, want)
		}
	}
}

// Concat joins files along the first axis into what one encoder call writes for the whole,
// and refuses files that disagree.
func TestConcat(t *testing.T) {
	dir := t.TempDir()
	whole := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	var paths []string
	for i, cut := range [][2]int{{0, 4}, {4, 4}, {4, 10}} {
		p := filepath.Join(dir, strings.Repeat("p", i+1)+".npy")
		if err := Write64(p, &Array64{Shape: []int{(cut[1] - cut[0]) / 2, 2}, Data: whole[cut[0]:cut[1]]}); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	var buf bytes.Buffer
	if err := Concat(context.Background(), &buf, paths); err != nil {
		t.Fatal(err)
	}
	if want := Encode64(&Array64{Shape: []int{5, 2}, Data: whole}); !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("concat:\n got %q\nwant %q", buf.Bytes(), want)
	}
	odd := filepath.Join(dir, "odd.npy")
	if err := Write64(odd, &Array64{Shape: []int{1, 2}, Data: []float64{1, 2}, Float32: true}); err != nil {
		t.Fatal(err)
	}
	if err := Concat(context.Background(), &buf, append(paths, odd)); err == nil || !strings.Contains(err.Error(), "<f4 rows of [2]") {
		t.Errorf("mixed dtypes: %v", err)
	}
}

// OpenNPZ reads NumPy's np.savez members by rows, and our own WriteNPZFunc's, and refuses
// a compressed member by name.
func TestOpenNPZ(t *testing.T) {
	ctx := context.Background()
	files, err := OpenNPZ("testdata/savez.npz")
	if err != nil {
		t.Fatal(err)
	}
	a := make([]float64, 3)
	if err := files["a"].ReadRows64(ctx, a, 1, 2); err != nil || !slices.Equal(a, []float64{1.5, 2, 2.5}) {
		t.Errorf("a[1] = %v, %v; want [1.5 2 2.5]", a, err)
	}
	b := make([]float64, 2)
	if err := files["b"].ReadRows64(ctx, b, 2, 4); err != nil || !slices.Equal(b, []float64{1, 2}) {
		t.Errorf("b[2:4] = %v, %v; want [1 2]", b, err)
	}
	for _, f := range files {
		f.Close()
	}

	path := filepath.Join(t.TempDir(), "ours.npz")
	members := map[string][]byte{
		"x": Encode64(&Array64{Shape: []int{3, 1}, Data: []float64{7, 8, 9}}),
		"s": EncodeInt32([]int{3}, []int32{0, 1, 2}),
	}
	if err := WriteNPZ(path, members); err != nil {
		t.Fatal(err)
	}
	files, err = OpenNPZ(path)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float64, 2)
	if err := files["x"].ReadRows64(ctx, x, 1, 3); err != nil || !slices.Equal(x, []float64{8, 9}) {
		t.Errorf("x[1:3] = %v, %v", x, err)
	}
	if files["s"].DType() != "<i4" || files["s"].ReadRows64(ctx, x, 1, 3) == nil {
		t.Errorf("int32 member: dtype %s, read as floats without an error", files["s"].DType())
	}
	for _, f := range files {
		f.Close()
	}
	if _, err := OpenNPZ("testdata/savez_compressed.npz"); err == nil || !strings.Contains(err.Error(), `array "a": compressed`) {
		t.Errorf("compressed archive: %v", err)
	}
}
