package main

import (
	"context"
	"encoding/json"
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
	"github.com/fluxcore/fluxcore/internal/atomicfile"
)

// benchReport is what `fluxcore bench --json` writes.
type benchReport struct {
	Engine engine.Info `json:"engine"`
	// PeakGFLOPS is the measured FMA peak of the CPU variant in use (CPU backend only).
	PeakGFLOPS float64           `json:"cpu_peak_gflops,omitempty"`
	Mix        []bench.MixResult `json:"spectral_mix"`
	Time       time.Time         `json:"time"`
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "fno" {
		return runBenchFNO(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("fluxcore bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var ef engineFlags
	ef.register(fs)
	suite := fs.String("suite", "mix", "benchmark suite: mix (spectral channel mixing)")
	iters := fs.Int("iters", 50, "timed iterations per case (the median is reported)")
	jsonPath := fs.String("json", "", "also write the results as JSON to this file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *suite != "mix" {
		return fmt.Errorf("--suite %q: want mix", *suite)
	}
	if *iters < 1 {
		return fmt.Errorf("--iters %d: want ≥ 1", *iters)
	}
	e, err := engine.Open(engine.Options{Device: ef.device, CPUVariant: ef.cpu})
	if err != nil {
		return err
	}
	defer e.Close()
	report := benchReport{Engine: e.Info(), Time: time.Now().UTC()}
	fmt.Fprintf(stdout, "backend %s (%s)\n", report.Engine.Device, report.Engine.Reason)

	if b, ok := e.Backend().(*cpu.Backend); ok {
		peak, err := cpu.MeasurePeak(ctx, b.Variant(), b.Workers(), 300*time.Millisecond)
		if err != nil {
			return err
		}
		report.PeakGFLOPS = peak.GFLOPS
		fmt.Fprintf(stdout, "measured FMA peak: %.1f GFLOP/s (%s, %d workers)\n", peak.GFLOPS, b.Variant(), b.Workers())
	}
	fmt.Fprintf(stdout, "\n%-16s %-22s %12s %12s %8s\n", "spectral mix", "shape B×I→O×K", "median", "GFLOP/s", "% peak")
	for _, c := range bench.MixCases {
		r, err := bench.SpectralMix(ctx, e.Backend(), c, *iters)
		if err != nil {
			return err
		}
		report.Mix = append(report.Mix, r)
		fmt.Fprintf(stdout, "%-16s %-22s %12s %12.1f %8s\n", c.Name, shapeString(c.Shape),
			time.Duration(r.MedianSec*float64(time.Second)).Round(time.Microsecond/10), r.GFLOPS, percent(r.GFLOPS, report.PeakGFLOPS))
	}
	if *jsonPath == "" {
		return nil
	}
	data, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(*jsonPath, append(data, '\n')); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwrote %s\n", *jsonPath)
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
