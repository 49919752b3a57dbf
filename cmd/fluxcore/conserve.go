package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/fluxcore/fluxcore/engine/conserve"
	"github.com/fluxcore/fluxcore/internal/atomicfile"
	"github.com/fluxcore/fluxcore/npy"
)

// conserveFlags are the files of one `fluxcore conserve` call.
type conserveFlags struct {
	engineFlags
	mean, vars, cov, ens, g, rhs         string
	noiseVar                             float64
	outMean, outVar, outCov, outEnsemble string
}

func (f *conserveFlags) register(ctx context.Context, fs *flag.FlagSet) {
	f.engineFlags.register(ctx, fs)
	fs.StringVar(&f.mean, "mean", "", "the means μ, [B, n] (.npy, float32 or float64)")
	fs.StringVar(&f.vars, "var", "", "the variances, [B, n]: a diagonal Σ, or with --ensemble its extra diagonal D")
	fs.StringVar(&f.cov, "cov", "", "full covariances Σ, [B, n, n]")
	fs.StringVar(&f.ens, "ensemble", "", "ensemble deviations U from the members' mean, [B, n, M]: Σ = UUᵀ/(M−1) (+ D)")
	fs.StringVar(&f.g, "constraint", "", "constraint rows G, [m, n] (shared by every slice) or [B, m, n]")
	fs.StringVar(&f.rhs, "rhs", "", "right-hand sides b of G·u = b, [m] (shared) or [B, m]")
	fs.Float64Var(&f.noiseVar, "noise-var", 0, "constraint noise variance σ² ≥ 0 (0: exact)")
	fs.StringVar(&f.outMean, "out-mean", "", "write the updated means μ̃ here, [B, n]")
	fs.StringVar(&f.outVar, "out-var", "", "write the updated marginal variances diag(Σ̃) here, [B, n]")
	fs.StringVar(&f.outCov, "out-cov", "", "write the updated covariances Σ̃ (exactly symmetric) here, [B, n, n]")
	fs.StringVar(&f.outEnsemble, "out-ensemble", "", "write the updated ensemble deviations here, [B, n, M] (--ensemble only)")
}

func runConserve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "gpme" {
		return runGPME(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("fluxcore conserve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: fluxcore conserve --mean mu.npy (--var var.npy | --cov cov.npy | --ensemble U.npy [--var D.npy])
         --constraint G.npy --rhs b.npy [--noise-var s2] --out-mean out_mu.npy
         [--out-var out_var.npy] [--out-cov out_cov.npy] [--out-ensemble out_U.npy]

ProbConserv's update of B slices of n points by m linear constraints G·u = b:
  μ̃ = μ − ΣGᵀA⁻¹(Gμ − b),  Σ̃ = Σ − ΣGᵀA⁻¹GΣ,  A = σ²I + GΣGᵀ
computed in float64 (Cholesky). Outputs are float64 if any input is, float32 otherwise.`)
		fs.PrintDefaults()
	}
	var f conserveFlags
	f.register(ctx, fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireFlags(fs, "mean", "constraint", "rhs", "out-mean"); err != nil {
		return err
	}
	if f.outEnsemble != "" && f.ens == "" {
		return errors.New("--out-ensemble needs --ensemble input")
	}
	in, err := conserve.Files{Mean: f.mean, Var: f.vars, Cov: f.cov, Ensemble: f.ens, G: f.g, RHS: f.rhs}.Read(ctx)
	if err != nil {
		return err
	}
	e, err := f.open()
	if err != nil {
		return err
	}
	defer e.Close()
	want := conserve.Want{Var: f.outVar != "", Cov: f.outCov != "", Ensemble: f.outEnsemble != ""}
	res, err := in.Update(ctx, e.Backend(), f.noiseVar, want)
	if err != nil {
		return err
	}
	var outputs atomicfile.Set // every output, or none when one of them cannot be written
	for _, o := range []struct {
		path string
		a    *npy.Array64
	}{{f.outMean, res.Mean}, {f.outVar, res.Var}, {f.outCov, res.Cov}, {f.outEnsemble, res.Ensemble}} {
		if o.path == "" {
			continue
		}
		if err := outputs.AddBytes(o.path, npy.Encode64(o.a)); err != nil {
			return err
		}
	}
	if err := outputs.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "updated %d slices of %d points (%v covariance, %d constraints, σ² = %g) on %s\n",
		in.Slices, in.N, res.Form, in.Constraints, f.noiseVar, e.Backend().Name())
	return nil
}
