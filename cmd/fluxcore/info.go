package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/fno"
	"github.com/fluxcore/fluxcore/fft"
)

func runInfo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fluxcore info", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var ef engineFlags
	ef.register(ctx, fs)
	asJSON := fs.Bool("json", false, "print machine-readable JSON")
	model := fs.String("model", "", "also show which Fourier transform an FNO checkpoint would run with (needs --grid)")
	gridFlag := fs.String("grid", "", "the model's input grid, comma-separated extents (e.g. 85,85)")
	var transform string
	registerTransform(fs, &transform)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var grid []int
	method, err := parseTransform(transform)
	if err != nil {
		return fmt.Errorf("--transform: %w", err)
	}
	if *model != "" {
		if grid, err = parseGrid(*gridFlag); err != nil {
			return fmt.Errorf("--grid: %w", err)
		}
	}
	e, err := ef.open()
	if err != nil {
		return err
	}
	defer e.Close()
	info := e.Info()
	var choice *transformChoice
	if *model != "" {
		if choice, err = chooseTransform(ctx, e, *model, grid, method); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			engine.Info
			FNO *transformChoice `json:"fno,omitempty"`
		}{info, choice})
	}
	printInfo(stdout, info)
	if choice != nil {
		fmt.Fprintf(stdout, "fno        %s on %v: transform %s (cost model: truncated dft %.3g, fft %.3g per grid; override with --transform or FLUXCORE_FFT)\n",
			choice.Model, choice.Grid, choice.Transform, choice.CostModel.DFT, choice.CostModel.FFT)
	}
	return nil
}

// transformChoice is the Fourier transform an FNO runner picks for a grid on this backend.
type transformChoice struct {
	Model     string       `json:"model"`
	Grid      []int        `json:"grid"`
	Transform fft.Method   `json:"transform"`
	CostModel fft.Estimate `json:"transform_cost_model"`
}

// chooseTransform places the model for one sample, which is where the choice is made.
func chooseTransform(ctx context.Context, e *engine.Engine, path string, grid []int, method fft.Method) (*transformChoice, error) {
	m, err := fno.Load(ctx, path, fno.Overrides{}, fno.Overrides{})
	if err != nil {
		return nil, err
	}
	r, err := m.NewRunner(ctx, e.Backend(), fno.RunnerConfig{Grid: grid, Transform: method})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return &transformChoice{Model: path, Grid: grid, Transform: r.Transform(), CostModel: r.TransformEstimate()}, nil
}

func parseGrid(s string) ([]int, error) {
	if s == "" {
		return nil, fmt.Errorf("missing: give the grid extents, e.g. 85,85")
	}
	var grid []int
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 2 {
			return nil, fmt.Errorf("%q: %q is not an extent ≥ 2", s, part)
		}
		grid = append(grid, n)
	}
	return grid, nil
}

func printInfo(w io.Writer, info engine.Info) {
	yesNo := map[bool]string{true: "yes", false: "no"}
	fmt.Fprintf(w, "backend    %s (%s)\n", info.Backend, info.Device)
	fmt.Fprintf(w, "reason     %s\n", info.Reason)
	fmt.Fprintf(w, "cpu        %s, %d threads, %d workers\n", info.CPU.Model, info.CPU.Threads, info.CPU.Workers)
	fmt.Fprintf(w, "variant    %s (supported: %s)\n", info.CPU.Variant, strings.Join(info.CPU.Supported, ", "))
	if info.CPU.Memory != "go" {
		fmt.Fprintf(w, "memory     %s: buffers placed to find out-of-bounds accesses, slower than go\n", info.CPU.Memory)
	}
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
	fallbacks := 0
	for _, op := range info.Ops {
		if op.Fallback != "" {
			fmt.Fprintf(w, "fallback   %s on %s: %s\n", op.Op, op.Device, op.Fallback)
			fallbacks++
		}
	}
	fmt.Fprintf(w, "ops        %d of %d on %s\n", len(info.Ops)-fallbacks, len(info.Ops), info.Device)
	for _, d := range info.Domains {
		where := d.Device
		if len(d.Fallback) > 0 {
			where += fmt.Sprintf(", %v on the host", d.Fallback)
		}
		fmt.Fprintf(w, "domain     %-8s on %s: %s\n", d.Name, where, d.Entry)
	}
	fmt.Fprintf(w, "go         %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
