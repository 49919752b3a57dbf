package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/fluxcore/fluxcore/batch"
	"github.com/fluxcore/fluxcore/engine/conserve"
)

// solverChunk is how --chunk-size's default reads for batch conserve and kalman.
var solverChunk = fmt.Sprintf("%d MiB of input as float64", batch.SolverChunkBytes>>20)

func runBatchConserve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fluxcore batch conserve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: fluxcore batch conserve --input P.npz --out-dir D [--noise-var s2] [--outputs mean,var] [--shard i/n]

ProbConserv's update (as fluxcore conserve) of every slice of P.npz, an uncompressed .npz
(np.savez) of mean [B, n], one of var [B, n], cov [B, n, n] or ensemble [B, n, M] (with
var as its extra diagonal), G [m, n] or [B, m, n], and rhs [m] or [B, m]. The slices are
cut into chunks, and each shard updates its chunks' slices; batch merge joins them into an
.npz of the outputs, float64 if any input is, float32 otherwise.`)
		fs.PrintDefaults()
	}
	var ef engineFlags
	ef.register(ctx, fs)
	var jf jobFlags
	jf.register(fs, solverChunk)
	input := fs.String("input", "", "the problem, an .npz stored uncompressed (np.savez)")
	noiseVar := fs.Float64("noise-var", 0, "constraint noise variance σ² ≥ 0 (0: exact)")
	outputs := fs.String("outputs", "mean,var", "the outputs, some of "+strings.Join(batch.ConserveOutputNames, ","))
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireFlags(fs, "input", "out-dir"); err != nil {
		return err
	}
	if err := conserve.CheckNoiseVar(*noiseVar); err != nil {
		return err
	}
	in, err := batch.OpenConserveInput(ctx, *input)
	if err != nil {
		return err
	}
	defer in.Close()
	specs, err := batch.ConserveOutputs(ctx, in, strings.Split(*outputs, ","))
	if err != nil {
		return err
	}
	e, err := ef.open()
	if err != nil {
		return err
	}
	defer e.Close()
	settings := map[string]string{"noise-var": strconv.FormatFloat(*noiseVar, 'g', -1, 64)}
	w := &batch.Conserve{Input: in, Backend: e.Backend(), NoiseVar: *noiseVar, Outputs: specs}
	return jf.run(ctx, archiveJob("conserve", in, specs, settings, w, e.Info().Device), stdout, stderr)
}

// archiveJob is the job of a solver whose per-sample arrays come from one .npz archive.
func archiveJob(kind string, in *batch.Archive, outputs []batch.ArraySpec, settings map[string]string, w batch.Worker, device string) job {
	return job{kind: kind, inputPaths: in.Paths(), samples: in.Samples(), inputs: in.Specs(), outputs: outputs,
		chunkBytes: batch.SolverChunkBytes, sampleBytes: in.SampleBytes(), files: in.SharedSums(), settings: settings,
		source: in, worker: w, device: device}
}

func runBatchKalman(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fluxcore batch kalman", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: fluxcore batch kalman --input S.npz --out-dir D [--allow-failed] [--shard i/n]

One step (as fluxcore kalman) of every filter of S.npz, an uncompressed .npz (np.savez) of
x, P and F/Q and/or z/H/R (see fluxcore kalman -h); F, Q, H and R of rank 2 are shared.
The filters are cut into chunks, and each shard steps its chunks' filters; batch merge
joins them into an .npz of x, P and status. A chunk with failed filters is an error unless
--allow-failed keeps it, with their status.`)
		fs.PrintDefaults()
	}
	var ef engineFlags
	ef.register(ctx, fs)
	var jf jobFlags
	jf.register(fs, solverChunk)
	input := fs.String("input", "", "the step, an .npz stored uncompressed (np.savez)")
	allowFailed := fs.Bool("allow-failed", false, "keep chunks whose filters failed, with their status")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireFlags(fs, "input", "out-dir"); err != nil {
		return err
	}
	in, err := batch.OpenKalmanInput(ctx, *input)
	if err != nil {
		return err
	}
	defer in.Close()
	specs, err := batch.KalmanOutputs(ctx, in)
	if err != nil {
		return err
	}
	e, err := ef.open()
	if err != nil {
		return err
	}
	defer e.Close()
	w := &batch.Kalman{Input: in, Backend: e.Backend(), AllowFailed: *allowFailed}
	err = jf.run(ctx, archiveJob("kalman", in, specs, map[string]string{}, w, e.Info().Device), stdout, stderr)
	if err == nil && w.Failed > 0 {
		fmt.Fprintf(stderr, "fluxcore batch: %d filters failed and were kept with their status: %d with S not positive definite, %d non-finite\n",
			w.Failed, w.NotPositiveDefinite, w.NonFinite)
	}
	return err
}
