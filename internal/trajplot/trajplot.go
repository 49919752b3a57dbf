// Package trajplot draws a planning cycle, in the style of Astro's planner figure: the
// cycle's candidates coloured by cost, the best in bold, the robot's footprint, each
// obstacle's footprint and 1σ/2σ ellipses over time, the guidance path, the goal and the
// map's lethal cells, with a legend.
package trajplot

import (
	"cmp"
	"context"
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/fluxcore/fluxcore/engine/traj"
)

// Frame is what a plot shows beyond the cycle itself: its time (a label, when TimeS ≥ 0 and
// Label is set) and fixed axes, so that a sequence of frames keeps one scale.
type Frame struct {
	Label  bool
	TimeS  float64
	Bounds *Bounds
}

// Bounds are a plot's axis ranges in metres.
type Bounds struct{ XMin, XMax, YMin, YMax float64 }

// SceneBounds covers everything a run of seconds on s can show: the path, the goal, the
// robot's start, the map, and every obstacle's mean over the run, with a metre to spare, on
// equal scales.
func SceneBounds(s *traj.Scenario, seconds float64) Bounds {
	b := Bounds{math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)}
	add := func(x, y float64) {
		b.XMin, b.XMax, b.YMin, b.YMax = math.Min(b.XMin, x), math.Max(b.XMax, x), math.Min(b.YMin, y), math.Max(b.YMax, y)
	}
	add(s.Robot.State.XM, s.Robot.State.YM)
	add(s.Guidance.Goal.XM, s.Guidance.Goal.YM)
	for _, q := range s.Guidance.Path {
		add(q[0], q[1])
	}
	if m := s.Map; m != nil {
		add(m.OriginM[0], m.OriginM[1])
		add(m.OriginM[0]+float64(m.Width)*m.ResolutionM, m.OriginM[1]+float64(m.Height)*m.ResolutionM)
	}
	for _, o := range s.Obstacles {
		for _, t := range []float64{0, seconds / 2, seconds} {
			mean, _ := o.At(t, s.Horizon.DtS)
			add(mean[0], mean[1])
		}
	}
	b.XMin, b.XMax, b.YMin, b.YMax = equalAxes(b.XMin-1, b.XMax+1, b.YMin-1, b.YMax+1)
	return b
}

// Render draws the cycle r that p planned on s: up to 400 of its candidates re-rolled and
// coloured by total cost (green the cheapest, red from the 90th percentile, grey infeasible),
// the best in bold, the robot's footprint, each obstacle's footprint at its mean now and its
// 1σ/2σ ellipses at 0, 1, 2 and 3 s, the guidance path, the goal with its tolerance, the
// map's lethal cells and a legend. It returns what writes the PNG.
func Render(ctx context.Context, p *traj.Planner, s *traj.Scenario, r *traj.Result, f Frame) (func(io.Writer) error, error) {
	n := r.Scored
	shown := min(n, 400)
	var cands []traj.Evaluated
	if r.Mode == traj.ModeHold {
		shown = 0 // a hold rolls out the stop alone
	}
	if shown > 0 {
		indices := make([]int, shown)
		for i := range indices {
			indices[i] = i * n / shown
		}
		var err error
		if cands, err = p.Rollout(ctx, s, indices); err != nil {
			return nil, err
		}
	}
	pl := plot.New()
	pl.Title.Text = fmt.Sprintf("%d candidates (%d drawn), coloured by cost: green cheapest, red 90th percentile and dearer", n, shown)
	if r.Mode == traj.ModeHold {
		pl.Title.Text = "at the goal: stopping and holding"
	}
	if f.Label {
		pl.Title.Text = fmt.Sprintf("t = %.1f s: %s", f.TimeS, pl.Title.Text)
	}
	pl.X.Label.Text = "x (m)"
	pl.Y.Label.Text = "y (m)"
	pl.Legend.Top, pl.Legend.Left = true, true
	for _, draw := range []func() error{
		func() error { return addMap(pl, s.Map) },
		func() error { return addCandidates(pl, s, cands, r) },
		func() error { return addGoal(pl, s) },
		func() error { return addRobot(pl, s) },
		func() error { return addObstacles(pl, s) },
	} {
		if err := draw(); err != nil {
			return nil, err
		}
	}
	if b := f.Bounds; b != nil {
		pl.X.Min, pl.X.Max, pl.Y.Min, pl.Y.Max = b.XMin, b.XMax, b.YMin, b.YMax
	} else {
		// Equal scales on both axes, so that the ellipses and turns keep their shapes.
		pl.X.Min, pl.X.Max, pl.Y.Min, pl.Y.Max = equalAxes(pl.X.Min, pl.X.Max, pl.Y.Min, pl.Y.Max)
	}
	w, err := pl.WriterTo(7*vg.Inch, 7*vg.Inch, "png")
	if err != nil {
		return nil, err
	}
	return func(out io.Writer) error {
		_, err := w.WriteTo(out)
		return err
	}, nil
}

