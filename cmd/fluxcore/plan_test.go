package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluxcore/fluxcore/engine/traj"
	"github.com/fluxcore/fluxcore/internal/schematest"
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
			Schema string `json:"schema"`
			Best   []struct {
				TS float64 `json:"t_s"`
			} `json:"best_trajectory"`
			BestCosts struct {
				Feasible bool `json:"feasible"`
			} `json:"best_costs"`
		}
		raw := validOutput(t, "plan", out)
		if err := json.Unmarshal(raw, &res); err != nil {
			t.Fatal(err)
		}
		if res.Schema != traj.PlanSchema || len(res.Best) != 31 || res.Best[30].TS < 2.99 || !res.BestCosts.Feasible {
			t.Errorf("%s: schema %q, %d points ending at %v s, feasible %v; want 31 to 3 s, feasible", name, res.Schema,
				len(res.Best), res.Best[len(res.Best)-1].TS, res.BestCosts.Feasible)
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
	raw := validOutput(t, "plan-sim", out)
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

// validOutput reads the JSON file path and validates it, strictly decoded, against the
// shipped JSON Schema name.
func validOutput(t *testing.T, name, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	schemas := schematest.Compile(t, traj.JSONSchema, "plan", "plan-sim")
	schematest.Validate(t, schemas[name], path, raw)
	return raw
}

// plan sim --out works without obstacles (a closest approach to nothing is null, not +Inf)
// and at the goal, and small configurations plan: a few candidates, a top count above them,
// a horizon shorter than the segments.
func TestPlanSmallAndEmpty(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"open_room", "doorway"} {
		out := filepath.Join(dir, name+".json")
		code, stdout, stderr := runCLI(t, "plan", "sim", "--scenario", "../../examples/"+name+".json", "--candidates", "64",
			"--seconds", "30", "--safety-hz", "50", "--out", out)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, stderr)
		}
		if !strings.Contains(stdout, "no obstacles") || !strings.Contains(stdout, "(hold)") ||
			!strings.Contains(stdout, "safety layer at 50 Hz: braked in 0 cycles") {
			t.Errorf("%s: stdout %q", name, stdout)
		}
		validOutput(t, "plan-sim", out)
	}
	for _, n := range []string{"1", "2", "3", "7"} {
		if code, _, stderr := runCLI(t, "plan", "--scenario", "../../examples/crossing.json", "--candidates", n); code != 0 {
			t.Errorf("--candidates %s: exit %d: %s", n, code, stderr)
		}
	}
	if code, _, stderr := runCLI(t, "plan", "--scenario", "../../examples/crossing.json", "--candidates", "5", "--top", "40"); code != 0 {
		t.Errorf("--top 40 of 5: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "plan", "--scenario", "../../examples/crossing.json", "--top", "5000"); code != 1 ||
		!strings.Contains(stderr, "top 5000 candidates, want 1..1024") {
		t.Errorf("--top 5000: exit %d: %s", code, stderr)
	}
	raw, err := os.ReadFile("../../examples/open_room.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, seconds := range []float64{0.1, 0.2, 0.3} {
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		doc["horizon"] = map[string]any{"duration_s": seconds, "dt_s": 0.1}
		body, _ := json.Marshal(doc)
		short := filepath.Join(dir, "short.json")
		if err := os.WriteFile(short, body, 0o644); err != nil {
			t.Fatal(err)
		}
		if code, _, stderr := runCLI(t, "plan", "--scenario", short); code != 0 {
			t.Errorf("a %g s horizon: exit %d: %s", seconds, code, stderr)
		}
	}
}

// Bad closed-loop settings and scenario values are refused with the value and the limit.
func TestPlanSimBadSettings(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--safety-hz", "-1"}, "safety layer at -1 Hz, want 0 (off) to 1000"},
		{[]string{"--latency", "5"}, "simulated latency 5 s, want 0..1 s"},
		{[]string{"--latency", "0.1", "--safety-hz", "50"}, "no safety layer with it"},
	} {
		args := append([]string{"plan", "sim", "--scenario", "../../examples/crossing.json", "--seconds", "1"}, c.args...)
		if code, _, stderr := runCLI(t, args...); code != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", c.args, code, stderr, c.want)
		}
	}
	raw, err := os.ReadFile("../../examples/crossing.json")
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		`"latency_s": 2`: "latency_s: 2 s, want 0..1 s",
		`"caution": {"speed_mps": -1, "distance_m": 0.5}`:   "caution.speed_mps: -1, want ≥ 0",
		`"caution": {"speed_mps": 0.4, "distance_m": 1000}`: "caution.distance_m: 1000 m exceeds limit 100 m",
	} {
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		var extra map[string]any
		if err := json.Unmarshal([]byte("{"+key+"}"), &extra); err != nil {
			t.Fatal(err)
		}
		for k, v := range extra {
			doc[k] = v
		}
		body, _ := json.Marshal(doc)
		path := filepath.Join(t.TempDir(), "s.json")
		if err := os.WriteFile(path, body, 0o644); err != nil {
			t.Fatal(err)
		}
		if code, _, stderr := runCLI(t, "plan", "--scenario", path); code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("%s: exit %d, stderr %q; want %q", key, code, stderr, want)
		}
	}
}
