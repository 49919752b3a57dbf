package batch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fluxcore/fluxcore/engine/limits"
	"github.com/fluxcore/fluxcore/npy"
)

// affine is a worker whose output is known in closed form: out[s, 0] = Σ input[s, :] and
// out[s, 1] = global sample index s. It can cancel its context after some chunks.
type affine struct {
	calls       atomic.Int32
	cancelAfter int32
	cancel      context.CancelFunc
}

func (w *affine) Forward(ctx context.Context, lo, hi int, in, outs []Values) error {
	if w.cancelAfter > 0 && w.calls.Add(1) > w.cancelAfter {
		w.cancel()
		return ctx.Err()
	}
	input, out := in[0].F32, outs[0].F32
	per := len(input) / (hi - lo)
	for s := range hi - lo {
		var sum float32
		for _, v := range input[s*per : (s+1)*per] {
			sum += v
		}
		out[2*s], out[2*s+1] = sum, float32(lo+s)
	}
	return nil
}

// writeInput writes samples of [3, 2] values, sample s holding s·10 + k, split over files
// (one per size in split) and returns the list file's path.
func writeInput(t *testing.T, dir string, split ...int) (string, []float32) {
	t.Helper()
	var list strings.Builder
	var all []float32
	next := 0
	for i, n := range split {
		data := make([]float32, n*6)
		for s := range n {
			for k := range 6 {
				data[s*6+k] = float32((next+s)*10 + k)
			}
		}
		next += n
		all = append(all, data...)
		name := fmt.Sprintf("part%d.npy", i)
		if err := npy.Write(filepath.Join(dir, name), &npy.Array{Shape: []int{n, 3, 2}, Data: data}); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&list, "# part %d\n%s\n\n", i, name)
	}
	path := filepath.Join(dir, "inputs.txt")
	os.WriteFile(path, []byte(list.String()), 0o644)
	return path, all
}

// want is the worker's output for every sample, computed here from the values alone.
func want(all []float32) []float32 {
	var out []float32
	for s := range len(all) / 6 {
		var sum float32
		for _, v := range all[s*6 : s*6+6] {
			sum += v
		}
		out = append(out, sum, float32(s))
	}
	return out
}

func newJob(t *testing.T, dir, input string, chunkSize int, shard Shard, w Worker) Job {
	t.Helper()
	return newJobWith(t, dir, input, chunkSize, shard, w, ArraySpec{Name: "y", DType: "<f4", Shape: []int{2}})
}

func newJobWith(t *testing.T, dir, input string, chunkSize int, shard Shard, w Worker, outputs ...ArraySpec) Job {
	t.Helper()
	in, err := OpenInput(input)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	fp, err := in.Fingerprint()
	if err != nil {
		t.Fatal(err)
	}
	lay := Layout{Samples: in.Samples(), ChunkSize: chunkSize}
	m := &Manifest{Kind: "test", Input: InputID{Paths: in.Paths(), Fingerprint: fp}, Inputs: []ArraySpec{in.Spec("x")},
		Outputs: outputs, Samples: in.Samples(), ChunkSize: chunkSize, Chunks: lay.Chunks(),
		Settings: map[string]string{"scale": "1"}}
	if err := Prepare(dir, m, false); err != nil {
		t.Fatal(err)
	}
	return Job{Dir: dir, Manifest: m, Source: in, Shard: shard, Device: "test", Worker: w}
}

func mergeAndCheck(t *testing.T, dir string, all []float32) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "merged.npy")
	if err := Merge(context.Background(), dir, out); err != nil {
		t.Fatal(err)
	}
	got, err := npy.Read(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	w := want(all)
	if len(got.Data) != len(w) || got.Shape[0] != len(all)/6 || got.Shape[1] != 2 {
		t.Fatalf("merged shape %v, want [%d 2]", got.Shape, len(all)/6)
	}
	for i := range w {
		if got.Data[i] != w[i] {
			t.Fatalf("merged value %d = %v, want %v", i, got.Data[i], w[i])
		}
	}
}

