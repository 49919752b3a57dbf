// Package batch runs a model over an input too large for one process or one node: the
// input's samples are cut into chunks that every node cuts the same way, shard i of n takes
// a contiguous range of them, and each chunk's output is written atomically into a shared
// directory, so that a rerun skips what is done and Merge joins the chunks into one array.
package batch

import (
	"fmt"
	"strconv"
	"strings"
)

// DefaultChunkBytes is how much input a chunk of batch fno holds unless the caller says
// otherwise: big enough that per-chunk costs (a file, a rename, a manifest check) vanish,
// small enough that a preempted job loses little and memory stays bounded.
const DefaultChunkBytes = 64 << 20

// SolverChunkBytes is the default for batch conserve and kalman, whose engines hold
// several float64 copies of a chunk (layouts, precision, results) while they work.
const SolverChunkBytes = 8 << 20

// MaxChunks bounds the chunks of one job: each is a file in one directory.
const MaxChunks = 1 << 20

// DefaultChunkSize is the samples per chunk of about chunkBytes for samples of sampleBytes
// each: derived from the input alone, never from timing, so that every node cuts the same
// chunks.
func DefaultChunkSize(chunkBytes, sampleBytes int64) int {
	return int(max(1, chunkBytes/max(sampleBytes, 1)))
}

// Layout is how an input of Samples samples is cut into chunks of ChunkSize (the last
// may be shorter).
type Layout struct {
	Samples   int
	ChunkSize int
}

// Check refuses an empty input, a chunk size below 1 and more than MaxChunks chunks.
func (l Layout) Check() error {
	switch {
	case l.Samples < 1:
		return fmt.Errorf("batch: the input has %d samples, want ≥ 1", l.Samples)
	case l.ChunkSize < 1:
		return fmt.Errorf("batch: chunk size %d, want ≥ 1", l.ChunkSize)
	case l.Chunks() > MaxChunks:
		return fmt.Errorf("batch: %d samples in chunks of %d make %d chunks, more than %d; raise --chunk-size",
			l.Samples, l.ChunkSize, l.Chunks(), MaxChunks)
	}
	return nil
}

// Chunks is the number of chunks.
func (l Layout) Chunks() int { return (l.Samples + l.ChunkSize - 1) / l.ChunkSize }

// Range is the samples [lo, hi) of chunk c.
func (l Layout) Range(c int) (lo, hi int) {
	return c * l.ChunkSize, min((c+1)*l.ChunkSize, l.Samples)
}

// Shard is one of Count parts of a job; Source says where Index and Count came from.
type Shard struct {
	Index, Count int
	Source       string
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Chunks is the contiguous range [lo, hi) of a job's chunks that s takes: shards differ in
// size by at most one chunk.
func (s Shard) Chunks(total int) (lo, hi int) {
	return int(int64(total) * int64(s.Index) / int64(s.Count)), int(int64(total) * int64(s.Index+1) / int64(s.Count))
}

func (s Shard) check() error {
	if s.Count < 1 || s.Index < 0 || s.Index >= s.Count {
		return fmt.Errorf("batch: shard %d of %d (from %s): want 0 ≤ index < count", s.Index, s.Count, s.Source)
	}
	return nil
}

// ParseShard reads "i/n".
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	index, err1 := strconv.Atoi(strings.TrimSpace(i))
	count, err2 := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("batch: shard %q: want index/count, as 3/8", s)
	}
	sh := Shard{Index: index, Count: count, Source: "--shard"}
	return sh, sh.check()
}

// ResolveShard picks the shard: flag ("i/n") when given; else a Slurm array task's
// environment; else a Kubernetes Indexed Job's JOB_COMPLETION_INDEX with shards (or
// $FLUXCORE_SHARDS) as the count; else the whole job as shard 0/1.
func ResolveShard(flag string, shards int, getenv func(string) string) (Shard, error) {
	if flag != "" {
		return ParseShard(flag)
	}
	if getenv("SLURM_ARRAY_TASK_ID") != "" {
		return slurmShard(getenv)
	}
	if idx := getenv("JOB_COMPLETION_INDEX"); idx != "" {
		return indexedJobShard(idx, shards, getenv)
	}
	return Shard{Index: 0, Count: 1, Source: "no shard given: the whole input"}, nil
}

// slurmShard is i = (TASK_ID − TASK_MIN) / TASK_STEP of n = TASK_COUNT, which must agree
// with TASK_MAX: an array of evenly spaced ids. Any other array (a list such as 1,3,7) has
// no such index; pass --shard.
func slurmShard(getenv func(string) string) (Shard, error) {
	vars := map[string]int{"SLURM_ARRAY_TASK_STEP": 1}
	for _, name := range []string{"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_MAX", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_STEP"} {
		v := getenv(name)
		if v == "" {
			if _, optional := vars[name]; optional {
				continue
			}
			return Shard{}, fmt.Errorf("batch: SLURM_ARRAY_TASK_ID is set but %s is not", name)
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return Shard{}, fmt.Errorf("batch: %s=%q is not an integer", name, v)
		}
		vars[name] = n
	}
	id, lo, hi := vars["SLURM_ARRAY_TASK_ID"], vars["SLURM_ARRAY_TASK_MIN"], vars["SLURM_ARRAY_TASK_MAX"]
	count, step := vars["SLURM_ARRAY_TASK_COUNT"], vars["SLURM_ARRAY_TASK_STEP"]
	if step < 1 || (id-lo)%step != 0 || lo+(count-1)*step != hi {
		return Shard{}, fmt.Errorf("batch: Slurm array task %d of ids %d..%d step %d with %d tasks is not an evenly spaced array; pass --shard i/n",
			id, lo, hi, step, count)
	}
	s := Shard{Index: (id - lo) / step, Count: count,
		Source: fmt.Sprintf("Slurm array task %d (ids %d..%d, step %d)", id, lo, hi, step)}
	return s, s.check()
}

func indexedJobShard(idx string, shards int, getenv func(string) string) (Shard, error) {
	i, err := strconv.Atoi(idx)
	if err != nil {
		return Shard{}, fmt.Errorf("batch: JOB_COMPLETION_INDEX=%q is not an integer", idx)
	}
	source := "--shards"
	if shards == 0 {
		env := getenv("FLUXCORE_SHARDS")
		if env == "" {
			return Shard{}, fmt.Errorf("batch: JOB_COMPLETION_INDEX=%d needs the shard count: pass --shards or set FLUXCORE_SHARDS (the Job's completions)", i)
		}
		if shards, err = strconv.Atoi(env); err != nil {
			return Shard{}, fmt.Errorf("batch: FLUXCORE_SHARDS=%q is not an integer", env)
		}
		source = "FLUXCORE_SHARDS"
	}
	s := Shard{Index: i, Count: shards, Source: fmt.Sprintf("Kubernetes JOB_COMPLETION_INDEX %d of %s %d", i, source, shards)}
	return s, s.check()
}
