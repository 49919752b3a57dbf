package npy

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/fluxcore/fluxcore/engine/limits"
)

// fuzzBudget bounds what one fuzzed input may make the readers allocate.
const fuzzBudget = 4 << 20

func addFiles(f *testing.F, patterns ...string) {
	for _, p := range patterns {
		paths, _ := filepath.Glob(p)
		for _, path := range paths {
			if raw, err := os.ReadFile(path); err == nil && len(raw) < 1<<20 {
				f.Add(raw)
			}
		}
	}
}

// FuzzParse64: no input panics; an accepted array has as many values as its shape says.
func FuzzParse64(f *testing.F) {
	addFiles(f, "testdata/*.npy", "../testdata/hostile/*.npy")
	f.Fuzz(func(t *testing.T, raw []byte) {
		a, err := Parse64(raw)
		if err != nil {
			return
		}
		n := 1
		for _, d := range a.Shape {
			n *= d
		}
		if n != len(a.Data) {
			t.Fatalf("shape %v, %d values", a.Shape, len(a.Data))
		}
	})
}

// FuzzReadNPZ: no archive panics or makes the reader allocate much beyond the budget it is
// given, whatever its members claim or inflate to.
func FuzzReadNPZ(f *testing.F) {
	addFiles(f, "testdata/*.npz", "../testdata/hostile/kalman_[n]*.npz")
	path := filepath.Join(f.TempDir(), "x.npz")
	f.Fuzz(func(t *testing.T, raw []byte) {
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		budget, _ := limits.NewBudget(fuzzBudget)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		ReadNPZ(limits.WithBudget(context.Background(), budget), path)
		runtime.ReadMemStats(&after)
		// The budget covers the arrays; the zip reader's own buffers come on top.
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 3*fuzzBudget+uint64(len(raw))*4 {
			t.Fatalf("reading a %d-byte archive allocated %d bytes", len(raw), grew)
		}
	})
}

// FuzzOpenNPZ: no archive panics the row reader, and every member it accepts can be read
// whole, since it lies within the file.
func FuzzOpenNPZ(f *testing.F) {
	addFiles(f, "testdata/*.npz", "../testdata/hostile/kalman_[n]*.npz")
	path := filepath.Join(f.TempDir(), "x.npz")
	f.Fuzz(func(t *testing.T, raw []byte) {
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		files, err := OpenNPZ(path)
		if err != nil {
			return
		}
		for name, m := range files {
			n := m.Rows() * m.RowElements()
			if m.DType() != "<i4" && n <= 1<<16 {
				if err := m.ReadRows64(context.Background(), make([]float64, n), 0, m.Rows()); err != nil {
					t.Errorf("member %q accepted as %s %v, then: %v", name, m.DType(), m.Shape(), err)
				}
			}
			m.Close()
		}
	})
}
