package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/fluxcore/fluxcore/engine/traj"
	"github.com/fluxcore/fluxcore/internal/atomicfile"
	"github.com/fluxcore/fluxcore/internal/trajplot"
)

func runPlan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "sim" {
		return runPlanSim(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("fluxcore plan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: fluxcore plan --scenario s.json [--candidates N] [--top K] [--seed S] [--refine K] [--accurate] [--out result.json] [--plot plot.png]

One planning cycle of the risk-aware local planner: sample jerk-limited candidates, roll them
out, score each by survival-weighted progress against Gaussian obstacle predictions and the
other cost terms, and pick the best feasible one. The scenario schema is in the README.`)
		fs.PrintDefaults()
	}
	var pf plannerFlags
	pf.register(ctx, fs, 0)
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
	var outputs atomicfile.Set // the JSON and the plot, both or neither
	if *out != "" {
		if err := outputs.Add(*out, jsonWriter(res.Report(cfg, backendName))); err != nil {
			return err
		}
	}
	if *plotPath != "" {
		png, err := trajplot.Render(ctx, p, s, res, trajplot.Frame{})
		if err == nil {
			err = outputs.Add(*plotPath, png)
		}
		if err != nil {
			outputs.Discard()
			return fmt.Errorf("--plot %s: %w", *plotPath, err)
		}
	}
	if err := outputs.Commit(); err != nil {
		return err
	}
	for _, path := range []string{*out, *plotPath} {
		if path != "" {
			fmt.Fprintf(stdout, "wrote %s\n", path)
		}
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
	if r.Mode == traj.ModeHold {
		fmt.Fprintf(w, "at the goal on %s: stopping and holding\n", backendName)
	} else {
		fmt.Fprintf(w, "%d candidates on %s (%s collision form): best is candidate %d\n", r.Scored, backendName, form, r.Top[0].Index)
	}
	fmt.Fprintf(w, "  first step: v %.3f m/s, ω %.3f rad/s; after %.1f s at (%.2f, %.2f) m, θ %.2f rad, v %.2f m/s\n",
		first.VMps, first.OmegaRadps, last.TS, last.XM, last.YM, last.ThetaRad, last.VMps)
	fmt.Fprintf(w, "  cost %.4f = progress %.4f + path %.4f + smoothness %.4f + goal %.4f + heading %.4f + reverse %.4f + map %.4f + collision %.4f + caution %.4f\n",
		c.Total, c.Progress, c.PathDistance, c.Smoothness, c.Goal, c.Heading, c.Forward, c.Map, c.Collision, c.Caution)
	fmt.Fprintf(w, "  collision probability over the horizon %.4f\n", c.CollisionProb)
	t := r.Timings
	fmt.Fprintf(w, "  timings: sample %v, score %v, refine %v, select %v, best rolled out %v\n", t.Sample.Round(1000),
		t.Score.Round(1000), t.Refine.Round(1000), t.Select.Round(1000), t.Rollout.Round(1000))
}

func runPlanSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fluxcore plan sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: fluxcore plan sim --scenario s.json [--hz 10] [--seconds 20] [--safety-hz 50 | --latency 0.15] [--out log.json] [--plot frames/]

Closed loop: every cycle the planner plans from the current state with the warm start, the
robot follows the chosen trajectory for one cycle, and the obstacles move along their
predicted means. Reports the collisions (there should be none) and the closest approach.`)
		fs.PrintDefaults()
	}
	var pf plannerFlags
	pf.register(ctx, fs, 1)
	hz := fs.Float64("hz", 10, "planning cycles per second (a cycle must be whole rollout steps)")
	seconds := fs.Float64("seconds", 20, "simulated time")
	out := fs.String("out", "", "write the log (state, costs and clearance per cycle) as JSON here")
	frames := fs.String("plot", "", "write one PNG per cycle into this directory")
	latency := fs.Float64("latency", 0, "simulated delay (s) from measuring the state to a command taking effect; the scenario's latency_s is what the planner is told")
	safetyHz := fs.Float64("safety-hz", 0, "run the reactive safety layer at this rate (e.g. 50), braking when the plan in force would meet a person or the map before the robot could stop; 0 is off")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	s, p, backendName, closeEngine, err := pf.open(ctx, fs, stderr)
	if err != nil {
		return err
	}
	defer closeEngine()
	if *frames != "" {
		if err := os.MkdirAll(*frames, 0o755); err != nil {
			return err
		}
	}
	// The frames and the log are published together at the end: a run that fails or is
	// interrupted leaves neither, only whatever the directory held before.
	var outputs atomicfile.Set
	defer outputs.Discard()
	bounds := trajplot.SceneBounds(s, *seconds) // one scale for every frame
	log, err := traj.SimulateWith(ctx, p, s, traj.SimOptions{Hz: *hz, Seconds: *seconds, SafetyHz: *safetyHz, LatencyS: *latency, Observe: func(cycle, cycles int, cur *traj.Scenario, r *traj.Result) error {
		if cycle%10 == 0 || cycle == cycles {
			fmt.Fprintf(stderr, "plan sim: cycle %d/%d\n", cycle, cycles)
		}
		if *frames == "" {
			return nil
		}
		png, err := trajplot.Render(ctx, p, cur, r, trajplot.Frame{Label: true, TimeS: float64(cycle-1) / *hz, Bounds: &bounds})
		if err != nil {
			return err
		}
		return outputs.Add(filepath.Join(*frames, fmt.Sprintf("frame%04d.png", cycle)), png)
	}})
	if err != nil {
		return err
	}
	if *out != "" {
		if err := outputs.Add(*out, jsonWriter(log.Report(*hz, backendName))); err != nil {
			return err
		}
	}
	if err := outputs.Commit(); err != nil {
		return err
	}
	if *frames != "" {
		fmt.Fprintf(stdout, "wrote %d frames to %s\n", len(log.Steps), *frames)
	}
	end := log.Steps[len(log.Steps)-1]
	closest := "no obstacles"
	if !math.IsInf(log.ClosestApproachM, 1) {
		closest = fmt.Sprintf("closest approach %.3f m", log.ClosestApproachM)
	}
	fmt.Fprintf(stdout, "%d cycles at %g Hz: %d collisions, %s; at %.1f s the robot is at (%.2f, %.2f) m, v %.2f m/s (%s)\n",
		len(log.Steps), *hz, log.Collisions, closest, end.TS, end.Robot.XM, end.Robot.YM, end.Robot.VMps, end.Mode)
	if *safetyHz > 0 {
		fmt.Fprintf(stdout, "safety layer at %g Hz: braked in %d cycles\n", *safetyHz, log.SafetyBrakes)
	}
	if *out != "" {
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

func (f *plannerFlags) register(ctx context.Context, fs *flag.FlagSet, refine int) {
	f.engineFlags.register(ctx, fs)
	f.cfg = traj.DefaultConfig
	fs.StringVar(&f.scenario, "scenario", "", "the scenario (JSON)")
	fs.IntVar(&f.cfg.Candidates, "candidates", f.cfg.Candidates, "candidates per cycle (any count ≥ 1; rounded up to a multiple of 32)")
	fs.IntVar(&f.cfg.TopK, "top", f.cfg.TopK, fmt.Sprintf("the best candidates to report, 1..%d (at most the candidates scored)", traj.MaxTopK))
	fs.Uint64Var(&f.cfg.Seed, "seed", f.cfg.Seed, "seed of the Halton sampling")
	fs.IntVar(&f.cfg.RefineStages, "refine", refine, "refinement stages (0–3), each sampling half as many candidates again around the elite")
	fs.BoolVar(&f.cfg.Accurate, "accurate", false, "the accurate collision probability (16-point chord quadrature) instead of the fast one")
}

// open loads the scenario and opens the engine and a planner on it; close releases the
// engine.
func (f *plannerFlags) open(ctx context.Context, fs *flag.FlagSet, stderr io.Writer) (s *traj.Scenario, p *traj.Planner, backendName string, close func(), err error) {
	if err := requireFlags(fs, "scenario"); err != nil {
		return nil, nil, "", nil, err
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
	return atomicfile.Write(path, jsonWriter(v))
}

// jsonWriter writes v as indented JSON.
func jsonWriter(v any) func(io.Writer) error {
	return func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
}
