package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"

	"github.com/fluxcore/fluxcore/internal/experiments/gpme"
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
	ef.register(ctx, fs)
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
		if err := rep.Plot(*plotPath); err != nil {
			return fmt.Errorf("--plot %s: %w", *plotPath, err)
		}
		fmt.Fprintf(stderr, "gpme: wrote %s\n", *plotPath)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.Print(stdout, cfg, e.Backend().Name())
	return nil
}
