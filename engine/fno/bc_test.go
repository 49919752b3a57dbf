package fno_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/cpu"
	"github.com/fluxcore/fluxcore/engine/enginetest"
	"github.com/fluxcore/fluxcore/engine/fno"
)

// BOON's corrections on a plain FNO checkpoint make the output satisfy the condition to float
// rounding, whatever the weights.
func TestCorrectionsOnPlainFNO(t *testing.T) {
	ctx := context.Background()
	_, m, in, _, _ := loadCase(t, "testdata/golden/fno1d")
	const batch = 3
	n := in.Shape[1]
	h := 1.0 / float64(n-1)
	enginetest.ForEachBackend(t, func(t *testing.T, b backend.Backend) {
		r, err := m.NewRunner(ctx, b, fno.RunnerConfig{Grid: []int{n}, MaxBatch: batch})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		t.Run("dirichlet", func(t *testing.T) {
			bc := &fno.Boundary{Kind: fno.Dirichlet, Left: []float32{0.5, -1, 2}, Right: []float32{1.25, 0, -3}}
			u, err := r.Forward(ctx, in.Data, batch, bc)
			if err != nil {
				t.Fatal(err)
			}
			for s := range batch {
				if e := max(math.Abs(float64(u[s*n]-bc.Left[s])), math.Abs(float64(u[s*n+n-1]-bc.Right[s]))); e > 1e-6 {
					t.Errorf("sample %d: boundary off by %.3g", s, e)
				}
			}
		})
		t.Run("neumann", func(t *testing.T) {
			const fluxLeft, fluxRight = 0, 5
			bc := &fno.Boundary{Kind: fno.Neumann, Left: fno.UniformFaces(batch, fluxLeft), Right: fno.UniformFaces(batch, fluxRight)}
			u, err := r.Forward(ctx, in.Data, batch, bc)
			if err != nil {
				t.Fatal(err)
			}
			for s := range batch {
				// The default stencils are the third-order one-sided differences, written
				// out here independently of the package.
				d := func(i int) float64 { return float64(u[s*n+i]) }
				gl := (-11*d(0) + 18*d(1) - 9*d(2) + 2*d(3)) / (6 * h)
				gr := (11*d(n-1) - 18*d(n-2) + 9*d(n-3) - 2*d(n-4)) / (6 * h)
				// The flux divides float32 values by 6h/11 ≈ 0.009, so rounding grows ~100×.
				if math.Abs(gl-fluxLeft) > 1e-4 || math.Abs(gr-fluxRight) > 1e-4*5 {
					t.Errorf("sample %d: discrete fluxes %.6g, %.6g, want %d, %d", s, gl, gr, fluxLeft, fluxRight)
				}
			}
		})
		t.Run("periodic", func(t *testing.T) {
			u, err := r.Forward(ctx, in.Data, batch, &fno.Boundary{Kind: fno.Periodic})
			if err != nil {
				t.Fatal(err)
			}
			for s := range batch {
				if u[s*n] != u[s*n+n-1] {
					t.Errorf("sample %d: ends %g and %g differ", s, u[s*n], u[s*n+n-1])
				}
			}
		})
	})
}

