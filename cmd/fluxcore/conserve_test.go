package main

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluxcore/fluxcore/npy"
)

// conserveFiles writes a small ensemble problem: 3 slices of 8 points, 4 members, one shared
// trapezoid-like row with a per-slice mass, means in float64 and the rest in float32.
func conserveFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	const b, n, mm = 3, 8, 4
	files := map[string]*npy.Array64{
		"mean":       {Shape: []int{b, n}},
		"ensemble":   {Shape: []int{b, n, mm}, Float32: true},
		"constraint": {Shape: []int{1, n}, Float32: true},
		"rhs":        {Shape: []int{b, 1}, Float32: true},
	}
	for i := range b * n {
		files["mean"].Data = append(files["mean"].Data, math.Sin(float64(i)))
		for l := range mm {
			files["ensemble"].Data = append(files["ensemble"].Data, math.Cos(float64(3*i+l))*float64(l-1))
		}
	}
	// Deviations from the members' mean.
	e := files["ensemble"].Data
	for row := range b * n {
		u := e[row*mm : (row+1)*mm]
		mu := (u[0] + u[1] + u[2] + u[3]) / mm
		for l := range u {
			u[l] = float64(float32(u[l] - mu))
		}
	}
	for i := range n {
		w := 1.0 / (n - 1)
		if i == 0 || i == n-1 {
			w /= 2
		}
		files["constraint"].Data = append(files["constraint"].Data, float64(float32(w)))
	}
	files["rhs"].Data = []float64{0.5, -0.25, 1}
	paths := map[string]string{}
	for name, a := range files {
		paths[name] = filepath.Join(dir, name+".npy")
		if err := npy.Write64(paths[name], a); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

func TestConserveCommand(t *testing.T) {
	dir := t.TempDir()
	in := conserveFiles(t, dir)
	out := func(name string) string { return filepath.Join(dir, "out_"+name+".npy") }
	code, stdout, stderr := runCLI(t, "conserve", "--mean", in["mean"], "--ensemble", in["ensemble"],
		"--constraint", in["constraint"], "--rhs", in["rhs"],
		"--out-mean", out("mean"), "--out-var", out("var"), "--out-ensemble", out("ensemble"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "updated 3 slices of 8 points (ensemble covariance, 1 constraints") {
		t.Errorf("stdout %q", stdout)
	}
	mean, err := npy.Read64(context.Background(), out("mean"))
	if err != nil {
		t.Fatal(err)
	}
	g, _ := npy.Read64(context.Background(), in["constraint"])
	if mean.Float32 || len(mean.Shape) != 2 || mean.Shape[0] != 3 || mean.Shape[1] != 8 {
		t.Fatalf("out mean: float32 %v, shape %v; want float64 (the mean was) [3 8]", mean.Float32, mean.Shape)
	}
	for s, b := range []float64{0.5, -0.25, 1} {
		mass := 0.0
		for i := range 8 {
			mass += g.Data[i] * mean.Data[s*8+i]
		}
		if math.Abs(mass-b) > 1e-9*max(1, math.Abs(b)) {
			t.Errorf("slice %d: G·μ̃ = %.15g, want %g", s, mass, b)
		}
	}
	ens, err := npy.Read64(context.Background(), out("ensemble"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ens.Shape) != 3 || ens.Shape[2] != 4 {
		t.Errorf("out ensemble shape %v, want [3 8 4]", ens.Shape)
	}
	// Exact constraint: every updated member has no component along G, so the variance of
	// the mass is 0.
	for s := range 3 {
		for l := range 4 {
			m := 0.0
			for i := range 8 {
				m += g.Data[i] * ens.Data[(s*8+i)*4+l]
			}
			if math.Abs(m) > 1e-9 {
				t.Errorf("slice %d member %d: G·ũ = %g, want 0", s, l, m)
			}
		}
	}
}

func TestConserveCommandErrors(t *testing.T) {
	dir := t.TempDir()
	in := conserveFiles(t, dir)
	outMean := filepath.Join(dir, "never.npy")
	bad := filepath.Join(dir, "bad.npy")
	if err := npy.Write64(bad, &npy.Array64{Shape: []int{3, 7}, Data: make([]float64, 21)}); err != nil {
		t.Fatal(err)
	}
	nan := filepath.Join(dir, "nan.npy")
	vals := make([]float64, 24)
	vals[13] = math.NaN()
	if err := npy.Write64(nan, &npy.Array64{Shape: []int{3, 8}, Data: vals}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"wrong var shape", []string{"--mean", in["mean"], "--var", bad}, "var " + bad + ": shape [3 7], want [3 8]"},
		{"NaN", []string{"--mean", nan, "--ensemble", in["ensemble"]}, "slice 1: mean[5] is NaN"},
		{"two forms", []string{"--mean", in["mean"], "--ensemble", in["ensemble"], "--cov", in["ensemble"]}, "cov "},
		{"ensemble out of variances", []string{"--mean", in["mean"], "--var", in["mean"], "--out-ensemble", filepath.Join(dir, "u.npy")}, "--out-ensemble needs --ensemble input"},
	} {
		args := append([]string{"conserve", "--constraint", in["constraint"], "--rhs", in["rhs"], "--out-mean", outMean}, c.args...)
		code, _, stderr := runCLI(t, args...)
		if code != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 and %q", c.name, code, stderr, c.want)
		}
		if _, err := os.Stat(outMean); err == nil {
			t.Fatalf("%s: an output was written for a failed call", c.name)
		}
	}
}
