package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluxcore/fluxcore/internal/metrics"
	"github.com/fluxcore/fluxcore/internal/npy"
)

const golden = "../../engine/fno/testdata/golden/"

// The command reproduces a golden BOON case end to end: .npy in, .npy out.
func TestFNOCommandMatchesGolden(t *testing.T) {
	dir := golden + "boon1d_dirichlet/"
	out := filepath.Join(t.TempDir(), "y.npy")
	code, stdout, stderr := runCLI(t, "fno", "--model", dir+"model.safetensors", "--input", dir+"input.npy",
		"--left", dir+"left.npy", "--right", dir+"right.npy", "--output", out, "--batch-size", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "[3 64 1]") {
		t.Errorf("stdout %q does not report the output shape", stdout)
	}
	got, err := npy.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := npy.Read(dir + "output.npy")
	if err != nil {
		t.Fatal(err)
	}
	if e := metrics.RelL2(got.Data, want.Data); !(e <= 1e-5) {
		t.Errorf("relative L2 error %.3g against the reference", e)
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
			1, "--bc dirichlet needs --left and --right"},
		{[]string{"fno", "--model", golden + "fno1d/model.safetensors", "--input", golden + "fno1d/input.npy", "--output", out,
			"--bc", "neumann", "--stencil-left", "1,x"}, 1, `"x" is not a finite number`},
		{[]string{"fno", "--input", golden + "fno1d/input.npy"}, 2, "--model and --input are required"},
	} {
		code, _, stderr := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
	if _, err := npy.Read(out); err == nil {
		t.Error("a failed run left an output file behind")
	}
}
