package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fluxcore/fluxcore/npy"
)

// conserveProblem is b slices of n points with full covariances, a shared G of two rows
// (the mean, and the sum over odd points) and a right-hand side per slice, stored as
// float32 when f32.
func conserveProblem(b, n int, f32 bool) map[string]*npy.Array64 {
	rng := rand.New(rand.NewPCG(uint64(b), uint64(n)))
	round := func(v float64) float64 {
		if f32 {
			return float64(float32(v))
		}
		return v
	}
	a := map[string]*npy.Array64{
		"mean": {Shape: []int{b, n}, Float32: f32}, "cov": {Shape: []int{b, n, n}, Float32: f32},
		"G": {Shape: []int{2, n}, Float32: f32}, "rhs": {Shape: []int{b, 2}, Float32: f32},
	}
	for range b * n {
		a["mean"].Data = append(a["mean"].Data, round(rng.NormFloat64()))
	}
	for s := range b {
		// Σ = LLᵀ + I/2 with L random: symmetric positive definite.
		l := make([]float64, n*n)
		for i := range l {
			l[i] = rng.NormFloat64() / math.Sqrt(float64(n))
		}
		cov := make([]float64, n*n)
		for i := range n {
			for j := range i + 1 {
				v := 0.0
				for k := range n {
					v += l[i*n+k] * l[j*n+k]
				}
				if i == j {
					v += 0.5
				}
				cov[i*n+j], cov[j*n+i] = round(v), round(v)
			}
		}
		a["cov"].Data = append(a["cov"].Data, cov...)
		a["rhs"].Data = append(a["rhs"].Data, round(rng.NormFloat64()), round(float64(s)/4))
	}
	for row := range 2 {
		for i := range n {
			a["G"].Data = append(a["G"].Data, [2]float64{round(1 / float64(n)), float64(i % 2)}[row])
		}
	}
	return a
}

// runBatchJob runs a batch subcommand over input in shards shards and merges the chunks.
func runBatchJob(t *testing.T, kind, input string, shards int, extra ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	for i := range shards {
		args := append([]string{"batch", kind, "--input", input, "--out-dir", out, "--shard", shardArg(i, shards)}, extra...)
		if code, _, stderr := runCLI(t, args...); code != 0 {
			t.Fatalf("batch %s shard %d/%d: %s", kind, i, shards, stderr)
		}
	}
	merged := filepath.Join(t.TempDir(), "merged.npz")
	if code, _, stderr := runCLI(t, "batch", "merge", "--out-dir", out, "--output", merged); code != 0 {
		t.Fatalf("merge: %s", stderr)
	}
	return merged
}

func shardArg(i, n int) string { return fmt.Sprintf("%d/%d", i, n) }

// readNPZAll reads every array of an uncompressed .npz: floats as Array64, and int32
// arrays (status) as their values.
func readNPZAll(t *testing.T, path string) (map[string]*npy.Array64, map[string][]int32) {
	t.Helper()
	files, err := npy.OpenNPZ(path)
	if err != nil {
		t.Fatal(err)
	}
	floats, ints := map[string]*npy.Array64{}, map[string][]int32{}
	for name, f := range files {
		n := f.Rows() * f.RowElements()
		if f.DType() == "<i4" {
			raw := make([]byte, 4*n)
			if _, err := f.ReadAt(raw, f.DataOffset()); err != nil {
				t.Fatal(err)
			}
			for i := range n {
				ints[name] = append(ints[name], int32(binary.LittleEndian.Uint32(raw[4*i:])))
			}
		} else {
			a := &npy.Array64{Shape: f.Shape(), Data: make([]float64, n), Float32: f.DType() == "<f4"}
			if err := f.ReadRows64(context.Background(), a.Data, 0, f.Rows()); err != nil {
				t.Fatal(err)
			}
			floats[name] = a
		}
		f.Close()
	}
	return floats, ints
}

// sameArrays fails unless got holds want's arrays with the same dtypes, shapes and bits.
func sameArrays(t *testing.T, what string, got map[string]*npy.Array64, want map[string]*npy.Array64) {
	t.Helper()
	for name, w := range want {
		g := got[name]
		switch {
		case g == nil:
			t.Errorf("%s: no array %q", what, name)
		case g.Float32 != w.Float32 || !slices.Equal(g.Shape, w.Shape):
			t.Errorf("%s: %s is %v float32=%v, want %v float32=%v", what, name, g.Shape, g.Float32, w.Shape, w.Float32)
		case !slices.Equal(g.Data, w.Data):
			t.Errorf("%s: %s differs from the single-process result", what, name)
		}
	}
}

