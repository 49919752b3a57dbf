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

func FuzzKalmanCommand(f *testing.F) {
	seedFiles(f, "../../testdata/hostile/kalman_[zonx]*.npz")
	dir := f.TempDir()
	in, out := filepath.Join(dir, "in.npz"), filepath.Join(dir, "out.npz")
	f.Fuzz(func(t *testing.T, raw []byte) {
		os.WriteFile(in, raw, 0o644)
		fuzzCLI(t, []string{"kalman", "--in", in, "--out", out}, out)
	})
}

func FuzzPlanCommand(f *testing.F) {
	seedFiles(f, "../../examples/corridor.json", "../../testdata/hostile/plan_[fmc]*.json")
	dir := f.TempDir()
	in, out := filepath.Join(dir, "s.json"), filepath.Join(dir, "out.json")
	f.Fuzz(func(t *testing.T, raw []byte) {
		os.WriteFile(in, raw, 0o644)
		fuzzCLI(t, []string{"plan", "--scenario", in, "--candidates", "128", "--out", out}, out)
	})
}

func FuzzConserveCommand(f *testing.F) {
	seedFiles(f, "../../testdata/hostile/conserve_mean*.npy", "../../testdata/hostile/conserve_G_bad.npy")
	dir := f.TempDir()
	mean, out := filepath.Join(dir, "mean.npy"), filepath.Join(dir, "mu.npy")
	h := "../../testdata/hostile/"
	f.Fuzz(func(t *testing.T, raw []byte) {
		os.WriteFile(mean, raw, 0o644)
		fuzzCLI(t, []string{"conserve", "--mean", mean, "--var", h + "conserve_var.npy", "--constraint", h + "conserve_G.npy",
			"--rhs", h + "conserve_b.npy", "--out-mean", out}, out)
	})
}

func FuzzFNOCommand(f *testing.F) {
	seedFiles(f, "../../engine/fno/testdata/golden/fno1d/input.npy", "../../testdata/hostile/input_[ntsfr]*.npy")
	dir := f.TempDir()
	in, out := filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy")
	model := "../../engine/fno/testdata/golden/fno1d/model.safetensors"
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !bytes.HasPrefix(raw, []byte("\x93NUMPY")) {
			return // the reader's own target covers the rest; spend the time on arrays that load
		}
		os.WriteFile(in, raw, 0o644)
		fuzzCLI(t, []string{"fno", "--model", model, "--input", in, "--output", out}, out)
	})
}
