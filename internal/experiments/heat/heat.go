// Package heat is the BOON demonstration behind `fluxcore demo fno`: a small FNO trained on
// the heat equation u_t = u_xx on an insulated rod (u_x = 0 at both ends, tools/
// train_heat_demo.py), run plain, with BOON's per-layer corrections, with the condition
// enforced on the output only, and as a BOON checkpoint trained with it, against the exact
// solution.
package heat

import (
	"context"
	"embed"
	"fmt"
	"io"
	"math"
	"path"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/fno"
	"github.com/fluxcore/fluxcore/internal/metrics"
	"github.com/fluxcore/fluxcore/npy"
)

// The models and their held-out data, written by tools/train_heat_demo.py.
//
//go:embed data
var data embed.FS

// Result is what one variant of the forward pass scored.
type Result struct {
	Name         string
	U            []float32 // the predictions, [samples, n]
	RelL2        float64   // mean over samples of ‖u − exact‖ / ‖exact‖
	FluxLeftMax  float64   // max over samples of |discrete flux at x = 0|
	FluxRightMax float64
	// Plotted: the plain model under BOON's per-layer corrections is far off the exact curve
	// and left out of the plot, which would otherwise be scaled to it.
	Plotted bool
}

// Report is the whole demonstration.
type Report struct {
	Samples, Points int
	Device          string
	Exact           []float32 // [samples, n]
	ExactFluxMax    float64
	Results         []Result
}

type variant struct {
	name, model string
	bc          *fno.Boundary
	plotted     bool
}

// Run runs every variant on b.
func Run(ctx context.Context, b backend.Backend) (*Report, error) {
	input, err := array("input.npy")
	if err != nil {
		return nil, err
	}
	exact, err := array("exact.npy")
	if err != nil {
		return nil, err
	}
	samples, n := input.Shape[0], input.Shape[1]
	// No heat crosses either end: the flux is 0, imposed and measured with the default
	// third-order one-sided stencils on this grid.
	left, right := fno.NeumannStencils(1 / float64(n-1))
	insulated := &fno.Boundary{Kind: fno.Neumann, Left: make([]float32, samples), Right: make([]float32, samples),
		StencilLeft: left, StencilRight: right}
	outputOnly := *insulated
	outputOnly.OutputOnly = true
	variants := []variant{
		{"plain FNO", "model.safetensors", nil, true},
		{"plain FNO, BOON layers", "model.safetensors", insulated, false},
		{"plain FNO, output enforced", "model.safetensors", &outputOnly, true},
		{"BOON_FNO1d (trained with it)", "boon.safetensors", insulated, true},
	}
	rep := &Report{Samples: samples, Points: n, Device: b.Name(), Exact: exact.Data}
	for s := range samples {
		rep.ExactFluxMax = math.Max(rep.ExactFluxMax, math.Abs(fno.NeumannFlux(exact.Data[s*n:(s+1)*n], left, false)))
	}
	runners := map[string]*fno.Runner{} // one per shipped model
	defer func() {
		for _, r := range runners {
			r.Close()
		}
	}()
	for _, v := range variants {
		r := runners[v.model]
		if r == nil {
			if r, err = runner(ctx, b, v.model, input); err != nil {
				return nil, err
			}
			runners[v.model] = r
		}
		u, err := r.Forward(ctx, input.Data, samples, v.bc)
		if err != nil {
			return nil, fmt.Errorf("heat: %s: %w", v.name, err)
		}
		rep.Results = append(rep.Results, score(v, u, exact.Data, n, left, right))
	}
	return rep, nil
}

// score measures one variant's predictions against the exact solution.
func score(v variant, u, exact []float32, n int, left, right []float64) Result {
	res := Result{Name: v.name, U: u, Plotted: v.plotted}
	samples := len(u) / n
	for s := range samples {
		got, want := u[s*n:(s+1)*n], exact[s*n:(s+1)*n]
		res.RelL2 += metrics.RelL2(got, want) / float64(samples)
		res.FluxLeftMax = math.Max(res.FluxLeftMax, math.Abs(fno.NeumannFlux(got, left, false)))
		res.FluxRightMax = math.Max(res.FluxRightMax, math.Abs(fno.NeumannFlux(got, right, true)))
	}
	return res
}

// Print writes the report as a table.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "heat equation u_t = u_xx on an insulated rod (u_x = 0 at both ends), u0 -> u(T = 0.01)\n")
	fmt.Fprintf(w, "%d held-out samples, %d points, on %s; flux measured with the third-order one-sided stencil\n\n",
		r.Samples, r.Points, r.Device)
	fmt.Fprintf(w, "%-30s %14s %18s %18s\n", "", "rel. L2 error", "max |flux| left", "max |flux| right")
	for _, res := range r.Results {
		fmt.Fprintf(w, "%-30s %14.3e %18.3e %18.3e\n", res.Name, res.RelL2, res.FluxLeftMax, res.FluxRightMax)
	}
	fmt.Fprintf(w, "%-30s %14s %18.3e\n", "exact solution", "—", r.ExactFluxMax)
}

// runner places one of the shipped models for the held-out inputs.
func runner(ctx context.Context, b backend.Backend, model string, input *npy.Array) (*fno.Runner, error) {
	raw, err := data.ReadFile(path.Join("data", model))
	if err != nil {
		return nil, err
	}
	m, err := fno.Parse(model, raw, fno.Overrides{}, fno.Overrides{})
	if err != nil {
		return nil, err
	}
	return m.NewRunner(ctx, b, fno.RunnerConfig{Grid: input.Shape[1:2], MaxBatch: input.Shape[0]})
}

func array(name string) (*npy.Array, error) {
	raw, err := data.ReadFile(path.Join("data", name))
	if err != nil {
		return nil, err
	}
	a, err := npy.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("heat: demo data %s: %w", name, err)
	}
	return a, nil
}
