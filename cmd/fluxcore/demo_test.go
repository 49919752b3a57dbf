package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// The shipped model predicts the held-out heat solutions; BOON's correction makes the flux
// through the insulated ends vanish (to float rounding of the stencil), which the plain FNO
// does not; and the plot is a PNG.
func TestDemoFNO(t *testing.T) {
	png := filepath.Join(t.TempDir(), "heat.png")
	code, stdout, stderr := runCLI(t, "demo", "fno", "--plot", png)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	row := func(label string) (relL2, fluxLeft, fluxRight float64) {
		m := regexp.MustCompile(regexp.QuoteMeta(label) + `\s+(\S+)\s+(\S+)\s+(\S+)`).FindStringSubmatch(stdout)
		if m == nil {
			t.Fatalf("no %q row in:\n%s", label, stdout)
		}
		var v [3]float64
		for i := range v {
			var err error
			if v[i], err = strconv.ParseFloat(m[i+1], 64); err != nil {
				t.Fatalf("%q row: %v", label, err)
			}
		}
		return v[0], v[1], v[2]
	}
	plainErr, plainLeft, _ := row("plain FNO")
	boonErr, boonLeft, boonRight := row("FNO + BOON (--bc neumann)")
	// The model was trained without the corrections, which then change every hidden
	// layer's boundary rows: the corrected prediction is held to a looser bound.
	if plainErr > 0.05 || !(boonErr < 0.5) {
		t.Errorf("relative L2 errors %.3g (plain) and %.3g (BOON), want ≤ 0.05 and < 0.5", plainErr, boonErr)
	}
	if boonLeft > 1e-4 || boonRight > 1e-4 {
		t.Errorf("BOON leaves a flux of %.3g (left) and %.3g (right), want ≤ 1e-4", boonLeft, boonRight)
	}
	if plainLeft < 10*boonLeft {
		t.Errorf("plain flux %.3g is not clearly above BOON's %.3g", plainLeft, boonLeft)
	}
	data, err := os.ReadFile(png)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("%s is not a PNG", png)
	}
}
