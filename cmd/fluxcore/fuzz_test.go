package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/fluxcore/fluxcore/npy"
)

// fuzzBudget is the --mem-budget of every fuzzed command: small, so that the check that a
// run stays within it is quick to trip.
const (
	fuzzBudget     = 32 << 20
	fuzzBudgetFlag = "32MiB"
	fuzzRunLimit   = 20 * time.Second
)

// fuzzCLI runs the command on one fuzzed file and checks the invariants every input must
// keep: no panic (which fails the fuzz run by itself), an exit status of 0, 1 or 2, memory
// within the budget (the budget covers what the input decides; the process's own buffers
// come on top), and, on success, outputs without NaN or infinity.
func fuzzCLI(t *testing.T, args []string, outputs ...string) {
	for _, o := range outputs {
		os.Remove(o)
	}
	// A hang is a finding too: the fuzzer has no per-input timeout, so a watchdog crashes the
	// worker, which makes the fuzzer save the input.
	watchdog := time.AfterFunc(fuzzRunLimit, func() { panic(fmt.Sprintf("%v ran longer than %v", args, fuzzRunLimit)) })
	defer watchdog.Stop()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	code := run(context.Background(), append(args, "--mem-budget", fuzzBudgetFlag, "--device", "cpu"), io.Discard, io.Discard)
	runtime.ReadMemStats(&after)
	if code < 0 || code > 2 {
		t.Fatalf("exit status %d", code)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4*fuzzBudget {
		t.Fatalf("the run allocated %d MiB under a budget of %d MiB", grew>>20, fuzzBudget>>20)
	}
	if code != 0 {
		return
	}
	for _, o := range outputs {
		checkFiniteOutput(t, o)
	}
}

// checkFiniteOutput fails on a NaN or an infinity in an .npy, .npz or JSON output.
func checkFiniteOutput(t *testing.T, path string) {
	var values []float64
	switch filepath.Ext(path) {
	case ".npy":
		a, err := npy.Read64(context.Background(), path)
		if err != nil {
			t.Fatalf("output %s: %v", path, err)
		}
		values = a.Data
	case ".npz":
		arrays, _ := npy.ReadNPZ(context.Background(), path) // status is int32; x and P are what matter
		for _, a := range arrays {
			values = append(values, a.Data...)
		}
	case ".json":
		raw, err := os.ReadFile(path)
		if err != nil || !json.Valid(raw) {
			t.Fatalf("output %s is not valid JSON: %v", path, err)
		}
	}
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("exit 0 with %v at %d of %s", v, i, path)
		}
	}
}

func seedFiles(f *testing.F, patterns ...string) {
	for _, p := range patterns {
		paths, _ := filepath.Glob(p)
		for _, path := range paths {
			if raw, err := os.ReadFile(path); err == nil && len(raw) < 64<<10 {
				f.Add(raw)
			}
		}
	}
}

// fuzzFile fuzzes a command through one input file: each input is written to in (named
// inName in a temporary directory) and the command args(in, out) run on it by fuzzCLI.
// loads, if not nil, leaves out the inputs another target covers.
func fuzzFile(f *testing.F, inName, outName string, loads func(raw []byte) bool, args func(in, out string) []string) {
	dir := f.TempDir()
	in, out := filepath.Join(dir, inName), filepath.Join(dir, outName)
	f.Fuzz(func(t *testing.T, raw []byte) {
		if loads != nil && !loads(raw) {
			return
		}
		if err := os.WriteFile(in, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		fuzzCLI(t, args(in, out), out)
	})
}

func FuzzKalmanCommand(f *testing.F) {
	seedFiles(f, "../../testdata/hostile/kalman_[zonx]*.npz")
	fuzzFile(f, "in.npz", "out.npz", nil, func(in, out string) []string {
		return []string{"kalman", "--in", in, "--out", out}
	})
}

func FuzzPlanCommand(f *testing.F) {
	seedFiles(f, "../../examples/corridor.json", "../../testdata/hostile/plan_[fmc]*.json")
	fuzzFile(f, "s.json", "out.json", nil, func(in, out string) []string {
		return []string{"plan", "--scenario", in, "--candidates", "128", "--out", out}
	})
}

func FuzzConserveCommand(f *testing.F) {
	seedFiles(f, "../../testdata/hostile/conserve_mean*.npy", "../../testdata/hostile/conserve_G_bad.npy")
	h := "../../testdata/hostile/"
	fuzzFile(f, "mean.npy", "mu.npy", nil, func(in, out string) []string {
		return []string{"conserve", "--mean", in, "--var", h + "conserve_var.npy", "--constraint", h + "conserve_G.npy",
			"--rhs", h + "conserve_b.npy", "--out-mean", out}
	})
}

func FuzzFNOCommand(f *testing.F) {
	seedFiles(f, "../../engine/fno/testdata/golden/fno1d/input.npy", "../../testdata/hostile/input_[ntsfr]*.npy")
	model := "../../engine/fno/testdata/golden/fno1d/model.safetensors"
	// The reader's own target covers the rest; spend the time on arrays that load.
	isNPY := func(raw []byte) bool { return bytes.HasPrefix(raw, []byte("\x93NUMPY")) }
	fuzzFile(f, "x.npy", "y.npy", isNPY, func(in, out string) []string {
		return []string{"fno", "--model", model, "--input", in, "--output", out}
	})
}
