package batch

import (
	"regexp"
	"strings"
	"testing"
)

// Every chunk belongs to exactly one shard, shards are contiguous and in order, and they
// differ in size by at most one chunk.
func TestShardsPartitionTheChunks(t *testing.T) {
	for total := 1; total <= 40; total++ {
		for count := 1; count <= 12; count++ {
			next, smallest, largest := 0, total, 0
			for i := range count {
				lo, hi := Shard{Index: i, Count: count}.Chunks(total)
				if lo != next || hi < lo {
					t.Fatalf("%d chunks, shard %d/%d: [%d, %d), want to start at %d", total, i, count, lo, hi, next)
				}
				next = hi
				smallest, largest = min(smallest, hi-lo), max(largest, hi-lo)
			}
			if next != total || largest-smallest > 1 {
				t.Fatalf("%d chunks over %d shards: end %d, sizes %d..%d", total, count, next, smallest, largest)
			}
		}
	}
}

func TestLayout(t *testing.T) {
	l := Layout{Samples: 10, ChunkSize: 4}
	if l.Chunks() != 3 {
		t.Fatalf("chunks = %d", l.Chunks())
	}
	if lo, hi := l.Range(2); lo != 8 || hi != 10 {
		t.Errorf("last chunk [%d, %d), want [8, 10)", lo, hi)
	}
	if DefaultChunkSize(DefaultChunkBytes, 48<<10) != 1365 || DefaultChunkSize(DefaultChunkBytes, 1<<30) != 1 {
		t.Errorf("default chunk sizes %d and %d", DefaultChunkSize(DefaultChunkBytes, 48<<10), DefaultChunkSize(DefaultChunkBytes, 1<<30))
	}
	for _, bad := range []Layout{{0, 1}, {5, 0}, {MaxChunks + 1, 1}} {
		if bad.Check() == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

var shardRE = regexp.MustCompile(`^\d+/\d+$`)

func TestResolveShard(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	slurm := func(id, lo, hi, count, step string) func(string) string {
		kv := []string{"SLURM_ARRAY_TASK_ID", id, "SLURM_ARRAY_TASK_MIN", lo, "SLURM_ARRAY_TASK_MAX", hi, "SLURM_ARRAY_TASK_COUNT", count}
		if step != "" {
			kv = append(kv, "SLURM_ARRAY_TASK_STEP", step)
		}
		return env(kv...)
	}
	for _, c := range []struct {
		name   string
		flag   string
		shards int
		env    func(string) string
		want   string // "i/n" or an error's text
	}{
		{"flag", "2/5", 0, env(), "2/5"},
		{"flag wins over Slurm", "1/2", 0, slurm("3", "0", "3", "4", ""), "1/2"},
		{"nothing: the whole input", "", 0, env(), "0/1"},
		{"Slurm array 0-3", "", 0, slurm("2", "0", "3", "4", ""), "2/4"},
		{"Slurm array 1-4", "", 0, slurm("1", "1", "4", "4", ""), "0/4"},
		{"Slurm array 0-15:4", "", 0, slurm("8", "0", "12", "4", "4"), "2/4"},
		{"Slurm list 1,3,7", "", 0, slurm("3", "1", "7", "3", ""), "not an evenly spaced array"},
		{"Slurm without COUNT", "", 0, env("SLURM_ARRAY_TASK_ID", "1", "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_MAX", "1"), "SLURM_ARRAY_TASK_COUNT is not"},
		{"Indexed Job with --shards", "", 6, env("JOB_COMPLETION_INDEX", "5"), "5/6"},
		{"Indexed Job with FLUXCORE_SHARDS", "", 0, env("JOB_COMPLETION_INDEX", "0", "FLUXCORE_SHARDS", "3"), "0/3"},
		{"Indexed Job without a count", "", 0, env("JOB_COMPLETION_INDEX", "0"), "needs the shard count"},
		{"index past the count", "4/4", 0, env(), "want 0 ≤ index < count"},
		{"zero shards", "0/0", 0, env(), "want 0 ≤ index < count"},
		{"Indexed Job index past the count", "", 2, env("JOB_COMPLETION_INDEX", "2"), "want 0 ≤ index < count"},
		{"malformed flag", "3", 0, env(), "want index/count"},
	} {
		s, err := ResolveShard(c.flag, c.shards, c.env)
		got := s.String()
		if err != nil {
			got = err.Error()
		}
		wantErr := !shardRE.MatchString(c.want)
		if (err != nil) != wantErr || !strings.Contains(got, c.want) {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}
