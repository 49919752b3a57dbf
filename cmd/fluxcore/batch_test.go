package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fluxcore/fluxcore/npy"
)

const boonGolden = "../../engine/fno/testdata/golden/boon1d_dirichlet"

// boonInputs writes n samples of the BOON Dirichlet golden's shape, with face values, and
// returns the flags that run them.
func boonInputs(t *testing.T, dir string, n int) []string {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, uint64(n)))
	arr := func(name string, shape ...int) string {
		size := 1
		for _, d := range shape {
			size *= d
		}
		data := make([]float32, size)
		for i := range data {
			data[i] = float32(rng.NormFloat64())
		}
		path := filepath.Join(dir, name)
		if err := npy.Write(path, &npy.Array{Shape: shape, Data: data}); err != nil {
			t.Fatal(err)
		}
		return path
	}
	return []string{"--model", filepath.Join(boonGolden, "model.safetensors"), "--input", arr("x.npy", n, 64, 1),
		"--bc", "dirichlet", "--left", arr("left.npy", n, 1), "--right", arr("right.npy", n, 1)}
}

func readNPY(t *testing.T, path string) *npy.Array {
	t.Helper()
	a, err := npy.Read(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func sameBits(t *testing.T, what string, got, want *npy.Array) {
	t.Helper()
	if fmt.Sprint(got.Shape) != fmt.Sprint(want.Shape) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape, want.Shape)
	}
	for i := range want.Data {
		if got.Data[i] != want.Data[i] {
			t.Fatalf("%s: value %d = %v, `fluxcore fno` gives %v", what, i, got.Data[i], want.Data[i])
		}
	}
}

// Any sharding and chunking, merged, equals `fluxcore fno` on the whole input to the bit,
// boundary data included: samples are computed independently, so chunks change nothing.
func TestBatchFNOMatchesFNO(t *testing.T) {
	dir := t.TempDir()
	flags := boonInputs(t, dir, 53)
	ref := filepath.Join(dir, "ref.npy")
	if code, _, stderr := runCLI(t, append([]string{"fno", "--output", ref, "--batch-size", "8"}, flags...)...); code != 0 {
		t.Fatalf("fno: %s", stderr)
	}
	want := readNPY(t, ref)
	for _, c := range []struct {
		shards    int
		chunkSize string
	}{{1, "0"}, {3, "7"}, {5, "1"}, {4, "60"}} {
		out := filepath.Join(t.TempDir(), "out")
		for i := range c.shards {
			args := append([]string{"batch", "fno", "--out-dir", out, "--shard", fmt.Sprintf("%d/%d", i, c.shards),
				"--chunk-size", c.chunkSize, "--batch-size", "8"}, flags...)
			if code, _, stderr := runCLI(t, args...); code != 0 {
				t.Fatalf("batch fno shard %d/%d: %s", i, c.shards, stderr)
			}
		}
		merged := filepath.Join(t.TempDir(), "y.npy")
		code, stdout, stderr := runCLI(t, "batch", "merge", "--out-dir", out, "--output", merged)
		if code != 0 {
			t.Fatalf("merge: %s", stderr)
		}
		if !strings.Contains(stdout, "wrote "+merged+" [53 64 1]") {
			t.Errorf("merge says %q", stdout)
		}
		sameBits(t, fmt.Sprintf("%d shards, chunk size %s", c.shards, c.chunkSize), readNPY(t, merged), want)
	}
}

