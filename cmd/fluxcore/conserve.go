package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/conserve"
	"github.com/fluxcore/fluxcore/internal/npy"
)

// conserveFlags are the files of one `fluxcore conserve` call.
type conserveFlags struct {
	engineFlags
	mean, vars, cov, ens, g, rhs         string
	noiseVar                             float64
	outMean, outVar, outCov, outEnsemble string
}

func (f *conserveFlags) register(fs *flag.FlagSet) {
	f.engineFlags.register(fs)
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
	f.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if f.mean == "" || f.g == "" || f.rhs == "" || f.outMean == "" {
		fmt.Fprintln(stderr, "--mean, --constraint, --rhs and --out-mean are required")
		fs.Usage()
		return errUsage
	}
	in, err := f.read()
	if err != nil {
		return err
	}
	e, err := f.open()
	if err != nil {
		return err
	}
	defer e.Close()
	for _, a := range in.arrays {
		if a != nil && !a.Float32 {
			return conserveAs[float64](ctx, e, &f, in, stdout)
		}
	}
	return conserveAs[float32](ctx, e, &f, in, stdout)
}

// conserveInput are the arrays of a call, checked against each other's shapes.
type conserveInput struct {
	arrays                map[string]*npy.Array64 // by flag name; nil when not given
	slices, n, m, members int
	sharedG, sharedRHS    bool
}

func (f *conserveFlags) read() (*conserveInput, error) {
	in := &conserveInput{arrays: map[string]*npy.Array64{}}
	for _, p := range []struct{ flag, path string }{
		{"mean", f.mean}, {"var", f.vars}, {"cov", f.cov}, {"ensemble", f.ens}, {"constraint", f.g}, {"rhs", f.rhs},
	} {
		if p.path == "" {
			continue
		}
		a, err := npy.Read64(p.path)
		if err != nil {
			return nil, err
		}
		in.arrays[p.flag] = a
	}
	mean := in.arrays["mean"]
	if len(mean.Shape) != 2 {
		return nil, fmt.Errorf("--mean %s: shape %v, want [B, n]", f.mean, mean.Shape)
	}
	in.slices, in.n = mean.Shape[0], mean.Shape[1]
	if g := in.arrays["constraint"]; len(g.Shape) >= 2 {
		in.m = g.Shape[len(g.Shape)-2]
	}
	if u := in.arrays["ensemble"]; u != nil && len(u.Shape) == 3 {
		in.members = u.Shape[2]
	}
	b, n, m := in.slices, in.n, in.m
	want := map[string][][]int{
		"var": {{b, n}}, "cov": {{b, n, n}}, "ensemble": {{b, n, in.members}},
		"constraint": {{m, n}, {b, m, n}}, "rhs": {{m}, {b, m}},
	}
	paths := map[string]string{"var": f.vars, "cov": f.cov, "ensemble": f.ens, "constraint": f.g, "rhs": f.rhs}
	for _, flagName := range []string{"var", "cov", "ensemble", "constraint", "rhs"} {
		shapes := want[flagName]
		a := in.arrays[flagName]
		if a == nil {
			continue
		}
		matched := -1
		for i, s := range shapes {
			if slices.Equal(a.Shape, s) {
				matched = i
			}
		}
		if matched < 0 {
			return nil, fmt.Errorf("--%s %s: shape %v, want %s (from --mean %v%s)", flagName, paths[flagName], a.Shape,
				shapeChoices(shapes), mean.Shape, constraintNote(flagName, m))
		}
		switch flagName {
		case "constraint":
			in.sharedG = matched == 0
		case "rhs":
			in.sharedRHS = matched == 0
		}
	}
	return in, nil
}

func constraintNote(flagName string, m int) string {
	if flagName == "rhs" {
		return fmt.Sprintf(" and m = %d rows of --constraint", m)
	}
	return ""
}

func shapeChoices(shapes [][]int) string {
	s := make([]string, len(shapes))
	for i, sh := range shapes {
		s[i] = fmt.Sprint(sh)
	}
	return strings.Join(s, " or ")
}

func conserveAs[T conserve.Float](ctx context.Context, e *engine.Engine, f *conserveFlags, in *conserveInput, stdout io.Writer) error {
	conv := func(name string) []T {
		a := in.arrays[name]
		if a == nil {
			return nil
		}
		out := make([]T, len(a.Data))
		for i, v := range a.Data {
			out[i] = T(v)
		}
		return out
	}
	p := conserve.Problem[T]{
		Slices: in.slices, N: in.n, Constraints: in.m, Members: in.members,
		Mean: conv("mean"), Var: conv("var"), Cov: conv("cov"), Ensemble: conv("ensemble"),
		G: conv("constraint"), RHS: conv("rhs"), NoiseVar: f.noiseVar,
	}
	want := conserve.Want{Var: f.outVar != "", Cov: f.outCov != "", Ensemble: f.outEnsemble != ""}
	if want.Ensemble && p.Ensemble == nil {
		return errors.New("--out-ensemble needs --ensemble input")
	}
	res, err := conserve.Update(ctx, e.Backend(), p, want)
	if err != nil {
		return err
	}
	_, isF32 := any(T(0)).(float32)
	b, n := in.slices, in.n
	outputs := []struct {
		path  string
		data  []T
		shape []int
	}{
		{f.outMean, res.Mean, []int{b, n}}, {f.outVar, res.Var, []int{b, n}},
		{f.outCov, res.Cov, []int{b, n, n}}, {f.outEnsemble, res.Ensemble, []int{b, n, in.members}},
	}
	for _, o := range outputs {
		if o.path == "" {
			continue
		}
		a := &npy.Array64{Shape: o.shape, Data: make([]float64, len(o.data)), Float32: isF32}
		for i, v := range o.data {
			a.Data[i] = float64(v)
		}
		if err := npy.Write64(o.path, a); err != nil {
			return err
		}
	}
	form, _ := p.Form()
	fmt.Fprintf(stdout, "updated %d slices of %d points (%v covariance, %d constraints, σ² = %g) on %s\n",
		b, n, form, in.m, f.noiseVar, e.Backend().Name())
	return nil
}
