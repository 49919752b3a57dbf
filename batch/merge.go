package batch

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/fluxcore/fluxcore/internal/atomicfile"

	"github.com/fluxcore/fluxcore/npy"
)

// Merge joins every chunk of dir's job, in order, into output, written atomically: an .npy
// when the job has one output array, else an .npz of them all by name. It streams the
// chunks' bytes and holds none whole. When chunks are missing it writes nothing and names
// them, by shard.
func Merge(ctx context.Context, dir, output string) error {
	m, err := ReadManifest(dir)
	if err != nil {
		return err
	}
	if len(m.Outputs) > 1 && !strings.HasSuffix(output, ".npz") {
		return fmt.Errorf("batch: merge %s: the job has %d outputs (%v), which go into an .npz; %q does not end in .npz",
			dir, len(m.Outputs), m.Outputs, output)
	}
	lay := Layout{Samples: m.Samples, ChunkSize: m.ChunkSize}
	var missing []int
	for c := range m.Chunks {
		a, b := lay.Range(c)
		if !chunkDone(dir, c, b-a, m.Outputs) {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("batch: merge %s: %d of %d chunks are missing: %s; run those shards again", dir, len(missing), m.Chunks,
			describeMissing(dir, m.Chunks, missing))
	}
	// Every chunk is done, so any temporary file left beside one is from a killed run.
	removeStaleTemps(tempGlob(dir, -1), time.Now())
	concat := func(name string, w io.Writer) error {
		paths := make([]string, m.Chunks)
		for c := range paths {
			paths[c] = ChunkPath(dir, c, name)
		}
		return npy.Concat(ctx, w, paths)
	}
	if len(m.Outputs) == 1 {
		err := atomicfile.Write(output, func(w io.Writer) error { return concat(m.Outputs[0].Name, w) })
		if err != nil {
			return fmt.Errorf("batch: merge: %w", err)
		}
		return nil
	}
	names := make([]string, len(m.Outputs))
	for i, spec := range m.Outputs {
		names[i] = spec.Name
	}
	return npy.WriteNPZFunc(output, names, concat)
}

// describeMissing lists missing chunks by the shard that owns them under the newest shard
// count a shard record reports, or as plain ranges when no shard has reported.
func describeMissing(dir string, chunks int, missing []int) string {
	count := 0
	if recs, err := ReadShardRecords(dir); err == nil {
		newest := ShardRecord{}
		for _, r := range recs {
			if r.UpdatedUTC.After(newest.UpdatedUTC) {
				newest = r
			}
		}
		count = newest.Count
	}
	if count < 1 {
		return "chunks " + ranges(missing)
	}
	var parts []string
	for i := range count {
		lo, hi := Shard{Index: i, Count: count}.Chunks(chunks)
		var mine []int
		for _, c := range missing {
			if c >= lo && c < hi {
				mine = append(mine, c)
			}
		}
		if len(mine) > 0 {
			parts = append(parts, fmt.Sprintf("shard %d/%d: chunks %s", i, count, ranges(mine)))
		}
	}
	return strings.Join(parts, "; ")
}

// ranges writes sorted integers as "1-3, 7".
func ranges(v []int) string {
	var parts []string
	for i := 0; i < len(v); {
		j := i
		for j+1 < len(v) && v[j+1] == v[j]+1 {
			j++
		}
		if i == j {
			parts = append(parts, fmt.Sprint(v[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", v[i], v[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// ShardStatus is one shard's chunks done under a shard count.
type ShardStatus struct {
	Shard       Shard
	Done, Total int
	Record      *ShardRecord // nil when the shard has not started
}

// Status is a job's progress: chunks done in all, and per shard under each shard count
// the records report.
type Status struct {
	Manifest   *Manifest
	Done       int
	Shards     []ShardStatus
	Unreported int // chunks done that no reported shard count covers (none when any shard reported)
}

// ReadStatus counts dir's finished chunks.
func ReadStatus(dir string) (*Status, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	lay := Layout{Samples: m.Samples, ChunkSize: m.ChunkSize}
	done := make([]bool, m.Chunks)
	st := &Status{Manifest: m}
	for c := range m.Chunks {
		a, b := lay.Range(c)
		if done[c] = chunkDone(dir, c, b-a, m.Outputs); done[c] {
			st.Done++
		}
	}
	recs, err := ReadShardRecords(dir)
	if err != nil {
		return nil, err
	}
	counts := map[int]bool{}
	for _, r := range recs {
		counts[r.Count] = true
	}
	for count := range counts {
		for i := range count {
			s := Shard{Index: i, Count: count}
			lo, hi := s.Chunks(m.Chunks)
			ss := ShardStatus{Shard: s, Total: hi - lo}
			for c := lo; c < hi; c++ {
				if done[c] {
					ss.Done++
				}
			}
			for k := range recs {
				if recs[k].Index == i && recs[k].Count == count {
					ss.Record = &recs[k]
				}
			}
			st.Shards = append(st.Shards, ss)
		}
	}
	slices.SortFunc(st.Shards, func(a, b ShardStatus) int {
		return cmp.Or(cmp.Compare(a.Shard.Count, b.Shard.Count), cmp.Compare(a.Shard.Index, b.Shard.Index))
	})
	return st, nil
}

// Print writes the status as a table.
func (st *Status) Print(w io.Writer) {
	m := st.Manifest
	fmt.Fprintf(w, "%d of %d chunks done (%d samples in chunks of %d)\n", st.Done, m.Chunks, m.Samples, m.ChunkSize)
	for _, s := range st.Shards {
		state, where := "not started", ""
		if s.Record != nil {
			state = s.Record.State
			where = fmt.Sprintf("  %s on %s, %s", s.Record.Device, s.Record.Host, s.Record.UpdatedUTC.Format("2006-01-02 15:04:05Z"))
		}
		fmt.Fprintf(w, "shard %-9s %5d/%-5d %-11s%s\n", s.Shard, s.Done, s.Total, state, where)
	}
}
