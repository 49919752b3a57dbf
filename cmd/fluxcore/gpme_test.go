package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The JSON report has the fields, the update imposes the mass exactly, and the
// plot is written.
func TestGPMECommandJSON(t *testing.T) {
	plotPath := filepath.Join(t.TempDir(), "pme.png")
	code, stdout, stderr := runCLI(t, "conserve", "gpme", "--problem", "pme", "--param", "2", "--seed", "3",
		"--samples", "200", "--plot", plotPath, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Before, After struct{ MSE, CE, LL *float64 }
		Shock         *struct{ True, Mean, Std *float64 }
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v in %s", err, stdout)
	}
	for name, v := range map[string]*float64{
		"before.mse": rep.Before.MSE, "before.ce": rep.Before.CE, "before.ll": rep.Before.LL,
		"after.mse": rep.After.MSE, "after.ce": rep.After.CE, "after.ll": rep.After.LL,
	} {
		if v == nil || math.IsNaN(*v) {
			t.Errorf("%s missing or NaN in %s", name, stdout)
		}
	}
	if rep.After.CE != nil && math.Abs(*rep.After.CE) > 1e-9 {
		t.Errorf("after.ce = %g, want |CE| ≤ 1e-9", *rep.After.CE)
	}
	if rep.Shock == nil || rep.Shock.True == nil || *rep.Shock.True != 0.5 || rep.Shock.Mean == nil || rep.Shock.Std == nil {
		t.Errorf("shock %+v, want true = 0.5 (the PME front at t* = 0.5) with mean and std", rep.Shock)
	}
	if st, err := os.Stat(plotPath); err != nil || st.Size() == 0 {
		t.Errorf("plot not written: %v", err)
	}
}

func TestGPMECommandErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--problem", "heat"}, 2, `--problem "heat"`},
		{[]string{"--problem", "stefan", "--param", "1.5"}, 1, "p* = 1.5, want 0 < p* < 1"},
		{[]string{"--problem", "pme", "--samples", "1"}, 1, "1 samples, want ≥ 2"},
	} {
		code, _, stderr := runCLI(t, append([]string{"conserve", "gpme"}, c.args...)...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
}
