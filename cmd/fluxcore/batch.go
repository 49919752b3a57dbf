package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/fluxcore/fluxcore/batch"
	"github.com/fluxcore/fluxcore/engine"
)

func runBatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "fno":
			return runBatchFNO(ctx, args[1:], stdout, stderr)
		case "conserve":
			return runBatchConserve(ctx, args[1:], stdout, stderr)
		case "kalman":
			return runBatchKalman(ctx, args[1:], stdout, stderr)
		case "merge":
			return runBatchMerge(ctx, args[1:], stdout, stderr)
		case "status":
			return runBatchStatus(args[1:], stdout, stderr)
		case "-h", "-help", "--help":
			batchUsage(stdout)
			return nil
		}
		fmt.Fprintf(stderr, "fluxcore batch: unknown subcommand %q\n", args[0])
	}
	batchUsage(stderr)
	return errUsage
}

func batchUsage(w io.Writer) {
	fmt.Fprint(w, `usage:
  fluxcore batch fno      --model M --input X.npy --out-dir D [--shard i/n] [--chunk-size N] [FNO flags]
  fluxcore batch conserve --input P.npz --out-dir D [--noise-var s2] [--outputs mean,var] [--shard i/n]
  fluxcore batch kalman   --input S.npz --out-dir D [--allow-failed] [--shard i/n]
  fluxcore batch merge    --out-dir D --output Y.npy   (Y.npz for conserve and kalman)
  fluxcore batch status   --out-dir D

The input is cut into chunks that every node cuts the same way; shard i of n computes a
contiguous range of them into D, one file per chunk, and a rerun skips the chunks done.
Without --shard the shard comes from a Slurm array task's environment, or from a Kubernetes
Indexed Job's JOB_COMPLETION_INDEX with --shards (or FLUXCORE_SHARDS).
`)
}

// resultFlags are the FNO flags whose values change the output: a rerun into the same
// directory must give the same ones. The files among them are compared by content.
var (
	resultFlags = []string{"bc", "bc-output-only", "padding", "grid-lb", "grid-ub", "grid-endpoint", "transform",
		"stencil-left", "stencil-right", "flux-left", "flux-right"}
	resultFileFlags = []string{"model", "config", "left", "right", "top", "down", "flux-left", "flux-right"}
)

// jobFlags are the flags of every batch subcommand that computes chunks.
type jobFlags struct {
	outDir, shard     string
	shards, chunkSize int
	force             bool
}

// register adds them to fs; chunkBytes is the default chunk's size, with what it counts.
func (f *jobFlags) register(fs *flag.FlagSet, chunkBytes string) {
	fs.StringVar(&f.outDir, "out-dir", "", "directory for the chunks and manifests, shared by every shard")
	fs.StringVar(&f.shard, "shard", "", "this process' shard, i/n (default: from Slurm's or Kubernetes' environment, else 0/1)")
	fs.IntVar(&f.shards, "shards", 0, "shard count for a Kubernetes Indexed Job (default $FLUXCORE_SHARDS)")
	fs.IntVar(&f.chunkSize, "chunk-size", 0, "samples per chunk (default: "+chunkBytes+" per chunk)")
	fs.BoolVar(&f.force, "force", false, "remove an earlier job's chunks and manifests from --out-dir and start over")
}

// job is what a batch subcommand computes: what its manifest records, and how.
type job struct {
	kind            string
	inputPaths      []string // fingerprinted
	inputs, outputs []batch.ArraySpec
	samples         int
	chunkBytes      int64 // the default chunk's size, in units of sampleBytes
	sampleBytes     int64
	settings        map[string]string
	files           map[string]batch.FileSum
	source          batch.Source
	worker          batch.Worker
	device          string
}

// run resolves the shard, publishes or checks the manifest and runs the shard's chunks.
func (f *jobFlags) run(ctx context.Context, j job, stdout, stderr io.Writer) error {
	shard, err := batch.ResolveShard(f.shard, f.shards, os.Getenv)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "fluxcore batch: shard %s (%s)\n", shard, shard.Source)
	man, err := f.manifest(j, shard)
	if err != nil {
		return err
	}
	if err := batch.Prepare(f.outDir, man, f.force); err != nil {
		return err
	}
	return runJob(ctx, batch.Job{Dir: f.outDir, Manifest: man, Source: j.source, Shard: shard, Device: j.device, Worker: j.worker}, stdout, stderr)
}

// manifest describes j as cut by the flags.
func (f *jobFlags) manifest(j job, shard batch.Shard) (*batch.Manifest, error) {
	chunkSize := f.chunkSize
	if chunkSize == 0 {
		chunkSize = batch.DefaultChunkSize(j.chunkBytes, j.sampleBytes)
	}
	lay := batch.Layout{Samples: j.samples, ChunkSize: chunkSize}
	if err := lay.Check(); err != nil {
		return nil, err
	}
	fingerprint, err := batch.Fingerprint(j.inputPaths)
	if err != nil {
		return nil, err
	}
	return &batch.Manifest{Kind: j.kind, Fluxcore: engine.Version().String(), Files: j.files,
		Input: batch.InputID{Paths: j.inputPaths, Fingerprint: fingerprint}, Settings: j.settings,
		Inputs: j.inputs, Outputs: j.outputs, Samples: lay.Samples, ChunkSize: chunkSize, Chunks: lay.Chunks(),
		CreatedUTC: time.Now().UTC(), CreatedShard: shard.String()}, nil
}

