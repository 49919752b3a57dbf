package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/fluxcore/fluxcore/engine"
)

func runInfo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fluxcore info", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var ef engineFlags
	ef.register(fs)
	asJSON := fs.Bool("json", false, "print machine-readable JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	e, err := engine.Open(engine.Options{Device: ef.device, CPUVariant: ef.cpu})
	if err != nil {
		return err
	}
	defer e.Close()
	info := e.Info()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	printInfo(stdout, info)
	return nil
}

func printInfo(w io.Writer, info engine.Info) {
	yesNo := map[bool]string{true: "yes", false: "no"}
	fmt.Fprintf(w, "backend    %s (%s)\n", info.Backend, info.Device)
	fmt.Fprintf(w, "reason     %s\n", info.Reason)
	fmt.Fprintf(w, "cpu        %s, %d threads, %d workers\n", info.CPU.Model, info.CPU.Threads, info.CPU.Workers)
	fmt.Fprintf(w, "variant    %s (supported: %s)\n", info.CPU.Variant, strings.Join(info.CPU.Supported, ", "))
	fmt.Fprintf(w, "features   %s\n", strings.Join(info.CPU.Features, " "))
	fmt.Fprintf(w, "cuda       compiled: %s, available: %s\n", yesNo[info.CUDA.Compiled], yesNo[info.CUDA.Available])
	fmt.Fprintf(w, "           %s\n", info.CUDA.Reason)
	if info.CUDA.DriverVersion != "" {
		fmt.Fprintf(w, "driver     CUDA %s\n", info.CUDA.DriverVersion)
	}
	for _, d := range info.CUDA.Devices {
		fmt.Fprintf(w, "%-10s %s, compute %s, %d SMs, %.1f GiB\n", d.ID(), d.Name, d.ComputeCapability,
			d.Multiprocessors, float64(d.MemoryBytes)/(1<<30))
	}
	fmt.Fprintf(w, "go         %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
