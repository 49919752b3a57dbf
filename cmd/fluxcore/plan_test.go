package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every shipped scenario plans; the result JSON has the best trajectory over the horizon and
// the plot is written.
func TestPlanShippedScenarios(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"open_room", "corridor", "crossing", "doorway", "cluttered"} {
		out, plotPath := filepath.Join(dir, name+".json"), filepath.Join(dir, name+".png")
		code, stdout, stderr := runCLI(t, "plan", "--scenario", "../../examples/"+name+".json", "--candidates", "512",
			"--out", out, "--plot", plotPath)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, stderr)
		}
		if !strings.Contains(stdout, "512 candidates on cpu/") {
			t.Errorf("%s: stdout %q", name, stdout)
		}
		var res struct {
			Best      []struct{ TS float64 }
			BestCosts struct{ Feasible bool }
		}
		raw, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &res); err != nil {
			t.Fatal(err)
		}
		if len(res.Best) != 31 || res.Best[30].TS < 2.99 || !res.BestCosts.Feasible {
			t.Errorf("%s: %d points ending at %v s, feasible %v; want 31 to 3 s, feasible", name, len(res.Best), res.Best[len(res.Best)-1].TS, res.BestCosts.Feasible)
		}
		if st, err := os.Stat(plotPath); err != nil || st.Size() == 0 {
			t.Errorf("%s: no plot: %v", name, err)
		}
	}
}

func TestPlanErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"robot": {"footprint": {"radius_m": -1}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "plan", "--scenario", bad)
	if code != 1 || !strings.Contains(stderr, "robot.footprint.radius_m: -1, want > 0") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	code, _, _ = runCLI(t, "plan")
	if code != 2 {
		t.Errorf("no scenario: exit %d, want 2", code)
	}
}

func TestPlanSim(t *testing.T) {
	dir := t.TempDir()
	out, frames := filepath.Join(dir, "log.json"), filepath.Join(dir, "frames")
	code, stdout, stderr := runCLI(t, "plan", "sim", "--scenario", "../../examples/crossing.json", "--candidates", "256",
		"--seconds", "1", "--out", out, "--plot", frames)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "10 cycles at 10 Hz: 0 collisions") {
		t.Errorf("stdout %q", stdout)
	}
	var log struct {
		Steps []struct {
			ClearanceM float64 `json:"clearance_m"`
		}
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &log); err != nil || len(log.Steps) != 10 {
		t.Fatalf("log: %d steps, %v", len(log.Steps), err)
	}
	if entries, err := os.ReadDir(frames); err != nil || len(entries) != 10 {
		t.Errorf("frames: %d, %v; want 10", len(entries), err)
	}
	if code, _, stderr := runCLI(t, "plan", "sim", "--scenario", "../../examples/crossing.json", "--hz", "3"); code != 1 ||
		!strings.Contains(stderr, "not a whole number of 0.1 s rollout steps") {
		t.Errorf("--hz 3: exit %d, stderr %q", code, stderr)
	}
}
