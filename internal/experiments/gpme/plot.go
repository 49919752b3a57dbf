package gpme

import (
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/fluxcore/fluxcore/internal/atomicfile"
)

var (
	black  = color.RGBA{A: 255}
	blue   = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	orange = color.RGBA{R: 255, G: 127, B: 14, A: 255}
)

// Plot draws the exact profile at t* with both predictions' means and ±2σ bands, and
// beside it, where the problem has a front, the histograms of the sampled fronts.
func (r *Report) Plot(file string) error {
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

func plotProfiles(r *Report) (*plot.Plot, error) {
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

func plotFronts(s *Shock) (*plot.Plot, error) {
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