// Any sharding of any chunking merges to the same array, and the shards may run at once.
func TestShardedRunsMergeToTheWhole(t *testing.T) {
	src := t.TempDir()
	input, all := writeInput(t, src, 5, 1, 17, 3)
	for _, chunk := range []int{1, 4, 26, 100} {
		for _, count := range []int{1, 3, 8} {
			dir := filepath.Join(t.TempDir(), "out")
			var wg sync.WaitGroup
			for i := range count {
				job := newJob(t, dir, input, chunk, Shard{Index: i, Count: count, Source: "test"}, &affine{})
				wg.Go(func() {
					if _, err := Run(context.Background(), job); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			mergeAndCheck(t, dir, all)
			st, err := ReadStatus(dir)
			if err != nil || st.Done != st.Manifest.Chunks || len(st.Shards) != count {
				t.Fatalf("chunk %d, %d shards: status %+v, %v", chunk, count, st, err)
			}
		}
	}
}

// A cancelled run leaves whole chunks only, says how far it got, and a rerun finishes
// without computing those chunks again.
func TestCancelledRunResumes(t *testing.T) {
	src := t.TempDir()
	input, all := writeInput(t, src, 40)
	dir := filepath.Join(t.TempDir(), "out")
	ctx, cancel := context.WithCancel(context.Background())
	w := &affine{cancelAfter: 3, cancel: cancel}
	p, err := Run(ctx, newJob(t, dir, input, 4, Shard{0, 1, "test"}, w))
	if !errors.Is(err, context.Canceled) || p.ChunksDone < 1 || p.ChunksDone > 3 {
		t.Fatalf("cancelled run: %+v, %v; want 1..3 chunks and context.Canceled", p, err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, chunksDir))
	if len(entries) != p.ChunksDone {
		t.Errorf("%d files in chunks/ after %d chunks: %v", len(entries), p.ChunksDone, entries)
	}
	recs, _ := ReadShardRecords(dir)
	if len(recs) != 1 || recs[0].State != "stopped" || !strings.Contains(recs[0].Message, "rerun to resume") {
		t.Errorf("shard record after the stop: %+v", recs)
	}
	if err := Merge(context.Background(), dir, filepath.Join(t.TempDir(), "m.npy")); err == nil ||
		!strings.Contains(err.Error(), "shard 0/1: chunks") {
		t.Errorf("merge with chunks missing: %v", err)
	}
	w2 := &affine{}
	p2, err := Run(context.Background(), newJob(t, dir, input, 4, Shard{0, 1, "test"}, w2))
	if err != nil || p2.SkippedChunks != p.ChunksDone || p2.ChunksDone != 10 {
		t.Fatalf("rerun: %+v, %v", p2, err)
	}
	mergeAndCheck(t, dir, all)
}

func TestMergeNamesMissingChunksByShard(t *testing.T) {
	src := t.TempDir()
	input, _ := writeInput(t, src, 12)
	dir := filepath.Join(t.TempDir(), "out")
	for _, i := range []int{0, 2} {
		if _, err := Run(context.Background(), newJob(t, dir, input, 1, Shard{i, 4, "test"}, &affine{})); err != nil {
			t.Fatal(err)
		}
	}
	err := Merge(context.Background(), dir, filepath.Join(t.TempDir(), "m.npy"))
	if err == nil || !strings.Contains(err.Error(), "6 of 12 chunks are missing: shard 1/4: chunks 3-5; shard 3/4: chunks 9-11") {
		t.Errorf("merge: %v", err)
	}
}

// Shards that start together publish one manifest; a different job is refused by name
// until --force.
func TestManifestIsPublishedOnceAndGuardsTheDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	base := Manifest{Kind: "fno", Files: map[string]FileSum{"model": {"m.safetensors", "aa"}}, Input: InputID{Fingerprint: "f1"},
		Settings: map[string]string{"bc": ""}, Inputs: []ArraySpec{{"x", "<f4", []int{8, 1}}},
		Outputs: []ArraySpec{{"y", "<f4", []int{8, 1}}}, Samples: 100, ChunkSize: 10, Chunks: 10}
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			m := base
			if err := Prepare(dir, &m, false); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
	for _, c := range []struct {
		change func(m *Manifest)
		want   string
	}{
		{func(m *Manifest) { m.ChunkSize = 20; m.Chunks = 5 }, "chunk size is 10, this run's 20"},
		{func(m *Manifest) { m.Input.Fingerprint = "f2" }, "another fingerprint"},
		{func(m *Manifest) { m.Files = map[string]FileSum{"model": {"n.safetensors", "bb"}} }, `its model is "m.safetensors"`},
		{func(m *Manifest) { m.Settings = map[string]string{"bc": "dirichlet"} }, `its bc is "", this run's "dirichlet"`},
		{func(m *Manifest) { m.Outputs = []ArraySpec{{"y", "<f8", []int{8, 1}}} }, "to [y <f4[8 1]], this run 100 of [x <f4[8 1]] to [y <f8[8 1]]"},
	} {
		m := base
		c.change(&m)
		err := Prepare(dir, &m, false)
		if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "--force") {
			t.Errorf("changed job: %v, want %q", err, c.want)
		}
		if err := Prepare(dir, &m, true); err != nil {
			t.Errorf("--force: %v", err)
		}
		back := base
		if err := Prepare(dir, &back, true); err != nil {
			t.Fatal(err)
		}
	}
}

// The chunk buffers are charged to the run's budget before they are allocated: a chunk size
// too big for it is an error that says what to change.
func TestChunkBuffersAreCharged(t *testing.T) {
	src := t.TempDir()
	input, _ := writeInput(t, src, 40)
	budget, _ := limits.NewBudget(1 << 10)
	ctx := limits.WithBudget(context.Background(), budget)
	_, err := Run(ctx, newJob(t, filepath.Join(t.TempDir(), "out"), input, 40, Shard{0, 1, "test"}, &affine{}))
	if !errors.Is(err, limits.ErrBudget) || !strings.Contains(err.Error(), "lower --chunk-size") {
		t.Errorf("chunks of 40 samples on a 1 KiB budget: %v", err)
	}
	if budget.Used() != 0 {
		t.Errorf("%d bytes still charged after the run", budget.Used())
	}
}

// A temporary file that a killed run left beside a chunk is removed by the shard that owns
// the chunk once it has gone a minute unwritten, and by the merge in any case; a fresh one
// (a write in progress elsewhere) is left alone.
func TestStaleTemporaryFilesAreRemoved(t *testing.T) {
	src := t.TempDir()
	input, all := writeInput(t, src, 8)
	dir := filepath.Join(t.TempDir(), "out")
	job := newJob(t, dir, input, 2, Shard{0, 1, "test"}, &affine{})
	temp := func(c int, suffix string) string { // internal/atomicfile's naming
		return filepath.Join(dir, chunksDir, "."+filepath.Base(ChunkPath(dir, c, "y"))+".tmp"+suffix)
	}
	stale, fresh := temp(1, "0123456789ab"), temp(2, "ba9876543210")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * staleTempAge)
	os.Chtimes(stale, old, old)
	if _, err := Run(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("a stale temporary file survived the run: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a fresh temporary file was removed by the run: %v", err)
	}
	mergeAndCheck(t, dir, all)
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("the merge left a temporary file: %v", err)
	}
}

