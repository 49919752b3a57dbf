package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/cpu"
	"github.com/fluxcore/fluxcore/engine/cuda"
)

// cliChildEnv makes the test binary act as the fluxcore command itself, with its arguments
// as the command's: tests that need the real process (exit status, a crash's signal) run
// os.Args[0] with it set.
const cliChildEnv = "FLUXCORE_TEST_AS_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(cliChildEnv) == "1" {
		main()
	}
	os.Exit(m.Run())
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestInfoJSON(t *testing.T) {
	t.Setenv(engine.EnvDevice, "")
	t.Setenv(engine.EnvCPU, "")
	code, out, errOut := runCLI(t, "info", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		Backend string `json:"backend"`
		CPU     struct {
			Variant  string   `json:"variant"`
			Features []string `json:"features"`
			Model    string   `json:"model"`
		} `json:"cpu"`
		CUDA struct {
			Compiled  *bool           `json:"compiled"`
			Available *bool           `json:"available"`
			Reason    string          `json:"reason"`
			Devices   json.RawMessage `json:"devices"`
		} `json:"cuda"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if got.CPU.Variant != cpu.Best().String() || got.CPU.Model == "" || len(got.CPU.Features) == 0 {
		t.Errorf("cpu section %+v", got.CPU)
	}
	if got.CUDA.Compiled == nil || *got.CUDA.Compiled != cuda.Compiled || got.CUDA.Available == nil || got.CUDA.Reason == "" {
		t.Errorf("cuda section %+v", got.CUDA)
	}
	if string(got.CUDA.Devices) == "null" {
		t.Error(`"devices" is null, want a list`)
	}
	if !cuda.Probe().Available && got.Backend != "cpu" {
		t.Errorf("backend %q without a CUDA device, want cpu", got.Backend)
	}
}

// With a model and grid, info says which transform the runner would use, and forcing one
// through FLUXCORE_FFT shows in the answer.
func TestInfoShowsTransformChoice(t *testing.T) {
	model := "../../engine/fno/testdata/golden/fno1d/model.safetensors"
	// 1024 points keeping 8 modes: the truncated DFT costs a quarter of the FFT.
	code, out, errOut := runCLI(t, "info", "--model", model, "--grid", "1024")
	if code != 0 || !strings.Contains(out, "transform truncated-dft (cost model: truncated dft") {
		t.Errorf("exit %d, stdout %q, stderr %q: want the truncated DFT and its costs", code, out, errOut)
	}
	t.Setenv("FLUXCORE_FFT", "fft")
	code, out, errOut = runCLI(t, "info", "--json", "--model", model, "--grid", "1024")
	if code != 0 || !strings.Contains(out, `"transform": "fft"`) {
		t.Errorf("exit %d, stdout %q, stderr %q: want the forced FFT", code, out, errOut)
	}
	if code, _, errOut = runCLI(t, "info", "--model", model); code == 0 || !strings.Contains(errOut, "--grid") {
		t.Errorf("exit %d, stderr %q: want an error naming --grid", code, errOut)
	}
}

func TestInfoHonoursVariantVariable(t *testing.T) {
	t.Setenv(engine.EnvCPU, "generic")
	code, out, _ := runCLI(t, "info", "--json", "--device", "cpu")
	if code != 0 || !strings.Contains(out, `"variant": "generic"`) {
		t.Errorf("exit %d, output %s: want variant generic", code, out)
	}
}

func TestExplicitCUDAFailsWithReason(t *testing.T) {
	probe := cuda.Probe()
	if probe.Available {
		t.Skip("this machine has a CUDA device")
	}
	t.Setenv(engine.EnvDevice, "cuda")
	code, _, errOut := runCLI(t, "info")
	if code != 1 || !strings.Contains(errOut, probe.Reason) {
		t.Errorf("exit %d, stderr %q: want 1 and the reason %q", code, errOut, probe.Reason)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"frobnicate"}, {"info", "--no-such-flag"}, {"info", "extra"}, {"bench", "--suite", "nope"}, {"bench", "--iters", "0"}} {
		code, _, errOut := runCLI(t, args...)
		if code == 0 || errOut == "" {
			t.Errorf("%q: exit %d, stderr %q; want a failure that says why", args, code, errOut)
		}
	}
}

// benchJSON runs `fluxcore bench` with args and --json, and returns the report it wrote.
func benchJSON(t *testing.T, args ...string) benchReport {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bench.json")
	code, out, errOut := runCLI(t, append(append([]string{"bench", "--device", "cpu"}, args...), "--json", path)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var report benchReport
	if err := json.Unmarshal(data, &report); err != nil {
		t.Fatalf("%v; stdout %s", err, out)
	}
	return report
}

func TestBenchWritesJSON(t *testing.T) {
	report := benchJSON(t, "--iters", "2")
	if len(report.Mix) != 3 || report.PeakGFLOPS <= 0 || report.Mix[0].GFLOPS <= 0 {
		t.Errorf("report %+v", report)
	}
}

func TestBenchCovWritesJSON(t *testing.T) {
	report := benchJSON(t, "--suite", "cov", "--iters", "1")
	if len(report.Cov) != 5 || report.CopyGBps <= 0 {
		t.Fatalf("report %+v", report)
	}
	for _, r := range report.Cov {
		if r.UpdatesPerSec <= 0 || r.PctCopy <= 0 {
			t.Errorf("case %s: %+v", r.Case, r)
		}
	}
}

func TestBenchTrajWritesJSON(t *testing.T) {
	report := benchJSON(t, "--suite", "traj", "--iters", "1", "--max-candidates", "256")
	if len(report.Traj) != 12 {
		t.Fatalf("%d cases, want the 12 of 256 candidates", len(report.Traj))
	}
	for _, r := range report.Traj {
		if r.MedianMs <= 0 || r.CandidatesPer <= 0 || r.Collision != "fast" {
			t.Errorf("case %+v", r)
		}
	}
}
