package main

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/fluxcore/fluxcore/engine/cpu"
	"github.com/fluxcore/fluxcore/internal/safetensors"
	"github.com/fluxcore/fluxcore/npy"
)

// stressRunsEnv sets how many runs per CPU variant TestStressSmallBatches makes on Go's heap;
// `make stress` asks for 300.
const stressRunsEnv = "FLUXCORE_STRESS_RUNS"

// TestStressSmallBatches runs `fluxcore fno` as its own process, as a user would, on one to
// three samples of a 1-D FNO (width 64, 16 modes, 500 points), many times on every CPU
// variant and both transforms. An out-of-bounds read in a kernel crashes such runs only when
// the buffer it overruns happens to end at an unmapped page, a few runs in a hundred; the
// runs with FLUXCORE_CPU_MEMORY=guard-end put every buffer there, so there it would crash
// every time. Every run must exit 0 and write its output.
func TestStressSmallBatches(t *testing.T) {
	runs := 12
	if s := os.Getenv(stressRunsEnv); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive count", stressRunsEnv, s)
		}
		runs = n
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "model.safetensors")
	writeStressModel(t, model, 64, 16)
	rng := rand.New(rand.NewPCG(3, 9))
	for batch := 1; batch <= 3; batch++ {
		input := npy.Array{Shape: []int{batch, 500, 1}, Data: make([]float32, batch*500)}
		for i := range input.Data {
			input.Data[i] = float32(rng.NormFloat64())
		}
		if err := npy.Write(filepath.Join(dir, fmt.Sprintf("input%d.npy", batch)), &input); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range cpu.Supported() {
		for _, memory := range []struct {
			name string
			runs int
		}{{"go", runs}, {"guard-end", max(6, runs/10)}} {
			crashes, failures := stressCLI(t, dir, model, v.String(), memory.name, memory.runs)
			t.Logf("cpu %s, memory %s: %d runs on 1 to 3 samples, %d crashes, %d other failures", v, memory.name, memory.runs, crashes, failures)
		}
	}
}

// stressCLI makes runs runs of the fno command on as many workers as there are CPUs, cycling
// through batch sizes 1 to 3 and the two transforms, and reports each failing run.
func stressCLI(t *testing.T, dir, model, variant, memory string, runs int) (crashes, failures int) {
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		next = make(chan int)
	)
	for range runtime.NumCPU() {
		wg.Go(func() {
			for i := range next {
				batch, transform := 1+i%3, []string{"dft", "fft"}[i/3%2]
				out := filepath.Join(dir, fmt.Sprintf("out-%s-%s-%d.npy", variant, memory, i))
				cmd := exec.Command(os.Args[0], "fno", "--model", model, "--input", filepath.Join(dir, fmt.Sprintf("input%d.npy", batch)),
					"--output", out, "--cpu", variant, "--transform", transform)
				cmd.Env = append(os.Environ(), cliChildEnv+"=1", cpu.EnvMemory+"="+memory)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				err := cmd.Run()
				_, statErr := os.Stat(out)
				os.Remove(out)
				if err == nil && statErr == nil {
					continue
				}
				crashed := strings.Contains(stderr.String(), "SIGSEGV") || strings.Contains(stderr.String(), "fatal error") ||
					strings.Contains(stderr.String(), "signal arrived")
				mu.Lock()
				if crashed {
					crashes++
				} else {
					failures++
				}
				mu.Unlock()
				t.Errorf("cpu %s, memory %s, %d samples, %s: %v (output: %v)\n%s", variant, memory, batch, transform, err, statErr,
					firstLines(stderr.String(), 12))
			}
		})
	}
	for i := range runs {
		next <- i
	}
	close(next)
	wg.Wait()
	return crashes, failures
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

// writeStressModel writes a FNO1d checkpoint in the reference scripts' layout (fc0, four
// spectral layers conv{i}.weights1 with their 1×1 convolutions w{i}, then fc1 and fc2) with
// weights drawn as the reference initializes them, scaled so that activations stay O(1).
func writeStressModel(t *testing.T, path string, width, modes int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	tensors, shapes := map[string][]float32{}, map[string][]int{}
	add := func(name string, scale float64, shape ...int) {
		n := 1
		for _, d := range shape {
			n *= d
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(scale * (2*rng.Float64() - 1))
		}
		tensors[name], shapes[name] = v, shape
	}
	add("fc0.weight", 1/math.Sqrt2, width, 2)
	add("fc0.bias", 1/math.Sqrt2, width)
	for i := range 4 {
		add(fmt.Sprintf("conv%d.weights1", i), 1/float64(width), width, width, modes, 2)
		add(fmt.Sprintf("w%d.weight", i), 1/math.Sqrt(float64(width)), width, width, 1)
		add(fmt.Sprintf("w%d.bias", i), 1/math.Sqrt(float64(width)), width)
	}
	add("fc1.weight", 1/math.Sqrt(float64(width)), 128, width)
	add("fc1.bias", 1/math.Sqrt(float64(width)), 128)
	add("fc2.weight", 1/math.Sqrt(128), 1, 128)
	add("fc2.bias", 1/math.Sqrt(128), 1)
	raw, err := safetensors.Encode(tensors, shapes, map[string]string{"arch": "FNO1d", "layout": "zongyi",
		"modes": strconv.Itoa(modes), "width": strconv.Itoa(width), "padding": "0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}
