package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/fluxcore/fluxcore/internal/experiments/gpme"
	"github.com/fluxcore/fluxcore/internal/atomicfile"
)

// defaultParams are mid-range values of the paper's parameter ranges.
var defaultParams = map[string]float64{"diffusion": 1, "pme": 3, "stefan": 0.6}

func runGPME(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fluxcore conserve gpme", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: fluxcore conserve gpme --problem diffusion|pme|stefan [--param P] [--seed S] [--plot out.png] [--json]

ProbConserv's GPME experiment: a GP fitted to 10 × 10 noisy context points predicts u on a
201 × 201 (t, x) grid; every time slice is then updated so that its trapezoid mass equals
the U(t) the boundary fluxes allow. Prints MSE, conservation error and log-likelihood at t*
before and after, and for PME and Stefan the front position of samples from both.`)
		fs.PrintDefaults()
	}
	var ef engineFlags
	ef.register(fs)
	name := fs.String("problem", "", "diffusion (u = e^{−kt}·sin x), pme (k(u) = u^m) or stefan (k(u) = 1[u ≥ p*])")
	param := fs.Float64("param", math.NaN(), "k for diffusion (default 1), m for pme (3), p* for stefan (0.6)")
	cfg := gpme.DefaultConfig()
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the context points, their noise and the samples")
	fs.Float64Var(&cfg.NoiseStd, "noise-std", cfg.NoiseStd, "standard deviation of the context observations' noise")
	fs.Float64Var(&cfg.ConstraintNoiseVar, "noise-var", cfg.ConstraintNoiseVar, "ProbConserv's constraint noise variance σ² (0: exact)")
	fs.IntVar(&cfg.Samples, "samples", cfg.Samples, "samples drawn to locate the front (pme, stefan)")
	plotPath := fs.String("plot", "", "write the profiles at t* (and the front histograms) to this PNG")
	asJSON := fs.Bool("json", false, "print the report as JSON instead of a table")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if _, ok := defaultParams[*name]; !ok {
		fmt.Fprintf(stderr, "--problem %q: want diffusion, pme or stefan\n", *name)
		fs.Usage()
		return errUsage
	}
	if math.IsNaN(*param) {
		*param = defaultParams[*name]
	}
	p, err := gpme.New(*name, *param)
	if err != nil {
		return err
	}
	e, err := ef.open()
	if err != nil {
		return err
	}
	defer e.Close()
	progress := func(stage string) { fmt.Fprintf(stderr, "gpme: %s\n", stage) }
	rep, err := gpme.Run(ctx, e.Backend(), p, cfg, progress)
	if err != nil {
		return err
	}
	if *plotPath != "" {
		if err := plotGPME(*plotPath, rep); err != nil {
			return fmt.Errorf("--plot %s: %w", *plotPath, err)
		}
		fmt.Fprintf(stderr, "gpme: wrote %s\n", *plotPath)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printGPME(stdout, rep, cfg, e.Backend().Name())
	return nil
}

func printGPME(w io.Writer, r *gpme.Report, cfg gpme.Config, backendName string) {
	fmt.Fprintf(w, "%s (param %g): GP on %d × %d noisy context points (σ = %g, seed %d), %d × %d grid, σ² = %g, on %s\n",
		r.Problem, r.Param, cfg.ContextT, cfg.ContextX, cfg.NoiseStd, r.Seed, cfg.GridT, cfg.GridX, cfg.ConstraintNoiseVar, backendName)
	fmt.Fprintf(w, "\nat t* = %g          %10s %11s %9s\n", r.TStar, "MSE", "CE", "LL")
	for _, row := range []struct {
		name string
		m    gpme.Metrics
	}{{"GP", r.Before}, {"GP + ProbConserv", r.After}} {
		fmt.Fprintf(w, "  %-18s %10.3e %11.3e %9.3f\n", row.name, row.m.MSE, row.m.CE, row.m.LL)
	}
	fmt.Fprintf(w, "max |CE| after the update over all %d slices: %.2e\n", cfg.GridT, r.MaxAbsCE)
	if s := r.Shock; s != nil {
		fmt.Fprintf(w, "\nfront (first x where u ≤ 0) from %d samples each (jitter %g·mean variance):\n", s.Samples, math.Max(s.Jitter, s.JitterBefore))
		fmt.Fprintf(w, "  exact               %.4f\n", s.True)
		fmt.Fprintf(w, "  GP                  %.4f ± %.4f\n", s.MeanBefore, s.StdBefore)
		fmt.Fprintf(w, "  GP + ProbConserv    %.4f ± %.4f\n", s.Mean, s.Std)
	}
}

var (
	black  = color.RGBA{A: 255}
	blue   = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	orange = color.RGBA{R: 255, G: 127, B: 14, A: 255}
)

// plotGPME draws the exact profile at t* with both predictions' means and ±2σ bands, and
// beside it, where the problem has a front, the histograms of the sampled fronts.
func plotGPME(file string, r *gpme.Report) error {
	profile, err := plotProfiles(r)
	if err != nil {
		return err
	}
	plots := []*plot.Plot{profile}
	if r.Shock != nil {
		h, err := plotFronts(r.Shock)
		if err != nil {
			return err
		}
		plots = append(plots, h)
	}
	width := 6 * vg.Inch * vg.Length(len(plots))
	img := vgimg.New(width, 4*vg.Inch)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Millimeter * 4, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2}
	canvases := plot.Align([][]*plot.Plot{plots}, tiles, dc)
	for i, p := range plots {
		p.Draw(canvases[0][i])
	}
	return atomicfile.Write(file, func(out io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(out)
		return err
	})
}

func plotProfiles(r *gpme.Report) (*plot.Plot, error) {
	pr := r.Profile
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s at t* = %g: mean ± 2σ", r.Problem, r.TStar)
	p.X.Label.Text = "x"
	p.Y.Label.Text = "u"
	xy := func(f func(i int) float64) plotter.XYs {
		v := make(plotter.XYs, len(pr.X))
		for i := range v {
			v[i].X, v[i].Y = pr.X[i], f(i)
		}
		return v
	}
	for _, s := range []struct {
		name      string
		mean, vr  []float64
		lineColor color.RGBA
	}{{"GP", pr.MeanBefore, pr.VarBefore, orange}, {"GP + ProbConserv", pr.MeanAfter, pr.VarAfter, blue}} {
		mean, err := plotter.NewLine(xy(func(i int) float64 { return s.mean[i] }))
		if err != nil {
			return nil, err
		}
		mean.Color, mean.Width = s.lineColor, vg.Points(1.5)
		p.Add(mean)
		p.Legend.Add(s.name, mean)
		for _, sign := range []float64{-2, 2} {
			band, err := plotter.NewLine(xy(func(i int) float64 { return s.mean[i] + sign*math.Sqrt(math.Max(s.vr[i], 0)) }))
			if err != nil {
				return nil, err
			}
			band.Color, band.Width, band.Dashes = s.lineColor, vg.Points(0.7), []vg.Length{vg.Points(3), vg.Points(2)}
			p.Add(band)
		}
	}
	exact, err := plotter.NewLine(xy(func(i int) float64 { return pr.Exact[i] }))
	if err != nil {
		return nil, err
	}
	exact.Color, exact.Width = black, vg.Points(1.5)
	p.Add(exact)
	p.Legend.Add("exact", exact)
	p.Legend.Top = true
	return p, nil
}

func plotFronts(s *gpme.Shock) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("front position, %d samples each", s.Samples)
	p.X.Label.Text = "x of the first u ≤ 0"
	p.Y.Label.Text = "density"
	yMax := 0.0
	for _, h := range []struct {
		name   string
		fronts []float64
		c      color.RGBA
	}{{"GP", s.FrontsBefore, orange}, {"GP + ProbConserv", s.Fronts, blue}} {
		hist, err := plotter.NewHist(plotter.Values(h.fronts), 40)
		if err != nil {
			return nil, err
		}
		hist.Normalize(1)
		hist.FillColor = color.NRGBA{R: h.c.R, G: h.c.G, B: h.c.B, A: 90}
		hist.LineStyle.Color = h.c
		p.Add(hist)
		p.Legend.Add(h.name, hist)
		for _, bin := range hist.Bins {
			yMax = math.Max(yMax, bin.Weight)
		}
	}
	truth, err := plotter.NewLine(plotter.XYs{{X: s.True, Y: 0}, {X: s.True, Y: yMax}})
	if err != nil {
		return nil, err
	}
	truth.Color, truth.Width = black, vg.Points(1.5)
	p.Add(truth)
	p.Legend.Add("exact", truth)
	p.Legend.Top = true
	lo, hi := s.True, s.True // keep the exact front off the frame's edge
	for _, f := range append(append([]float64(nil), s.Fronts...), s.FrontsBefore...) {
		lo, hi = math.Min(lo, f), math.Max(hi, f)
	}
	p.X.Min, p.X.Max = lo-0.03*(hi-lo), hi+0.03*(hi-lo)
	return p, nil
}