// A rerun into the same directory with another chunk size or boundary condition is
// refused by name; --force starts over.
func TestBatchFNORefusesAnotherJob(t *testing.T) {
	dir := t.TempDir()
	flags := boonInputs(t, dir, 6)
	out := filepath.Join(dir, "out")
	run := func(extra ...string) (int, string) {
		code, _, stderr := runCLI(t, append(append([]string{"batch", "fno", "--out-dir", out}, extra...), flags...)...)
		return code, stderr
	}
	if code, stderr := run("--chunk-size", "2"); code != 0 {
		t.Fatal(stderr)
	}
	if code, stderr := run("--chunk-size", "3"); code != 1 || !strings.Contains(stderr, "chunk size is 2, this run's 3") ||
		!strings.Contains(stderr, "--force") {
		t.Errorf("another chunk size: exit %d, %s", code, stderr)
	}
	if code, stderr := run("--chunk-size", "2", "--bc-output-only"); code != 1 || !strings.Contains(stderr, "its bc-output-only is \"false\"") {
		t.Errorf("another boundary setting: exit %d, %s", code, stderr)
	}
	if code, stderr := run("--chunk-size", "3", "--force"); code != 0 {
		t.Errorf("--force: exit %d, %s", code, stderr)
	}
	code, stdout, _ := runCLI(t, "batch", "status", "--out-dir", out)
	if code != 0 || !strings.Contains(stdout, "2 of 2 chunks done (6 samples in chunks of 3)") || !strings.Contains(stdout, "shard 0/1") {
		t.Errorf("status: %s", stdout)
	}
}

func TestBatchShardFromSlurmEnvironment(t *testing.T) {
	dir := t.TempDir()
	flags := boonInputs(t, dir, 9)
	out := filepath.Join(dir, "out")
	for id := 10; id <= 12; id++ {
		t.Setenv("SLURM_ARRAY_TASK_ID", fmt.Sprint(id))
		t.Setenv("SLURM_ARRAY_TASK_MIN", "10")
		t.Setenv("SLURM_ARRAY_TASK_MAX", "12")
		t.Setenv("SLURM_ARRAY_TASK_COUNT", "3")
		code, _, stderr := runCLI(t, append([]string{"batch", "fno", "--out-dir", out, "--chunk-size", "1"}, flags...)...)
		if code != 0 || !strings.Contains(stderr, fmt.Sprintf("shard %d/3 (Slurm array task %d", id-10, id)) {
			t.Fatalf("array task %d: exit %d, %s", id, code, stderr)
		}
	}
	if code, _, stderr := runCLI(t, "batch", "merge", "--out-dir", out, "--output", filepath.Join(dir, "y.npy")); code != 0 {
		t.Fatal(stderr)
	}
}

// SIGTERM (a scheduler's preemption) stops a shard with 143 and whole chunks only; the
// rerun resumes and the merge equals `fluxcore fno`.
func TestBatchSIGTERMStopsCleanlyAndResumes(t *testing.T) {
	dir := t.TempDir()
	flags := boonInputs(t, dir, 1200)
	out := filepath.Join(dir, "out")
	args := append([]string{"batch", "fno", "--out-dir", out, "--chunk-size", "1"}, flags...)
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), cliChildEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if done, _ := filepath.Glob(filepath.Join(out, "chunks", "chunk-*.npy")); len(done) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no chunk written in 60 s: %s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	if cmd.ProcessState.ExitCode() != 143 || !strings.Contains(stderr.String(), "of 1200 chunks done; rerun to resume") {
		t.Fatalf("after SIGTERM: %v, exit %d\n%s", err, cmd.ProcessState.ExitCode(), stderr.String())
	}
	entries, _ := os.ReadDir(filepath.Join(out, "chunks"))
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "chunk-") || !strings.HasSuffix(e.Name(), ".npy") {
			t.Errorf("left in chunks/: %s", e.Name())
		}
	}
	if len(entries) >= 1200 {
		t.Fatalf("the run finished before the signal (%d chunks)", len(entries))
	}
	code, stdout, errText := runCLI(t, args...)
	if code != 0 || !strings.Contains(stdout, fmt.Sprintf("%d chunks found done", len(entries))) {
		t.Fatalf("resume: exit %d\n%s%s", code, stdout, errText)
	}
	merged, ref := filepath.Join(dir, "y.npy"), filepath.Join(dir, "ref.npy")
	if code, _, errText := runCLI(t, "batch", "merge", "--out-dir", out, "--output", merged); code != 0 {
		t.Fatal(errText)
	}
	if code, _, errText := runCLI(t, append([]string{"fno", "--output", ref}, flags...)...); code != 0 {
		t.Fatal(errText)
	}
	sameBits(t, "stopped and resumed", readNPY(t, merged), readNPY(t, ref))
}
