package fno_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fluxcore/fluxcore/engine/fno"
	"github.com/fluxcore/fluxcore/npy"
)

// ResolveRange reads the same faces as Resolve followed by Boundary.Samples, for per-sample
// and flat face files and for uniform fluxes, while reading only the range.
func TestResolveRangeMatchesResolve(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	m, err := fno.Load(ctx, filepath.Join("testdata/golden/fno2d/model.safetensors"), fno.Overrides{}, fno.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	grid, samples := []int{24, 24}, 7
	values := func(name string, shape ...int) string {
		n := 1
		for _, d := range shape {
			n *= d
		}
		data := make([]float32, n)
		for i := range data {
			data[i] = float32(i) + float32(len(name))/10
		}
		path := filepath.Join(dir, name)
		if err := npy.Write(path, &npy.Array{Shape: shape, Data: data}); err != nil {
			t.Fatal(err)
		}
		return path
	}
	sources := []fno.BoundarySource{
		{Kind: fno.Dirichlet, OutputOnly: true, Left: values("l.npy", samples, 24), Right: values("r.npy", samples*24)},
		{Kind: fno.Neumann, OutputOnly: true, FluxLeft: "0.25", FluxRight: values("f.npy", samples, 24, 1)},
		{Kind: fno.Periodic},
	}
	for _, src := range sources {
		whole, err := src.Resolve(ctx, m, samples, grid)
		if err != nil {
			t.Fatal(err)
		}
		for lo := 0; lo <= samples; lo++ {
			for hi := lo; hi <= samples; hi++ {
				got, err := src.ResolveRange(ctx, m, samples, grid, lo, hi)
				if err != nil {
					t.Fatal(err)
				}
				want := whole.Samples(grid, lo, hi)
				if got.Kind != want.Kind || !slices.Equal(got.Left, want.Left) || !slices.Equal(got.Right, want.Right) {
					t.Fatalf("%s faces of samples [%d, %d): %v %v, want %v %v", src.Kind, lo, hi, got.Left, got.Right, want.Left, want.Right)
				}
			}
		}
	}
	bad := fno.BoundarySource{Kind: fno.Dirichlet, Left: values("short.npy", samples-1, 24), Right: values("r2.npy", samples, 24)}
	if _, err := bad.ResolveRange(ctx, m, samples, grid, 0, 1); err == nil || !strings.Contains(err.Error(), "want 24 per sample × 7 samples") {
		t.Errorf("a face file one sample short: %v", err)
	}
}