// Any sharding and chunking of batch conserve merges to what fluxcore conserve writes for
// the whole input, bit for bit, in float64 and in float32; and each updated mean meets
// its constraints G·μ̃ = b, checked here in float64.
func TestBatchConserveMatchesConserve(t *testing.T) {
	for _, f32 := range []bool{false, true} {
		const b, n = 23, 6
		dir := t.TempDir()
		problem := conserveProblem(b, n, f32)
		input := filepath.Join(dir, "p.npz")
		writeBatch(t, input, problem)
		args := []string{"conserve", "--out-mean", filepath.Join(dir, "mean.npy"), "--out-var", filepath.Join(dir, "var.npy"),
			"--out-cov", filepath.Join(dir, "cov.npy")}
		for name, flag := range map[string]string{"mean": "--mean", "cov": "--cov", "G": "--constraint", "rhs": "--rhs"} {
			path := filepath.Join(dir, "in-"+name+".npy")
			if err := npy.Write64(path, problem[name]); err != nil {
				t.Fatal(err)
			}
			args = append(args, flag, path)
		}
		if code, _, stderr := runCLI(t, args...); code != 0 {
			t.Fatalf("conserve: %s", stderr)
		}
		want := map[string]*npy.Array64{}
		for _, name := range []string{"mean", "var", "cov"} {
			a, err := npy.Read64(context.Background(), filepath.Join(dir, name+".npy"))
			if err != nil {
				t.Fatal(err)
			}
			want[name] = a
		}
		for _, cut := range []struct {
			shards    int
			chunkSize string
		}{{1, "0"}, {3, "4"}, {5, "1"}} {
			merged := runBatchJob(t, "conserve", input, cut.shards, "--outputs", "mean,var,cov", "--chunk-size", cut.chunkSize)
			got, err := npy.ReadNPZ(context.Background(), merged)
			if err != nil {
				t.Fatal(err)
			}
			sameArrays(t, "batch conserve", got, want)
		}
		checkConstraints(t, problem, want["mean"], f32)
	}
}

// checkConstraints checks G·μ̃ = b for every slice.
func checkConstraints(t *testing.T, p map[string]*npy.Array64, mean *npy.Array64, f32 bool) {
	t.Helper()
	b, n := mean.Shape[0], mean.Shape[1]
	tol := 1e-9
	if f32 {
		tol = 1e-4
	}
	for s := range b {
		for row := range 2 {
			got := 0.0
			for i := range n {
				got += p["G"].Data[row*n+i] * mean.Data[s*n+i]
			}
			if want := p["rhs"].Data[s*2+row]; math.Abs(got-want) > tol*(1+math.Abs(want)) {
				t.Errorf("slice %d constraint %d: G·μ̃ = %v, want %v", s, row, got, want)
			}
		}
	}
}

// kalmanFilters is kalmanBatch's step for b filters: shared F, Q and H, R and z per filter,
// and filter 3's R indefinite.
func kalmanFilters(b int) map[string]*npy.Array64 {
	one := kalmanBatch()
	a := map[string]*npy.Array64{"F": one["F"], "Q": one["Q"], "H": one["H"]}
	for _, name := range []string{"x", "P", "R", "z"} {
		src := one[name]
		per := len(src.Data) / src.Shape[0]
		dst := &npy.Array64{Shape: append([]int{b}, src.Shape[1:]...), Float32: src.Float32}
		for f := range b {
			row := slices.Clone(src.Data[f%src.Shape[0]*per : (f%src.Shape[0]+1)*per])
			if name == "x" || name == "z" {
				for i := range row {
					row[i] += float64(f) / 8
				}
			}
			dst.Data = append(dst.Data, row...)
		}
		a[name] = dst
	}
	return a
}

// Any sharding of batch kalman merges to what fluxcore kalman writes for the whole input;
// a chunk with a failed filter is an error that names the count unless --allow-failed.
func TestBatchKalmanMatchesKalman(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "s.npz")
	writeBatch(t, input, kalmanFilters(29))
	whole := filepath.Join(dir, "whole.npz")
	if code, _, stderr := runCLI(t, "kalman", "--in", input, "--out", whole, "--allow-failed"); code != 0 {
		t.Fatalf("kalman: %s", stderr)
	}
	want, wantStatus := readNPZAll(t, whole)
	if !slices.Contains(wantStatus["status"], 1) {
		t.Fatalf("status %v: the test wants a failed filter", wantStatus["status"])
	}
	for _, shards := range []int{1, 4} {
		got, gotStatus := readNPZAll(t, runBatchJob(t, "kalman", input, shards, "--chunk-size", "3", "--allow-failed"))
		sameArrays(t, "batch kalman", got, want)
		if !slices.Equal(gotStatus["status"], wantStatus["status"]) {
			t.Errorf("%d shards: status %v, want %v", shards, gotStatus["status"], wantStatus["status"])
		}
	}
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := runCLI(t, "batch", "kalman", "--input", input, "--out-dir", out, "--chunk-size", "3")
	if code == 0 || !strings.Contains(stderr, "chunk 1 (samples 3..5): 1 of 3 filters failed: 1 with S not positive definite") {
		t.Errorf("a failed filter without --allow-failed: exit %d, %s", code, stderr)
	}
}
