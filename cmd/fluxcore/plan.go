package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/fluxcore/fluxcore/engine/traj"
	"github.com/fluxcore/fluxcore/internal/atomicfile"
)

func runPlan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "sim" {
		return runPlanSim(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("fluxcore plan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: fluxcore plan --scenario s.json [--candidates N] [--seed S] [--refine K] [--accurate] [--out result.json] [--plot plot.png]

One planning cycle of the risk-aware local planner: sample jerk-limited candidates, roll them
out, score each by survival-weighted progress against Gaussian obstacle predictions and the
other cost terms, and pick the best feasible one. The scenario schema is in the README.`)
		fs.PrintDefaults()
	}
	var pf plannerFlags
	pf.register(fs, 0)
	out := fs.String("out", "", "write the result (best trajectory, its costs, the top candidates, timings) as JSON here")
	plotPath := fs.String("plot", "", "write a PNG of the candidates, the best, the obstacles' 1σ/2σ ellipses and the guidance path")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	s, p, backendName, closeEngine, err := pf.open(ctx, fs, stderr)
	if err != nil {
		return err
	}
	defer closeEngine()
	cfg := pf.cfg
	res, err := p.Plan(ctx, s)
	if err != nil {
		return err
	}
	printPlan(stdout, res, cfg, backendName)
	if *out != "" {
		if err := writeJSON(*out, res); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s\n", *out)
	}
	if *plotPath != "" {
		if err := plotPlan(ctx, *plotPath, p, s, res); err != nil {
			return fmt.Errorf("--plot %s: %w", *plotPath, err)
		}
		fmt.Fprintf(stdout, "wrote %s\n", *plotPath)
	}
	return nil
}

func printPlan(w io.Writer, r *traj.Result, cfg traj.Config, backendName string) {
	form := "fast"
	if cfg.Accurate {
		form = "accurate"
	}
	c := r.BestCosts
	first, last := r.Best[1], r.Best[len(r.Best)-1]
	fmt.Fprintf(w, "%d candidates on %s (%s collision form): best is candidate %d\n", r.Scored, backendName, form, r.Top[0].Index)
	fmt.Fprintf(w, "  first step: v %.3f m/s, ω %.3f rad/s; after %.1f s at (%.2f, %.2f) m, θ %.2f rad, v %.2f m/s\n",
		first.VMps, first.OmegaRadps, last.TS, last.XM, last.YM, last.ThetaRad, last.VMps)
	fmt.Fprintf(w, "  cost %.4f = progress %.4f + path %.4f + smoothness %.4f + goal %.4f + heading %.4f + reverse %.4f + map %.4f + collision %.4f\n",
		c.Total, c.Progress, c.PathDistance, c.Smoothness, c.Goal, c.Heading, c.Forward, c.Map, c.Collision)
	fmt.Fprintf(w, "  collision probability over the horizon %.4f\n", c.CollisionProb)
	t := r.Timings
	fmt.Fprintf(w, "  timings: sample %v, score %v, refine %v, select %v, best rolled out %v\n", t.Sample.Round(1000),
		t.Score.Round(1000), t.Refine.Round(1000), t.Select.Round(1000), t.Rollout.Round(1000))
}

// plotPlan draws, in the style of Astro's planner figure, up to 400 of the cycle's candidates
// coloured by rank from green (good) to red (bad), the best in bold, the robot's footprint,
// each obstacle's mean and 1σ/2σ ellipses at 0, 1, 2 and 3 s, the guidance path and the
// map's lethal cells.
func plotPlan(ctx context.Context, file string, p *traj.Planner, s *traj.Scenario, r *traj.Result) error {
	n := r.Scored
	shown := min(n, 400)
	indices := make([]int, shown)
	for i := range indices {
		indices[i] = i * n / shown
	}
	cands, err := p.Rollout(ctx, s, indices)
	if err != nil {
		return err
	}
	// Worst first, so the good ones are drawn on top.
	slices.SortFunc(cands, func(a, b traj.Evaluated) int {
		switch {
		case a.Costs.Feasible != b.Costs.Feasible && a.Costs.Feasible:
			return 1
		case a.Costs.Feasible != b.Costs.Feasible:
			return -1
		}
		return -cmp.Compare(a.Costs.Total, b.Costs.Total)
	})
	pl := plot.New()
	pl.Title.Text = fmt.Sprintf("%d candidates (%d drawn), green good, red bad; best in bold", n, shown)
	pl.X.Label.Text = "x (m)"
	pl.Y.Label.Text = "y (m)"
	if m := s.Map; m != nil {
		var cells plotter.XYs
		for y := range m.Height {
			for x := range m.Width {
				if m.Cost[y*m.Width+x] >= 1 {
					cells = append(cells, plotter.XY{X: m.OriginM[0] + (float64(x)+0.5)*m.ResolutionM, Y: m.OriginM[1] + (float64(y)+0.5)*m.ResolutionM})
				}
			}
		}
		if len(cells) > 0 {
			sc, err := plotter.NewScatter(cells)
			if err != nil {
				return err
			}
			sc.GlyphStyle.Color, sc.GlyphStyle.Radius = color.Gray{Y: 90}, vg.Points(1.2)
			pl.Add(sc)
		}
	}
	path := make(plotter.XYs, len(s.Guidance.Path))
	for i, q := range s.Guidance.Path {
		path[i] = plotter.XY{X: q[0], Y: q[1]}
	}
	if err := addLine(pl, path, color.RGBA{R: 120, G: 120, B: 120, A: 255}, 1, true); err != nil {
		return err
	}
	for i, c := range cands {
		frac := float64(i) / float64(max(len(cands)-1, 1)) // 0 worst … 1 best
		col := color.NRGBA{R: uint8(220 * (1 - frac)), G: uint8(40 + 160*frac), B: 40, A: 150}
		if err := addLine(pl, trajectoryXY(c.Trajectory), col, 0.5, false); err != nil {
			return err
		}
	}
	if err := addLine(pl, trajectoryXY(r.Best), color.RGBA{B: 200, A: 255}, 3, false); err != nil {
		return err
	}
	st := s.Robot.State
	offsets, radii := s.Robot.Footprint.Circles()
	for i, off := range offsets {
		radius := radii[i]
		cx, cy := st.XM+off*math.Cos(st.ThetaRad), st.YM+off*math.Sin(st.ThetaRad)
		if err := addLine(pl, ellipse(cx, cy, traj.Cov2{{radius * radius, 0}, {0, radius * radius}}, 1), color.RGBA{B: 200, A: 255}, 1.5, false); err != nil {
			return err
		}
	}
	for _, o := range s.Obstacles {
		for _, ts := range []float64{0, 1, 2, 3} {
			mean, cov := o.At(ts, s.Horizon.DtS)
			for _, sigmas := range []float64{1, 2} {
				if err := addLine(pl, ellipse(mean[0], mean[1], cov, sigmas), color.NRGBA{R: 150, B: 150, A: uint8(230 / sigmas)}, 1, false); err != nil {
					return err
				}
			}
		}
	}
	// Equal scales on both axes, so that the ellipses and turns keep their shapes.
	pl.X.Min, pl.X.Max, pl.Y.Min, pl.Y.Max = equalAxes(pl.X.Min, pl.X.Max, pl.Y.Min, pl.Y.Max)
	w, err := pl.WriterTo(7*vg.Inch, 7*vg.Inch, "png")
	if err != nil {
		return err
	}
	return atomicfile.Write(file, func(out io.Writer) error {
		_, err := w.WriteTo(out)
		return err
	})
}

func trajectoryXY(ps []traj.Point) plotter.XYs {
	xy := make(plotter.XYs, len(ps))
	for i, p := range ps {
		xy[i] = plotter.XY{X: p.XM, Y: p.YM}
	}
	return xy
}

func addLine(pl *plot.Plot, xy plotter.XYs, c color.Color, width float64, dashed bool) error {
	l, err := plotter.NewLine(xy)
	if err != nil {
		return err
	}
	l.Color, l.Width = c, vg.Points(width)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	}
	pl.Add(l)
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

func runPlanSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fluxcore plan sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: fluxcore plan sim --scenario s.json [--hz 10] [--seconds 20] [--out log.json] [--plot frames/]

Closed loop: every cycle the planner plans from the current state with the warm start, the
robot follows the chosen trajectory for one cycle, and the obstacles move along their
predicted means. Reports the collisions (there should be none) and the closest approach.`)
		fs.PrintDefaults()
	}
	var pf plannerFlags
	pf.register(fs, 1)
	hz := fs.Float64("hz", 10, "planning cycles per second (a cycle must be whole rollout steps)")
	seconds := fs.Float64("seconds", 20, "simulated time")
	out := fs.String("out", "", "write the log (state, costs and clearance per cycle) as JSON here")
	frames := fs.String("plot", "", "write one PNG per cycle into this directory")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	s, p, _, closeEngine, err := pf.open(ctx, fs, stderr)
	if err != nil {
		return err
	}
	defer closeEngine()
	if *frames != "" {
		if err := os.MkdirAll(*frames, 0o755); err != nil {
			return err
		}
	}
	log, err := traj.Simulate(ctx, p, s, *hz, *seconds, func(cycle, cycles int, cur *traj.Scenario, r *traj.Result) error {
		if cycle%10 == 0 || cycle == cycles {
			fmt.Fprintf(stderr, "plan sim: cycle %d/%d\n", cycle, cycles)
		}
		if *frames == "" {
			return nil
		}
		return plotPlan(ctx, filepath.Join(*frames, fmt.Sprintf("frame%04d.png", cycle)), p, cur, r)
	})
	if err != nil {
		return err
	}
	if *frames != "" {
		fmt.Fprintf(stdout, "wrote %d frames to %s\n", len(log.Steps), *frames)
	}
	end := log.Steps[len(log.Steps)-1]
	fmt.Fprintf(stdout, "%d cycles at %g Hz: %d collisions, closest approach %.3f m; at %.1f s the robot is at (%.2f, %.2f) m, v %.2f m/s\n",
		len(log.Steps), *hz, log.Collisions, log.ClosestApproachM, end.TS, end.Robot.XM, end.Robot.YM, end.Robot.VMps)
	if *out != "" {
		if err := writeJSON(*out, log); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s\n", *out)
	}
	return nil
}

