package batch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/limits"
	"github.com/fluxcore/fluxcore/npy"
)

// Source reads the per-sample input arrays of samples [lo, hi), one Values for each of the
// manifest's Inputs, in order, sized for exactly those samples.
type Source interface {
	Read(ctx context.Context, lo, hi int, dst []Values) error
}

// Worker computes the outputs of samples [lo, hi) (indices into the whole input) from
// their inputs into out: one Values for each of the manifest's Inputs and Outputs, sized
// for exactly those samples. The buffers are reused from chunk to chunk, so Forward must
// set every output value.
type Worker interface {
	Forward(ctx context.Context, lo, hi int, in, out []Values) error
}

// Job is one shard's share of a prepared directory.
type Job struct {
	Dir      string
	Manifest *Manifest
	Source   Source
	Shard    Shard
	Device   string // for the shard record
	Worker   Worker
	// Progress, when set, is called as the shard starts and after each chunk is written.
	Progress func(Progress)
}

// Progress counts a shard's chunks and samples; the Skipped ones were done by an earlier run.
type Progress struct {
	Chunks, ChunksDone   int
	Samples, SamplesDone int
	SkippedChunks        int
	SkippedSamples       int
}

// Run computes the shard's chunks that are not done yet, reading the next chunk and
// writing the last while one is computed. When ctx is cancelled it abandons the chunk
// being computed, lets a chunk already computed finish writing, and returns ctx's error
// with the progress made: the directory then holds only whole chunks, and a rerun resumes.
func Run(ctx context.Context, j Job) (Progress, error) {
	m := j.Manifest
	lay := Layout{Samples: m.Samples, ChunkSize: m.ChunkSize}
	lo, hi := j.Shard.Chunks(m.Chunks)
	p := Progress{Chunks: hi - lo}
	var todo []int
	for c := lo; c < hi; c++ {
		a, b := lay.Range(c)
		p.Samples += b - a
		if chunkDone(j.Dir, c, b-a, m.Outputs) {
			p.ChunksDone++
			p.SamplesDone += b - a
			continue
		}
		todo = append(todo, c)
	}
	p.SkippedChunks, p.SkippedSamples = p.ChunksDone, p.SamplesDone
	for _, c := range todo {
		removeStaleTemps(tempGlob(j.Dir, c), time.Now().Add(-staleTempAge))
	}
	host, _ := os.Hostname()
	rec := &ShardRecord{Index: j.Shard.Index, Count: j.Shard.Count, Source: j.Shard.Source, ChunkLo: lo, ChunkHi: hi,
		State: "running", Device: j.Device, Host: host, Fluxcore: engine.Version().String(), StartedUTC: time.Now().UTC()}
	if err := writeShardRecord(j.Dir, j.Shard, rec); err != nil {
		return p, err
	}
	if j.Progress != nil {
		j.Progress(p)
	}
	err := j.pipeline(ctx, lay, todo, &p)
	rec.State, rec.Message = "done", ""
	switch {
	case err != nil && ctx.Err() != nil:
		rec.State, rec.Message = "stopped", fmt.Sprintf("%d of %d chunks done; rerun to resume", p.ChunksDone, p.Chunks)
	case err != nil:
		rec.State, rec.Message = "failed", err.Error()
	}
	if werr := writeShardRecord(j.Dir, j.Shard, rec); err == nil {
		err = werr
	}
	return p, err
}

// chunkDone reports whether chunk c's file of every output holds samples samples of its
// spec: a file is only ever there whole (it is renamed into place), but one from another
// job's layout is not ours.
func chunkDone(dir string, c, samples int, outputs []ArraySpec) bool {
	for _, spec := range outputs {
		f, err := npy.Open(ChunkPath(dir, c, spec.Name))
		if err != nil {
			return false
		}
		ok := f.DType() == spec.DType && slices.Equal(f.Shape(), append([]int{samples}, spec.Shape...))
		f.Close()
		if !ok {
			return false
		}
	}
	return true
}

// staleTempAge is how long a chunk's temporary file must have gone unwritten before a
// shard that owns the chunk removes it: a live write touches it continually, and a SIGKILL
// (or a lost node) leaves it behind.
const staleTempAge = time.Minute

// tempGlob matches the temporary files of chunk c's outputs (internal/atomicfile's
// naming), or of every chunk's when c < 0.
func tempGlob(dir string, c int) string {
	name := "chunk-*.npy"
	if c >= 0 {
		name = fmt.Sprintf(chunkName, c, "*")
	}
	return filepath.Join(dir, chunksDir, "."+name+".tmp*")
}

// removeStaleTemps removes the temporary files that pattern matches and that were last
// written before cutoff.
func removeStaleTemps(pattern string, cutoff time.Time) {
	paths, _ := filepath.Glob(pattern)
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && st.ModTime().Before(cutoff) {
			os.Remove(p)
		}
	}
}

// piece is one chunk on its way through the pipeline.
type piece struct {
	chunk, lo, hi int
	arrays        []Values
}

