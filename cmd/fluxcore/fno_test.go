package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluxcore/fluxcore/internal/metrics"
	"github.com/fluxcore/fluxcore/npy"
)

const golden = "../../engine/fno/testdata/golden/"

// The command reproduces golden BOON cases end to end, .npy in, .npy out, with batches
// smaller than the input so that the face data are split per sample: 1-D Dirichlet values,
// 2-D Neumann fluxes per face point, and 3-D Dirichlet values on both corrected axes.
func TestFNOCommandMatchesGolden(t *testing.T) {
	for _, c := range []struct {
		name, shape string
		args        []string
	}{
		{"boon1d_dirichlet", "[3 64 1]", []string{"--left", "left.npy", "--right", "right.npy"}},
		{"boon2d_neumann", "[2 12 10 1]", []string{"--flux-left", "flux_left.npy", "--flux-right", "flux_right.npy",
			"--stencil-left", "1,-1", "--stencil-right", "-0.18181818181818182,0.8181818181818182,-1.6363636363636365,0.04958677685950413"}},
		{"boon3d_dirichlet", "[2 8 7 6 1]", []string{"--left", "left.npy", "--right", "right.npy", "--top", "top.npy", "--down", "down.npy"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := golden + c.name + "/"
			out := filepath.Join(t.TempDir(), "y.npy")
			args := []string{"fno", "--model", dir + "model.safetensors", "--input", dir + "input.npy", "--output", out, "--batch-size", "1"}
			for _, a := range c.args {
				if strings.HasSuffix(a, ".npy") { // a file of the case
					a = dir + a
				}
				args = append(args, a)
			}
			code, stdout, stderr := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(stdout, c.shape) {
				t.Errorf("stdout %q does not report the output shape %s", stdout, c.shape)
			}
			got, err := npy.Read(context.Background(), out)
			if err != nil {
				t.Fatal(err)
			}
			want, err := npy.Read(context.Background(), dir+"output.npy")
			if err != nil {
				t.Fatal(err)
			}
			if e := metrics.RelL2(got.Data, want.Data); !(e <= 1e-5) {
				t.Errorf("relative L2 error %.3g against the reference", e)
			}
		})
	}
}

func TestFNOCommandErrors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "y.npy")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"fno", "--model", golden + "fno2d/model.safetensors", "--input", golden + "fno1d/input.npy", "--output", out},
			1, "shape [3 64 1], want [batch, n, n, 1]"},
		{[]string{"fno", "--model", golden + "boon1d_dirichlet/model.safetensors", "--input", golden + "fno1d/input.npy", "--output", out},
			1, "a dirichlet condition needs the left and right face values"},
		{[]string{"fno", "--model", golden + "fno1d/model.safetensors", "--input", golden + "fno1d/input.npy", "--output", out,
			"--bc", "neumann", "--stencil-left", "1,x"}, 1, `"x" is not a finite number`},
		{[]string{"fno", "--input", golden + "fno1d/input.npy"}, 2, "--model and --input are required"},
	} {
		code, _, stderr := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
	if _, err := npy.Read(context.Background(), out); err == nil {
		t.Error("a failed run left an output file behind")
	}
}