// plannerFlags are the flags `plan` and `plan sim` share: the scenario and the planner's
// configuration.
type plannerFlags struct {
	engineFlags
	scenario string
	cfg      traj.Config
}

func (f *plannerFlags) register(fs *flag.FlagSet, refine int) {
	f.engineFlags.register(fs)
	f.cfg = traj.DefaultConfig
	fs.StringVar(&f.scenario, "scenario", "", "the scenario (JSON)")
	fs.IntVar(&f.cfg.Candidates, "candidates", f.cfg.Candidates, "candidates per cycle")
	fs.Uint64Var(&f.cfg.Seed, "seed", f.cfg.Seed, "seed of the Halton sampling")
	fs.IntVar(&f.cfg.RefineStages, "refine", refine, "refinement stages (0–3), each sampling half as many candidates again around the elite")
	fs.BoolVar(&f.cfg.Accurate, "accurate", false, "the accurate collision probability (16-point chord quadrature) instead of the fast one")
}

// open loads the scenario and opens the engine and a planner on it; close releases the
// engine.
func (f *plannerFlags) open(ctx context.Context, fs *flag.FlagSet, stderr io.Writer) (s *traj.Scenario, p *traj.Planner, backendName string, close func(), err error) {
	if f.scenario == "" {
		fmt.Fprintln(stderr, "--scenario is required")
		fs.Usage()
		return nil, nil, "", nil, errUsage
	}
	if f.cfg.Candidates < 1 {
		return nil, nil, "", nil, fmt.Errorf("--candidates %d, want ≥ 1", f.cfg.Candidates)
	}
	if s, err = traj.LoadScenario(f.scenario); err != nil {
		return nil, nil, "", nil, err
	}
	e, err := f.engineFlags.open()
	if err != nil {
		return nil, nil, "", nil, err
	}
	if p, err = traj.NewPlanner(ctx, e.Backend(), f.cfg); err != nil {
		e.Close()
		return nil, nil, "", nil, err
	}
	return s, p, e.Backend().Name(), func() { p.Close(); e.Close() }, nil
}

// writeJSON writes v, indented, to path atomically.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, append(data, '\n'))
}
