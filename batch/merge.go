package batch

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/fluxcore/fluxcore/npy"
)

// mergePiece bounds the values Merge holds at a time.
const mergePiece = 4 << 20

// Merge streams every chunk of dir's job, in order, into one .npy at output, written
// atomically. When chunks are missing it writes nothing and names them, by shard.
func Merge(ctx context.Context, dir, output string) error {
	m, err := ReadManifest(dir)
	if err != nil {
		return err
	}
	lay := Layout{Samples: m.Samples, ChunkSize: m.ChunkSize}
	var missing []int
	for c := range m.Chunks {
		a, b := lay.Range(c)
		if !chunkDone(dir, c, b-a, m.OutputShape) {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("batch: merge %s: %d of %d chunks are missing: %s; run those shards again", dir, len(missing), m.Chunks,
			describeMissing(dir, m.Chunks, missing))
	}
	per := product(m.OutputShape)
	shape := append([]int{m.Samples}, m.OutputShape...)
	// Every chunk is done, so any temporary file left beside one is from a killed run.
	removeStaleTemps(tempGlob(dir, -1), time.Now())
	return npy.WriteStream(output, shape, func(emit func([]float32) error) error {
		buf := make([]float32, max(per, min(mergePiece, m.ChunkSize*per)))
		for c := range m.Chunks {
			if err := copyChunk(ctx, dir, c, buf, emit); err != nil {
				return err
			}
		}
		return nil
	})
}

// copyChunk emits chunk c's values a few samples at a time.
func copyChunk(ctx context.Context, dir string, c int, buf []float32, emit func([]float32) error) error {
	f, err := npy.Open(ChunkPath(dir, c))
	if err != nil {
		return err
	}
	defer f.Close()
	per := f.RowElements()
	step := max(1, len(buf)/max(per, 1))
	for lo := 0; lo < f.Rows(); lo += step {
		hi := min(lo+step, f.Rows())
		part := buf[:(hi-lo)*per]
		if err := f.ReadRows(ctx, part, lo, hi); err != nil {
			return err
		}
		if err := emit(part); err != nil {
			return err
		}
	}
	return nil
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
		if done[c] = chunkDone(dir, c, b-a, m.OutputShape); done[c] {
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