func runBatchFNO(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fluxcore batch fno", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f fnoFlags
	f.register(ctx, fs)
	var jf jobFlags
	jf.register(fs, fmt.Sprintf("%d MiB of input", batch.DefaultChunkBytes>>20))
	if err := f.parse(fs, args); err != nil {
		return err
	}
	if err := requireFlags(fs, "out-dir"); err != nil {
		return err
	}
	in, err := batch.OpenInput(f.input)
	if err != nil {
		return err
	}
	defer in.Close()
	m, err := f.loadModel(ctx, stderr)
	if err != nil {
		return err
	}
	shape := append([]int{in.Samples()}, in.SampleShape()...)
	l, err := f.prepare(ctx, m, shape)
	if err != nil {
		return err
	}
	defer l.close()
	// The faces are read a chunk at a time; the first sample's now checks the files' shapes
	// before any work.
	if _, err := l.source.ResolveRange(ctx, m, in.Samples(), l.grid, 0, min(1, in.Samples())); err != nil {
		return err
	}
	files, err := checksummed(fs, resultFileFlags)
	if err != nil {
		return err
	}
	settings := map[string]string{}
	for _, name := range resultFlags {
		settings[name] = fs.Lookup(name).Value.String()
	}
	out := l.runner.OutputShape(1)
	return jf.run(ctx, job{kind: "fno", inputPaths: in.Paths(), samples: in.Samples(),
		inputs: []batch.ArraySpec{in.Spec("x")}, outputs: []batch.ArraySpec{{Name: "y", DType: "<f4", Shape: out[1:]}},
		chunkBytes: batch.DefaultChunkBytes, sampleBytes: in.SampleBytes(), settings: settings, files: files,
		source: in, device: l.engine.Info().Device,
		worker: &batch.FNO{Runner: l.runner, Model: m, Boundary: l.source, Samples: in.Samples(), Grid: l.grid, BatchSize: l.batch},
	}, stdout, stderr)
}

// checksummed is the files that the named flags give, by flag name, with their SHA-256.
func checksummed(fs *flag.FlagSet, names []string) (map[string]batch.FileSum, error) {
	files := map[string]batch.FileSum{}
	for _, name := range names {
		path := fs.Lookup(name).Value.String()
		if st, err := os.Stat(path); path == "" || err != nil || !st.Mode().IsRegular() {
			continue // unset, or a number (--flux-left 0.5)
		}
		sum, err := fileSHA256(path)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", name, err)
		}
		files[name] = batch.FileSum{Path: path, SHA256: sum}
	}
	return files, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// runJob runs a shard with progress, turning SIGTERM and SIGINT (a scheduler's preemption,
// a pod's stop, ^C) into a clean stop: the chunk in flight is abandoned or finished, and
// the command exits 143 or 130 after saying how far it got.
func runJob(ctx context.Context, job batch.Job, stdout, stderr io.Writer) error {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	caught := make(chan os.Signal, 1)
	go func() {
		select {
		case s := <-sigs:
			caught <- s
			cancel()
		case <-ctx.Done():
		}
	}()
	bar := newProgress(stderr, fmt.Sprintf("shard %s", job.Shard))
	job.Progress = bar.update
	start := time.Now()
	p, err := batch.Run(ctx, job)
	bar.finish()
	if err != nil && ctx.Err() != nil {
		fmt.Fprintf(stderr, "fluxcore batch: %d of %d chunks done; rerun to resume\n", p.ChunksDone, p.Chunks)
		select {
		case s := <-caught:
			return exitCode(128 + int(s.(syscall.Signal)))
		case <-time.After(time.Second):
			return exitCode(130) // the main handler's SIGINT
		}
	}
	if err != nil {
		return err
	}
	computed := p.SamplesDone - p.SkippedSamples
	fmt.Fprintf(stdout, "shard %s: %d of %d chunks done (%d samples computed, %d chunks found done) in %s on %s\n",
		job.Shard, p.ChunksDone, p.Chunks, computed, p.SkippedChunks, time.Since(start).Round(time.Millisecond), job.Device)
	return nil
}

func runBatchMerge(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fluxcore batch merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	outDir := fs.String("out-dir", "", "the job's directory")
	output := fs.String("output", "", "the merged array to write (.npy)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireFlags(fs, "out-dir", "output"); err != nil {
		return err
	}
	start := time.Now()
	if err := batch.Merge(ctx, *outDir, *output); err != nil {
		return err
	}
	m, err := batch.ReadManifest(*outDir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s %s: %d chunks in %s\n", *output, describeArrays(m.Samples, m.Outputs), m.Chunks,
		time.Since(start).Round(time.Millisecond))
	return nil
}

// describeArrays lists the arrays of samples samples as "[8 3] float64" when there is
// one, else as "x [8 3] float64, status [8] int32".
func describeArrays(samples int, specs []batch.ArraySpec) string {
	types := map[string]string{"<f4": "float32", "<f8": "float64", "<i4": "int32"}
	parts := make([]string, len(specs))
	for i, s := range specs {
		parts[i] = fmt.Sprintf("%v %s", append([]int{samples}, s.Shape...), types[s.DType])
		if len(specs) > 1 {
			parts[i] = s.Name + " " + parts[i]
		}
	}
	return strings.Join(parts, ", ")
}

func runBatchStatus(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fluxcore batch status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	outDir := fs.String("out-dir", "", "the job's directory")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireFlags(fs, "out-dir"); err != nil {
		return err
	}
	st, err := batch.ReadStatus(*outDir)
	if err != nil {
		return err
	}
	st.Print(stdout)
	return nil
}