// addMap marks the map's lethal cells.
func addMap(pl *plot.Plot, m *traj.CostMap) error {
	if m == nil {
		return nil
	}
	var cells plotter.XYs
	for y := range m.Height {
		for x := range m.Width {
			if m.Cost[y*m.Width+x] >= 1 {
				cells = append(cells, plotter.XY{X: m.OriginM[0] + (float64(x)+0.5)*m.ResolutionM, Y: m.OriginM[1] + (float64(y)+0.5)*m.ResolutionM})
			}
		}
	}
	if len(cells) == 0 {
		return nil
	}
	sc, err := plotter.NewScatter(cells)
	if err != nil {
		return err
	}
	sc.GlyphStyle.Color, sc.GlyphStyle.Radius = color.Gray{Y: 90}, vg.Points(1.2)
	pl.Add(sc)
	return nil
}

// addCandidates draws the guidance path, the candidates dearest first (so that the good
// ones lie on top), each coloured by where its total lies between the cheapest feasible one
// and the 90th percentile, and the best in bold.
func addCandidates(pl *plot.Plot, s *traj.Scenario, cands []traj.Evaluated, r *traj.Result) error {
	slices.SortFunc(cands, func(a, b traj.Evaluated) int {
		switch {
		case a.Costs.Feasible != b.Costs.Feasible && a.Costs.Feasible:
			return 1
		case a.Costs.Feasible != b.Costs.Feasible:
			return -1
		}
		return -cmp.Compare(a.Costs.Total, b.Costs.Total)
	})
	path := make(plotter.XYs, len(s.Guidance.Path))
	for i, q := range s.Guidance.Path {
		path[i] = plotter.XY{X: q[0], Y: q[1]}
	}
	if err := addLine(pl, path, color.RGBA{R: 120, G: 120, B: 120, A: 255}, 1, true, "guidance path"); err != nil {
		return err
	}
	// The colour scale runs from the cheapest to the 90th percentile of the feasible totals:
	// a few candidates that drive into a person cost a hundred times the rest, and a scale to
	// them would paint everything else one green.
	var totals []float64
	for _, c := range cands {
		if c.Costs.Feasible {
			totals = append(totals, c.Costs.Total)
		}
	}
	slices.Sort(totals)
	lo, hi := 0.0, 0.0
	if len(totals) > 0 {
		lo, hi = totals[0], totals[(len(totals)-1)*9/10]
	}
	for i, c := range cands {
		col := color.Color(color.NRGBA{R: 150, G: 150, B: 150, A: 120})
		if c.Costs.Feasible {
			frac := 1.0 // 0 dearest … 1 cheapest
			if hi > lo {
				frac = math.Max(0, (hi-c.Costs.Total)/(hi-lo))
			}
			col = color.NRGBA{R: uint8(220 * (1 - frac)), G: uint8(40 + 160*frac), B: 40, A: 150}
		}
		label := ""
		if i == len(cands)-1 {
			label = "candidates"
		}
		if err := addLine(pl, trajectoryXY(c.Trajectory), col, 0.5, false, label); err != nil {
			return err
		}
	}
	return addLine(pl, trajectoryXY(r.Best), color.RGBA{B: 200, A: 255}, 3, false, "chosen")
}

// addGoal marks the goal, its heading and its arrival tolerance.
func addGoal(pl *plot.Plot, s *traj.Scenario) error {
	g := s.Guidance.Goal
	tol, _ := g.Tolerances()
	col := color.RGBA{R: 200, G: 140, A: 255}
	if err := addLine(pl, ellipse(g.XM, g.YM, traj.Cov2{{tol * tol, 0}, {0, tol * tol}}, 1), col, 1, true, "goal tolerance"); err != nil {
		return err
	}
	heading := plotter.XYs{{X: g.XM, Y: g.YM}, {X: g.XM + 2*tol*math.Cos(g.ThetaRad), Y: g.YM + 2*tol*math.Sin(g.ThetaRad)}}
	return addLine(pl, heading, col, 2, false, "goal heading")
}