// split is a worker of two outputs of other types: the sum of a sample's values as float64
// (a scalar per sample) and its global index as int32.
type split struct{}

func (split) Forward(ctx context.Context, lo, hi int, in, outs []Values) error {
	input := in[0].F32
	per := len(input) / (hi - lo)
	for s := range hi - lo {
		var sum float64
		for _, v := range input[s*per : (s+1)*per] {
			sum += float64(v)
		}
		outs[0].F64[s] = sum
		outs[1].I32[s] = int32(lo + s)
	}
	return nil
}

// A job of several outputs, of float64 and int32, writes a file per output per chunk and
// merges into an .npz of them by name, of their own dtypes; its merge refuses an .npy.
func TestSeveralTypedOutputsMergeToAnNPZ(t *testing.T) {
	input, all := writeInput(t, t.TempDir(), 7, 6)
	dir := filepath.Join(t.TempDir(), "out")
	outputs := []ArraySpec{{"sum", "<f8", nil}, {"index", "<i4", []int{}}}
	for i := range 2 {
		if _, err := Run(context.Background(), newJobWith(t, dir, input, 3, Shard{i, 2, "test"}, split{}, outputs...)); err != nil {
			t.Fatal(err)
		}
	}
	if err := Merge(context.Background(), dir, filepath.Join(t.TempDir(), "m.npy")); err == nil || !strings.Contains(err.Error(), "does not end in .npz") {
		t.Errorf("merge of two outputs into an .npy: %v", err)
	}
	merged := filepath.Join(t.TempDir(), "m.npz")
	if err := Merge(context.Background(), dir, merged); err != nil {
		t.Fatal(err)
	}
	files, err := npy.OpenNPZ(merged)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	sums := make([]float64, 13)
	if err := files["sum"].ReadRows64(context.Background(), sums, 0, 13); err != nil {
		t.Fatal(err)
	}
	for s := range 13 {
		var want float64
		for _, v := range all[s*6 : s*6+6] {
			want += float64(v)
		}
		if sums[s] != want {
			t.Errorf("sum[%d] = %v, want %v", s, sums[s], want)
		}
	}
	if f := files["index"]; f.DType() != "<i4" || !slices.Equal(f.Shape(), []int{13}) {
		t.Errorf("index: %s %v, want <i4 [13]", f.DType(), f.Shape())
	}
}
