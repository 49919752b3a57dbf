package npy

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bothPaths runs test with the <f4 fast path (where the machine is little-endian) and with
// the converting path that every other case takes.
func bothPaths(t *testing.T, test func(t *testing.T)) {
	native := littleEndian
	t.Cleanup(func() { littleEndian = native })
	for _, fast := range []bool{false, true} {
		if fast && !native {
			continue
		}
		littleEndian = fast
		t.Run(map[bool]string{false: "converting", true: "native"}[fast], test)
	}
}

// Rows read through File equal the same rows of the array read whole, for float32 and
// float64 files, at every range.
func TestFileReadRowsMatchesRead(t *testing.T) { bothPaths(t, testFileReadRowsMatchesRead) }

func testFileReadRowsMatchesRead(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	shape := []int{7, 3, 5}
	data := make([]float64, 7*3*5)
	for i := range data {
		data[i] = rng.NormFloat64()
	}
	for _, f32 := range []bool{true, false} {
		path := filepath.Join(dir, "a.npy")
		if err := Write64(path, &Array64{Shape: shape, Data: data, Float32: f32}); err != nil {
			t.Fatal(err)
		}
		whole, err := Read(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		for lo := 0; lo <= 7; lo++ {
			for hi := lo; hi <= 7; hi++ {
				got := make([]float32, (hi-lo)*15)
				if err := f.ReadRows(ctx, got, lo, hi); err != nil {
					t.Fatal(err)
				}
				for i, v := range got {
					if v != whole.Data[lo*15+i] {
						t.Fatalf("float32 %v: rows [%d, %d) value %d = %v, want %v", f32, lo, hi, i, v, whole.Data[lo*15+i])
					}
				}
			}
		}
		if err := f.ReadRows(ctx, make([]float32, 15), 6, 8); err == nil {
			t.Error("rows past the end: no error")
		}
		f.Close()
	}
}

func TestFileRefusesBadFiles(t *testing.T) { bothPaths(t, testFileRefusesBadFiles) }

func testFileRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.npy")
	if err := Write(good, &Array{Shape: []int{4, 2}, Data: []float32{1, 2, 3, 4, 5, 6, 7, math.Float32frombits(0x7fc00000)}}); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(good)
	short := filepath.Join(dir, "short.npy")
	os.WriteFile(short, raw[:len(raw)-4], 0o644)
	long := filepath.Join(dir, "long.npy")
	os.WriteFile(long, append(raw, 0, 0, 0, 0), 0o644)
	for _, path := range []string{short, long} {
		if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "its header declares") {
			t.Errorf("%s: %v, want a size mismatch", filepath.Base(path), err)
		}
	}
	f, err := Open(good)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.ReadRows(context.Background(), make([]float32, 2), 3, 4); err == nil || !strings.Contains(err.Error(), "row 3, element 1 is NaN") {
		t.Errorf("NaN row: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.ReadRows(ctx, make([]float32, 2), 0, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled read: %v", err)
	}
}

func TestWriteStream(t *testing.T) { bothPaths(t, testWriteStream) }

func testWriteStream(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.npy")
	pieces := [][]float32{{1, 2, 3}, {4, 5, 6, 7, 8, 9}}
	err := WriteStream(path, []int{3, 3}, func(emit func([]float32) error) error {
		for _, p := range pieces {
			if err := emit(p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := Read(ctx, path)
	if err != nil || a.Shape[0] != 3 || a.Shape[1] != 3 || a.Data[8] != 9 {
		t.Fatalf("stream round trip: %v %+v", err, a)
	}
	// Too few or too many values fail and leave the old file as it was.
	for _, n := range []int{1, 2, 3} {
		err := WriteStream(path, []int{2, 3}, func(emit func([]float32) error) error {
			for range n {
				if err := emit(pieces[0]); err != nil {
					return err
				}
			}
			return nil
		})
		if (n == 2) != (err == nil) {
			t.Errorf("%d pieces of 3 for shape [2 3]: %v", n, err)
		}
		if n == 2 {
			continue
		}
		if b, err := Read(ctx, path); err != nil || len(b.Data) != 6 && len(b.Data) != 9 {
			t.Errorf("after a failed write the file is %v, %v", b, err)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}
