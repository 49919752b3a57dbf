package heat

import (
	"image/color"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/fluxcore/fluxcore/internal/atomicfile"
)

// Plot draws sample 0 over the first eighth of the rod, where the plain FNO's slope at
// the insulated end shows.
func (r *Report) Plot(file string) error {
	n := r.Points
	exact := r.Exact[:n]
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
	series := []Result{{Name: "exact", U: exact}}
	for _, res := range r.Results {
		if res.Plotted {
			series = append(series, res)
		}
	}
	for i, s := range series {
		l, err := plotter.NewLine(line(s.U[:n]))
		if err != nil {
			return err
		}
		l.Color = colors[i%len(colors)]
		l.Width = vg.Points(1.5)
		if i == 0 {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l)
		p.Legend.Add(s.Name, l)
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
