package fno_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/enginetest"
	"github.com/fluxcore/fluxcore/engine/fno"
	"github.com/fluxcore/fluxcore/fft"
	"github.com/fluxcore/fluxcore/internal/metrics"
	"github.com/fluxcore/fluxcore/npy"
)

// GoldenTolerance is the bound on the relative L2 error against the reference
// outputs, which PyTorch's own float32 forward meets at about 5e-7.
const GoldenTolerance = 1e-5

type goldenCase struct {
	Arch         string    `json:"arch"`
	Batch        int       `json:"batch"`
	BC           string    `json:"bc"`
	FluxLeft     float64   `json:"flux_left"`
	FluxRight    float64   `json:"flux_right"`
	StencilLeft  []float64 `json:"stencil_left"`
	StencilRight []float64 `json:"stencil_right"`
}

func loadCase(t testing.TB, dir string) (goldenCase, *fno.Model, *npy.Array, *npy.Array, *fno.Boundary) {
	t.Helper()
	var c goldenCase
	raw, err := os.ReadFile(filepath.Join(dir, "case.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	m, err := fno.Load(context.Background(), filepath.Join(dir, "model.safetensors"), fno.Overrides{}, fno.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	in, err := npy.Read(context.Background(), filepath.Join(dir, "input.npy"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := npy.Read(context.Background(), filepath.Join(dir, "output.npy"))
	if err != nil {
		t.Fatal(err)
	}
	// Face data: Dirichlet values in left/right(/top/down).npy, Neumann fluxes in
	// flux_left/flux_right.npy, or (the 1-D cases) one flux for every sample in case.json.
	faces := func(names ...string) [][]float32 {
		var out [][]float32
		for _, name := range names {
			a, err := npy.Read(context.Background(), filepath.Join(dir, name+".npy"))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, a.Data)
		}
		return out
	}
	var bc *fno.Boundary
	switch c.BC {
	case "dirichlet":
		bc = &fno.Boundary{Kind: fno.Dirichlet}
		lr := faces("left", "right")
		bc.Left, bc.Right = lr[0], lr[1]
		if len(in.Shape) == 5 {
			td := faces("top", "down")
			bc.Top, bc.Down = td[0], td[1]
		}
	case "neumann":
		bc = &fno.Boundary{Kind: fno.Neumann, StencilLeft: c.StencilLeft, StencilRight: c.StencilRight}
		if _, err := os.Stat(filepath.Join(dir, "flux_left.npy")); err == nil {
			lr := faces("flux_left", "flux_right")
			bc.Left, bc.Right = lr[0], lr[1]
		} else {
			bc.Left, bc.Right = fno.UniformFaces(c.Batch, float32(c.FluxLeft)), fno.UniformFaces(c.Batch, float32(c.FluxRight))
		}
	case "periodic":
		bc = &fno.Boundary{Kind: fno.Periodic}
	}
	return c, m, in, want, bc
}

func TestGolden(t *testing.T) {
	ctx := context.Background()
	dirs, err := filepath.Glob("testdata/golden/*/case.json")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases under testdata/golden: %v", err)
	}
	enginetest.ForEachBackend(t, func(t *testing.T, b backend.Backend) {
		for _, caseFile := range dirs {
			for _, method := range []fft.Method{fft.TruncatedDFT, fft.FullFFT} {
				dir := filepath.Dir(caseFile)
				t.Run(filepath.Base(dir)+"/"+string(method), func(t *testing.T) {
					c, m, in, want, bc := loadCase(t, dir)
					grid := in.Shape[1 : len(in.Shape)-1]
					// A runner larger than the batch checks that partial batches are exact too.
					r, err := m.NewRunner(ctx, b, fno.RunnerConfig{Grid: grid, MaxBatch: c.Batch + 1, Transform: method})
					if err != nil {
						t.Fatal(err)
					}
					defer r.Close()
					got, err := r.Forward(ctx, in.Data, c.Batch, bc)
					if err != nil {
						t.Fatal(err)
					}
					if len(got) != len(want.Data) {
						t.Fatalf("output has %d values, want %v", len(got), want.Shape)
					}
					e := metrics.RelL2(got, want.Data)
					if e > GoldenTolerance || math.IsNaN(e) {
						t.Errorf("relative L2 error %.3g against the reference, want ≤ %g", e, GoldenTolerance)
					}
					t.Logf("relative L2 error %.2g", e)
				})
			}
		}
	})
}

// Once a runner has run, ForwardInto allocates nothing, with or without boundary
// corrections: the C ABI's warm path rests on it.
func TestForwardIntoAllocatesNothingWhenWarm(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items at random")
	}
	ctx := context.Background()
	enginetest.ForEachBackend(t, func(t *testing.T, b backend.Backend) {
		for _, name := range []string{"fno1d", "fno2d", "fno3d", "neuralop2d_odd", "boon1d_dirichlet", "boon2d_neumann",
			"boon2d_periodic", "boon3d_dirichlet", "fno2d_dirichlet_plain"} {
			c, m, in, want, bc := loadCase(t, filepath.Join("testdata/golden", name))
			r, err := m.NewRunner(ctx, b, fno.RunnerConfig{Grid: in.Shape[1 : len(in.Shape)-1], MaxBatch: c.Batch})
			if err != nil {
				t.Fatal(err)
			}
			out := make([]float32, len(want.Data))
			run := func() {
				if err := r.ForwardInto(ctx, out, in.Data, c.Batch, bc); err != nil {
					t.Fatal(err)
				}
			}
			run()
			allocs := testing.AllocsPerRun(20, run)
			r.Close()
			if allocs != 0 {
				t.Errorf("%s: a warm ForwardInto makes %.1f allocations, want none", name, allocs)
			}
			if e := metrics.RelL2(out, want.Data); e > GoldenTolerance {
				t.Errorf("%s: relative L2 error %.3g", name, e)
			}
		}
	})
}