// addRobot draws the footprint's circles at the current state.
func addRobot(pl *plot.Plot, s *traj.Scenario) error {
	st := s.Robot.State
	offsets, radii := s.Robot.Footprint.Circles()
	for i, off := range offsets {
		radius := radii[i]
		cx, cy := st.XM+off*math.Cos(st.ThetaRad), st.YM+off*math.Sin(st.ThetaRad)
		label := ""
		if i == 0 {
			label = "robot"
		}
		if err := addLine(pl, ellipse(cx, cy, traj.Cov2{{radius * radius, 0}, {0, radius * radius}}, 1), color.RGBA{B: 200, A: 255}, 1.5, false, label); err != nil {
			return err
		}
	}
	return nil
}

// addObstacles draws each obstacle's footprint at its mean now and its 1σ and 2σ ellipses at
// 0, 1, 2 and 3 s.
func addObstacles(pl *plot.Plot, s *traj.Scenario) error {
	for j, o := range s.Obstacles {
		mean, _ := o.At(0, s.Horizon.DtS)
		r := o.RadiusM
		label := func(text string) string {
			if j > 0 {
				return ""
			}
			return text
		}
		if err := addLine(pl, ellipse(mean[0], mean[1], traj.Cov2{{r * r, 0}, {0, r * r}}, 1), color.RGBA{R: 150, B: 150, A: 255}, 2, false, label("person now")); err != nil {
			return err
		}
		for _, ts := range []float64{0, 1, 2, 3} {
			mean, cov := o.At(ts, s.Horizon.DtS)
			for _, sigmas := range []float64{1, 2} {
				text := ""
				if ts == 0 && sigmas == 1 {
					text = label("1σ, 2σ at 0–3 s")
				}
				if err := addLine(pl, ellipse(mean[0], mean[1], cov, sigmas), color.NRGBA{R: 150, B: 150, A: uint8(230 / sigmas)}, 1, true, text); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func trajectoryXY(ps []traj.Point) plotter.XYs {
	xy := make(plotter.XYs, len(ps))
	for i, p := range ps {
		xy[i] = plotter.XY{X: p.XM, Y: p.YM}
	}
	return xy
}

// addLine draws xy, and names it in the legend when label is not empty.
func addLine(pl *plot.Plot, xy plotter.XYs, c color.Color, width float64, dashed bool, label string) error {
	l, err := plotter.NewLine(xy)
	if err != nil {
		return err
	}
	l.Color, l.Width = c, vg.Points(width)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	}
	pl.Add(l)
	if label != "" {
		pl.Legend.Add(label, l)
	}
	return nil
}

// ellipse is the k-σ contour of N((cx, cy), cov).
func ellipse(cx, cy float64, cov traj.Cov2, k float64) plotter.XYs {
	half, dev := 0.5*(cov[0][0]+cov[1][1]), math.Hypot(0.5*(cov[0][0]-cov[1][1]), cov[0][1])
	l1, l2 := half+dev, math.Max(half-dev, 0)
	angle := 0.5 * math.Atan2(2*cov[0][1], cov[0][0]-cov[1][1])
	xy := make(plotter.XYs, 49)
	for i := range xy {
		t := 2 * math.Pi * float64(i) / 48
		u, v := k*math.Sqrt(l1)*math.Cos(t), k*math.Sqrt(l2)*math.Sin(t)
		xy[i] = plotter.XY{X: cx + u*math.Cos(angle) - v*math.Sin(angle), Y: cy + u*math.Sin(angle) + v*math.Cos(angle)}
	}
	return xy
}

// equalAxes widens the shorter of two ranges about its centre to the longer one's span.
func equalAxes(x0, x1, y0, y1 float64) (float64, float64, float64, float64) {
	span := math.Max(x1-x0, y1-y0)
	cx, cy := (x0+x1)/2, (y0+y1)/2
	return cx - span/2, cx + span/2, cy - span/2, cy + span/2
}