func TestForwardErrors(t *testing.T) {
	ctx := context.Background()
	_, m, in, _, _ := loadCase(t, "testdata/golden/boon1d_dirichlet")
	b, err := cpu.New(cpu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := m.NewRunner(ctx, b, fno.RunnerConfig{Grid: []int{in.Shape[1]}, MaxBatch: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	nan := append([]float32(nil), in.Data...)
	nan[70] = float32(math.NaN())
	for _, c := range []struct {
		name  string
		input []float32
		batch int
		bc    *fno.Boundary
		want  string
	}{
		{"no boundary values", in.Data, 3, nil, "trained with dirichlet boundaries"},
		{"wrong kind", in.Data, 3, &fno.Boundary{Kind: fno.Periodic}, "enforces dirichlet boundaries, asked for periodic"},
		{"short values", in.Data, 3, &fno.Boundary{Kind: fno.Dirichlet, Left: []float32{1}, Right: []float32{1}}, "dirichlet left face data has 1 values, want shape [3] = 3"},
		{"output-only on BOON", in.Data, 3, &fno.Boundary{Kind: fno.Dirichlet, Left: []float32{1, 2, 3}, Right: []float32{1, 2, 3}, OutputOnly: true},
			"output-only enforcement is for plain checkpoints"},
		{"NaN face", in.Data, 3, &fno.Boundary{Kind: fno.Dirichlet, Left: []float32{1, float32(math.Inf(1)), 3}, Right: []float32{1, 2, 3}},
			"dirichlet left face data element 1 is +Inf"},
		{"NaN input", nan, 3, nil, "input element 70 (flat, channels-last) is NaN"},
		{"short input", in.Data[1:], 3, nil, "want shape [3 64 1] = 192"},
		{"batch too big", in.Data, 4, nil, "batch of 4, runner holds 1..3"},
	} {
		_, err := r.Forward(ctx, c.input, c.batch, c.bc)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
	if _, err := fno.Load(context.Background(), "testdata/golden/fno1d/input.npy", fno.Overrides{}, fno.Overrides{}); err == nil ||
		!strings.Contains(err.Error(), "header length") {
		t.Errorf("loading a .npy as a model: got %v", err)
	}
}

// The default stencils are exact for cubics, so the flux they encode is the derivative of
// u = x³ − 2x² + x at each end: u'(0) = 1 and u'(1) = 0 on [0, 1].
func TestNeumannStencilsExactOnCubics(t *testing.T) {
	const n = 11
	h := 1.0 / (n - 1)
	u := make([]float32, n)
	for i := range u {
		x := float64(i) * h
		u[i] = float32(x*x*x - 2*x*x + x)
	}
	left, right := fno.NeumannStencils(h)
	if g := fno.NeumannFlux(u, left, false); math.Abs(g-1) > 1e-5 {
		t.Errorf("left flux %g, want 1", g)
	}
	if g := fno.NeumannFlux(u, right, true); math.Abs(g) > 1e-5 {
		t.Errorf("right flux %g, want 0", g)
	}
}

// In 2-D and 3-D the corrected faces hold the given values exactly: the x faces, and in 3-D
// the y faces as well (set after the x faces, so they win on the shared edges).
func TestDirichletFacesMultiD(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"fno2d_dirichlet_plain", "fno3d"} {
		_, m, in, _, _ := loadCase(t, "testdata/golden/"+name)
		grid := in.Shape[1 : len(in.Shape)-1]
		batch := in.Shape[0]
		xFace, yFace := 1, 1
		for a, n := range grid {
			if a != 0 {
				xFace *= n
			}
			if a != 1 {
				yFace *= n
			}
		}
		value := func(side, s, i int) float32 { return float32(side+1) + 0.25*float32(s) - 0.001*float32(i) }
		face := func(side, per int) []float32 {
			v := make([]float32, batch*per)
			for i := range v {
				v[i] = value(side, i/per, i%per)
			}
			return v
		}
		bc := &fno.Boundary{Kind: fno.Dirichlet, Left: face(0, xFace), Right: face(1, xFace)}
		if len(grid) == 3 {
			bc.Top, bc.Down = face(2, yFace), face(3, yFace)
		}
		enginetest.ForEachBackend(t, func(t *testing.T, b backend.Backend) {
			r, err := m.NewRunner(ctx, b, fno.RunnerConfig{Grid: grid, MaxBatch: batch})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			u, err := r.Forward(ctx, in.Data, batch, bc)
			if err != nil {
				t.Fatal(err)
			}
			points := len(u) / batch
			n0 := grid[0]
			inner := points / n0
			for s := range batch {
				for p := range points {
					i, rest := p/inner, p%inner
					want, check := float32(0), false
					if len(grid) == 3 {
						j, k := rest/grid[2], rest%grid[2]
						switch {
						case j == 0 || j == grid[1]-1:
							side := 2
							if j > 0 {
								side = 3
							}
							want, check = value(side, s, i*grid[2]+k), true
						case i == 0 || i == n0-1:
							want, check = value(min(i, 1), s, rest), true
						}
					} else if i == 0 || i == n0-1 {
						want, check = value(min(i, 1), s, rest), true
					}
					if got := u[s*points+p]; check && math.Abs(float64(got-want)) > 1e-6 {
						t.Fatalf("%s sample %d point %d: %g on the boundary, want %g", name, s, p, got, want)
					}
				}
			}
		})
	}
}