// pipeline reads, computes and writes the chunks in todo with two input and two output
// buffers, reused, so that memory stays bounded by the chunk size whatever the input's.
func (j *Job) pipeline(ctx context.Context, lay Layout, todo []int, p *Progress) error {
	m := j.Manifest
	samples := min(lay.ChunkSize, m.Samples)
	// Two buffers each way, charged to the run's budget (--mem-budget) before they exist,
	// so that a chunk size too big for memory is an error, not the end of the process.
	perChunk, ok := limits.Mul(samples, sampleBytes(m.Inputs)+sampleBytes(m.Outputs))
	if !ok {
		return fmt.Errorf("batch: chunks of %d samples of %v and %v overflow", samples, m.Inputs, m.Outputs)
	}
	bytes := 2 * int64(perChunk)
	budget := limits.From(ctx)
	if err := budget.ChargeBytes(fmt.Sprintf("batch: buffers for two chunks of %d samples", samples), bytes); err != nil {
		return fmt.Errorf("%w; lower --chunk-size or raise --mem-budget", err)
	}
	defer budget.Release(bytes)
	freeIn, freeOut := make(chan []Values, 2), make(chan []Values, 2)
	for range 2 {
		freeIn <- allocate(m.Inputs, samples)
		freeOut <- allocate(m.Outputs, samples)
	}
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	toCompute, toWrite := make(chan piece), make(chan piece, 1)
	var readErr, writeErr error
	var wg sync.WaitGroup
	wg.Go(func() { readErr = j.read(readCtx, lay, todo, freeIn, toCompute) })
	wg.Go(func() {
		writeErr = j.write(toWrite, freeOut, p)
		if writeErr != nil {
			stopReading()
		}
	})
	computeErr := j.compute(readCtx, toCompute, toWrite, freeIn, freeOut)
	close(toWrite)
	stopReading()
	for range toCompute { // let a blocked reader finish
	}
	wg.Wait()
	return firstError(writeErr, computeErr, readErr, ctx.Err())
}

// allocate makes one chunk's buffers for specs.
func allocate(specs []ArraySpec, samples int) []Values {
	out := make([]Values, len(specs))
	for i, spec := range specs {
		out[i] = newValues(spec, samples)
	}
	return out
}

// sized is bufs cut to exactly the samples [lo, hi) of specs.
func sized(bufs []Values, specs []ArraySpec, lo, hi int) []Values {
	for i, spec := range specs {
		bufs[i] = bufs[i].first(spec.Values(), hi-lo)
	}
	return bufs
}

// release is bufs at their full capacity, for reuse.
func release(bufs []Values) []Values {
	for i := range bufs {
		bufs[i] = bufs[i].full()
	}
	return bufs
}

// firstError is the first error that is not a cancellation, else the first error: a
// failure that made the other stages stop outranks their reports of being stopped.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (j *Job) read(ctx context.Context, lay Layout, todo []int, free <-chan []Values, out chan<- piece) error {
	defer close(out)
	for _, c := range todo {
		lo, hi := lay.Range(c)
		var bufs []Values
		select {
		case bufs = <-free:
		case <-ctx.Done():
			return ctx.Err()
		}
		bufs = sized(bufs, j.Manifest.Inputs, lo, hi)
		if err := j.Source.Read(ctx, lo, hi, bufs); err != nil {
			return fmt.Errorf("batch: chunk %d: %w", c, err)
		}
		select {
		case out <- piece{c, lo, hi, bufs}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (j *Job) compute(ctx context.Context, in <-chan piece, out chan<- piece, freeIn chan<- []Values, freeOut <-chan []Values) error {
	for pc := range in {
		var bufs []Values
		select {
		case bufs = <-freeOut:
		case <-ctx.Done():
			return ctx.Err()
		}
		bufs = sized(bufs, j.Manifest.Outputs, pc.lo, pc.hi)
		err := j.Worker.Forward(ctx, pc.lo, pc.hi, pc.arrays, bufs)
		freeIn <- release(pc.arrays)
		if err != nil {
			return fmt.Errorf("batch: chunk %d (samples %d..%d): %w", pc.chunk, pc.lo, pc.hi-1, err)
		}
		out <- piece{pc.chunk, pc.lo, pc.hi, bufs}
	}
	return ctx.Err()
}

// write publishes each computed chunk, one file per output. It does not watch ctx: a
// chunk that reached it is whole, and writing it takes far less than computing it did.
func (j *Job) write(in <-chan piece, free chan<- []Values, p *Progress) error {
	var err error
	for pc := range in {
		for i, spec := range j.Manifest.Outputs {
			if err == nil {
				err = pc.arrays[i].write(ChunkPath(j.Dir, pc.chunk, spec.Name), spec, pc.hi-pc.lo)
			}
		}
		if err == nil {
			p.ChunksDone++
			p.SamplesDone += pc.hi - pc.lo
			if j.Progress != nil {
				j.Progress(*p)
			}
		}
		free <- release(pc.arrays)
	}
	return err
}

func product(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
