package main

import (
	"context"
	"embed"
	"flag"
	"fmt"
	"image/color"
	"io"
	"math"
	"path"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/fno"
	"github.com/fluxcore/fluxcore/internal/atomicfile"
	"github.com/fluxcore/fluxcore/internal/metrics"
	"github.com/fluxcore/fluxcore/internal/npy"
)

// The demo model and its held-out data, written by tools/train_heat_demo.py.
//
//go:embed demodata/heat1d
var demoData embed.FS

const demoDir = "demodata/heat1d"

// heatDemo is what the demo measured, per variant of the forward pass.
type heatDemo struct {
	name         string
	u            []float32
	relL2        float64 // mean over samples of ‖u − exact‖ / ‖exact‖
	fluxLeftMax  float64 // max over samples of |discrete flux at x = 0|
	fluxRightMax float64
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "fno" {
		fmt.Fprintln(stderr, "usage: fluxcore demo fno [--plot heat_boundary.png] [--device ...]")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			return flag.ErrHelp
		}
		return errUsage
	}
	fs := flag.NewFlagSet("fluxcore demo fno", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var ef engineFlags
	ef.register(fs)
	plotPath := fs.String("plot", "heat_boundary.png", "write a plot of one prediction near the insulated end to this PNG")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	input, err := demoArray("input.npy")
	if err != nil {
		return err
	}
	exact, err := demoArray("exact.npy")
	if err != nil {
		return err
	}
	samples, n := input.Shape[0], input.Shape[1]
	e, err := ef.open()
	if err != nil {
		return err
	}
	defer e.Close()

	// No heat crosses either end: the flux is 0, imposed and measured with the default
	// third-order one-sided stencils on this grid.
	h := 1 / float64(n-1)
	left, right := fno.NeumannStencils(h)
	insulated := &fno.Boundary{Kind: fno.Neumann, Left: make([]float32, samples), Right: make([]float32, samples),
		StencilLeft: left, StencilRight: right}
	outputOnly := *insulated
	outputOnly.OutputOnly = true
	// The plain model under BOON's per-layer corrections is far off the exact curve and is
	// left out of the plot, which would otherwise be scaled to it.
	runs := []struct {
		name, model string
		bc          *fno.Boundary
		plotted     bool
	}{
		{"plain FNO", "model.safetensors", nil, true},
		{"plain FNO, BOON layers", "model.safetensors", insulated, false},
		{"plain FNO, output enforced", "model.safetensors", &outputOnly, true},
		{"BOON_FNO1d (trained with it)", "boon.safetensors", insulated, true},
	}
	var results, plotted []heatDemo
	runners := make(map[string]*fno.Runner) // one per shipped model
	defer func() {
		for _, r := range runners {
			r.Close()
		}
	}()
	for _, run := range runs {
		r := runners[run.model]
		if r == nil {
			if r, err = demoRunner(ctx, e, run.model, input); err != nil {
				return err
			}
			runners[run.model] = r
		}
		u, err := r.Forward(ctx, input.Data, samples, run.bc)
		if err != nil {
			return fmt.Errorf("%s: %w", run.name, err)
		}
		res := heatDemo{name: run.name, u: u}
		for s := range samples {
			got, want := u[s*n:(s+1)*n], exact.Data[s*n:(s+1)*n]
			res.relL2 += metrics.RelL2(got, want) / float64(samples)
			res.fluxLeftMax = math.Max(res.fluxLeftMax, math.Abs(fno.NeumannFlux(got, left, false)))
			res.fluxRightMax = math.Max(res.fluxRightMax, math.Abs(fno.NeumannFlux(got, right, true)))
		}
		results = append(results, res)
		if run.plotted {
			plotted = append(plotted, res)
		}
	}
	exactFlux := 0.0
	for s := range samples {
		exactFlux = math.Max(exactFlux, math.Abs(fno.NeumannFlux(exact.Data[s*n:(s+1)*n], left, false)))
	}

	fmt.Fprintf(stdout, "heat equation u_t = u_xx on an insulated rod (u_x = 0 at both ends), u0 -> u(T = 0.01)\n")
	fmt.Fprintf(stdout, "%d held-out samples, %d points, on %s; flux measured with the third-order one-sided stencil\n\n",
		samples, n, e.Info().Device)
	fmt.Fprintf(stdout, "%-30s %14s %18s %18s\n", "", "rel. L2 error", "max |flux| left", "max |flux| right")
	for _, res := range results {
		fmt.Fprintf(stdout, "%-30s %14.3e %18.3e %18.3e\n", res.name, res.relL2, res.fluxLeftMax, res.fluxRightMax)
	}
	fmt.Fprintf(stdout, "%-30s %14s %18.3e\n", "exact solution", "—", exactFlux)
	if *plotPath != "" {
		if err := plotHeat(*plotPath, exact.Data[:n], plotted); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nwrote %s (sample 0 near the insulated end x = 0)\n", *plotPath)
	}
	return nil
}

// demoRunner places one of the shipped models for the held-out inputs.
func demoRunner(ctx context.Context, e *engine.Engine, model string, input *npy.Array) (*fno.Runner, error) {
	raw, err := demoData.ReadFile(path.Join(demoDir, model))
	if err != nil {
		return nil, err
	}
	m, err := fno.Parse(model, raw, fno.Overrides{}, fno.Overrides{})
	if err != nil {
		return nil, err
	}
	return m.NewRunner(ctx, e.Backend(), fno.RunnerConfig{Grid: input.Shape[1:2], MaxBatch: input.Shape[0]})
}

func demoArray(name string) (*npy.Array, error) {
	raw, err := demoData.ReadFile(path.Join(demoDir, name))
	if err != nil {
		return nil, err
	}
	a, err := npy.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("demo data %s: %w", name, err)
	}
	return a, nil
}

// plotHeat draws sample 0 over the first eighth of the rod, where the plain FNO's slope at
// the insulated end shows.
func plotHeat(file string, exact []float32, results []heatDemo) error {
	n := len(exact)
	shown := n/8 + 1
	p := plot.New()
	p.Title.Text = "Insulated end (u_x = 0 at x = 0): one held-out prediction"
	p.X.Label.Text = "x"
	p.Y.Label.Text = "u(x, T)"
	line := func(u []float32) plotter.XYs {
		xy := make(plotter.XYs, shown)
		for i := range xy {
			xy[i].X, xy[i].Y = float64(i)/float64(n-1), float64(u[i])
		}
		return xy
	}
	colors := []color.RGBA{{R: 0, G: 0, B: 0, A: 255}, {R: 214, G: 39, B: 40, A: 255}, {R: 44, G: 160, B: 44, A: 255},
		{R: 31, G: 119, B: 180, A: 255}, {R: 255, G: 127, B: 14, A: 255}}
	series := append([]heatDemo{{name: "exact", u: exact}}, results...)
	for i, s := range series {
		l, err := plotter.NewLine(line(s.u[:n]))
		if err != nil {
			return err
		}
		l.Color = colors[i%len(colors)]
		l.Width = vg.Points(1.5)
		if i == 0 {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l)
		p.Legend.Add(s.name, l)
	}
	p.Legend.Top = false // bottom right, below the rising curves
	w, err := p.WriterTo(6*vg.Inch, 4*vg.Inch, "png")
	if err != nil {
		return err
	}
	return atomicfile.Write(file, func(out io.Writer) error {
		_, err := w.WriteTo(out)
		return err
	})
}
