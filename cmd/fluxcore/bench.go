package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/fluxcore/fluxcore/bench"
	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/cpu"
)

// benchReport is what `fluxcore bench --json` writes.
type benchReport struct {
	Engine engine.Info `json:"engine"`
	// PeakGFLOPS is the measured FMA peak of the CPU variant in use (CPU backend only).
	PeakGFLOPS float64           `json:"cpu_peak_gflops,omitempty"`
	Mix        []bench.MixResult `json:"spectral_mix,omitempty"`
	// CopyGBps is the copy bandwidth the cov suite measured its cases against.
	CopyGBps float64            `json:"copy_gb_per_second,omitempty"`
	Cov      []bench.CovResult  `json:"cov,omitempty"`
	Traj     []bench.TrajResult `json:"traj,omitempty"`
	Time     time.Time          `json:"time"`
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "fno" {
		return runBenchFNO(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("fluxcore bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var ef engineFlags
	ef.register(ctx, fs)
	suite := fs.String("suite", "mix", "benchmark suite: mix (spectral channel mixing), cov (Kalman and ProbConserv updates) or traj (planning cycles)")
	iters := fs.Int("iters", 0, "timed iterations per case, the median reported (default 50 for mix, 5 for cov and traj)")
	full := fs.Bool("full", false, "traj: the whole grid, up to 10⁶ candidates, also on a CPU (minutes)")
	maxCandidates := fs.Int("max-candidates", 0, "traj: leave out the cases with more candidates than this (0: no limit)")
	jsonPath := fs.String("json", "", "also write the results as JSON to this file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	defaultIters, ok := map[string]int{"mix": 50, "cov": 5, "traj": 5}[*suite]
	if !ok {
		return fmt.Errorf("--suite %q: want mix, cov or traj", *suite)
	}
	itersSet := false
	fs.Visit(func(f *flag.Flag) { itersSet = itersSet || f.Name == "iters" })
	if !itersSet {
		*iters = defaultIters
	}
	if *iters < 1 {
		return fmt.Errorf("--iters %d: want ≥ 1", *iters)
	}
	e, err := ef.open()
	if err != nil {
		return err
	}
	defer e.Close()
	report := benchReport{Engine: e.Info(), Time: time.Now().UTC()}
	fmt.Fprintf(stdout, "backend %s (%s)\n", report.Engine.Device, report.Engine.Reason)
	switch *suite {
	case "cov":
		err = benchCov(ctx, e.Backend(), *iters, &report, stdout)
	case "traj":
		err = benchTraj(ctx, e, *iters, *full, *maxCandidates, &report, stdout)
	default:
		err = benchMix(ctx, e.Backend(), *iters, &report, stdout)
	}
	if err != nil || *jsonPath == "" {
		return err
	}
	if err := writeJSON(*jsonPath, report); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwrote %s\n", *jsonPath)
	return nil
}

func benchMix(ctx context.Context, be backend.Backend, iters int, report *benchReport, stdout io.Writer) error {
	if b, ok := be.(*cpu.Backend); ok {
		peak, err := cpu.MeasurePeak(ctx, b.Variant(), b.Workers(), 300*time.Millisecond)
		if err != nil {
			return err
		}
		report.PeakGFLOPS = peak.GFLOPS
		fmt.Fprintf(stdout, "measured FMA peak: %.1f GFLOP/s (%s, %d workers)\n", peak.GFLOPS, b.Variant(), b.Workers())
	}
	fmt.Fprintf(stdout, "\n%-16s %-22s %12s %12s %8s\n", "spectral mix", "shape B×I→O×K", "median", "GFLOP/s", "% peak")
	for _, c := range bench.MixCases {
		r, err := bench.SpectralMix(ctx, be, c, iters)
		if err != nil {
			return err
		}
		report.Mix = append(report.Mix, r)
		fmt.Fprintf(stdout, "%-16s %-22s %12s %12.1f %8s\n", c.Name, shapeString(c.Shape),
			time.Duration(r.MedianSec*float64(time.Second)).Round(time.Microsecond/10), r.GFLOPS, percent(r.GFLOPS, report.PeakGFLOPS))
	}
	return nil
}

// benchCov times the covariance cases against the copy bandwidth of the backend's memory:
// the host's for the CPU backend, the device's own copy otherwise.
func benchCov(ctx context.Context, be backend.Backend, iters int, report *benchReport, stdout io.Writer) error {
	onCPU := be.Kind() == backend.KindCPU
	if b, ok := be.(*cpu.Backend); ok {
		report.CopyGBps = bench.HostCopyBandwidth(b.Workers())
	} else {
		var err error
		if report.CopyGBps, err = bench.DeviceCopyBandwidth(ctx, be, iters); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "copy bandwidth: %.1f GB/s (bytes read + written)\n", report.CopyGBps)
	fmt.Fprintf(stdout, "\n%-36s %12s %14s %9s %8s\n", "case", "median", "updates/s", "GB/s", "% copy")
	for _, c := range bench.CovCases {
		if c.DeviceOnly && onCPU {
			continue
		}
		r, err := bench.Cov(ctx, be, c, iters, report.CopyGBps)
		if err != nil {
			return err
		}
		report.Cov = append(report.Cov, r)
		fmt.Fprintf(stdout, "%-36s %12s %14.4g %9.2f %7.1f%%\n", c.Name,
			time.Duration(r.MedianSec*float64(time.Second)).Round(time.Microsecond/10), r.UpdatesPerSec, r.GBps, r.PctCopy)
	}
	return nil
}

func shapeString(s backend.MixShape) string {
	return fmt.Sprintf("%d×%d→%d×%d", s.Batch, s.In, s.Out, s.Modes)
}

func percent(v, peak float64) string {
	if peak <= 0 {
		return "-"
	}
	return strings.TrimSpace(fmt.Sprintf("%.0f%%", 100*v/peak))
}

// startCPUProfile profiles the timed part of a benchmark only, so that loading and warm-up do
// not dilute the picture.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile %q: %w", path, err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// benchTraj times full planning cycles (sample, score, top-K, the best rolled out) over the
// issue's grid: candidates × steps × obstacles × map, the fast collision form, and the
// accurate one on the 2048 × 100 CPU target case. On a CPU the grid stops at 65 536
// candidates unless full is set.
func benchTraj(ctx context.Context, e *engine.Engine, iters int, full bool, maxCandidates int, report *benchReport, stdout io.Writer) error {
	type run struct {
		c        bench.TrajCase
		accurate bool
	}
	var runs []run
	for _, c := range bench.TrajGrid(e.Backend().Kind() != backend.KindCPU || full) {
		runs = append(runs, run{c: c})
	}
	runs = append(runs, run{c: bench.TrajCase{Candidates: 2048, Steps: 100, Obstacles: 8, Map: true}},
		run{c: bench.TrajCase{Candidates: 2048, Steps: 100, Obstacles: 8, Map: true}, accurate: true})
	fmt.Fprintf(stdout, "\n%-36s %-9s %12s %14s\n", "case", "collision", "ms/cycle", "candidates/s")
	for _, r := range runs {
		if maxCandidates > 0 && r.c.Candidates > maxCandidates {
			continue
		}
		res, err := bench.Traj(ctx, e, r.c, r.accurate, iters)
		if err != nil {
			return err
		}
		report.Traj = append(report.Traj, res)
		fmt.Fprintf(stdout, "%-36s %-9s %12.3f %14.4g\n", res.Case, res.Collision, res.MedianMs, res.CandidatesPer)
	}
	return nil
}
