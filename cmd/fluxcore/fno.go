package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/fno"
	"github.com/fluxcore/fluxcore/fft"
	"github.com/fluxcore/fluxcore/npy"
)

// fnoFlags are the model and boundary flags shared by `fno` and `bench fno`.
type fnoFlags struct {
	engineFlags
	model, input, config       string
	bc, left, right, top, down string
	outputOnly                 bool
	fluxLeft, fluxRight        string
	stencilLeft, stencilRight  string
	padding                    string
	gridLB, gridUB             float64
	gridEndpoint               bool
	batchSize                  int
	transform                  string
	set                        map[string]bool
}

func (f *fnoFlags) register(ctx context.Context, fs *flag.FlagSet) {
	f.engineFlags.register(ctx, fs)
	fs.StringVar(&f.model, "model", "", "model weights (.safetensors state_dict)")
	fs.StringVar(&f.input, "input", "", "input array (.npy, channels-last [batch, grid..., channels])")
	fs.StringVar(&f.config, "config", "", "JSON file of hyper-parameters (padding, grid_lb, grid_ub, grid_endpoint, bc)")
	fs.StringVar(&f.bc, "bc", "", "boundary condition to enforce: dirichlet, neumann or periodic")
	fs.StringVar(&f.left, "left", "", "dirichlet: values on the first axis' left face (.npy [batch, other axes...]; [batch] in 1-D)")
	fs.StringVar(&f.right, "right", "", "dirichlet: values on the first axis' right face (.npy, as --left)")
	fs.StringVar(&f.top, "top", "", "dirichlet, 3-D: values on the second axis' first face (.npy [batch, n1, n3])")
	fs.StringVar(&f.down, "down", "", "dirichlet, 3-D: values on the second axis' last face (.npy, as --top)")
	fs.StringVar(&f.fluxLeft, "flux-left", "0", "neumann: flux on the left face, a number or a .npy shaped like --left")
	fs.StringVar(&f.fluxRight, "flux-right", "0", "neumann: flux on the right face, a number or a .npy shaped like --left")
	fs.BoolVar(&f.outputOnly, "bc-output-only", false, "plain checkpoints: impose --bc on the output only, leaving the layers as trained (keeps their accuracy)")
	fs.StringVar(&f.stencilLeft, "stencil-left", "", "neumann: normalized left stencil, comma-separated (default: third-order one-sided)")
	fs.StringVar(&f.stencilRight, "stencil-right", "", "neumann: normalized right stencil, comma-separated (default: third-order one-sided)")
	fs.StringVar(&f.padding, "padding", "", "zero padding: one count for the axes the architecture pads, or one per axis (\"0,9\"); default: metadata, else the reference script's")
	fs.Float64Var(&f.gridLB, "grid-lb", 0, "lower bound of the grid channels (default: metadata, else 0)")
	fs.Float64Var(&f.gridUB, "grid-ub", 1, "upper bound of the grid channels (default: metadata, else 1)")
	fs.BoolVar(&f.gridEndpoint, "grid-endpoint", true, "grid channels include the upper bound (default: metadata, else true)")
	fs.IntVar(&f.batchSize, "batch-size", 32, "samples per forward pass")
	registerTransform(fs, &f.transform)
}

// parse records which flags were given, so that only those override the file.
func (f *fnoFlags) parse(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	if err := requireFlags(fs, "model", "input"); err != nil {
		return err
	}
	if f.batchSize < 1 {
		return fmt.Errorf("--batch-size %d: want ≥ 1", f.batchSize)
	}
	return nil
}

func (f *fnoFlags) overrides() (flags, cfg fno.Overrides, err error) {
	if f.set["padding"] {
		flags.Padding = &f.padding
	}
	if f.set["grid-lb"] {
		flags.GridLB = &f.gridLB
	}
	if f.set["grid-ub"] {
		flags.GridUB = &f.gridUB
	}
	if f.set["grid-endpoint"] {
		flags.GridEndpoint = &f.gridEndpoint
	}
	if f.bc != "" {
		k, err := fno.ParseBoundaryKind(f.bc)
		if err != nil {
			return flags, cfg, fmt.Errorf("--bc: %w", err)
		}
		flags.BC = &k
	}
	if f.config != "" {
		if cfg, err = fno.ReadConfig(f.config); err != nil {
			return flags, cfg, fmt.Errorf("--config: %w", err)
		}
	}
	return flags, cfg, nil
}

// registerTransform adds --transform, the Fourier transform method a runner uses.
func registerTransform(fs *flag.FlagSet, dst *string) {
	fs.StringVar(dst, "transform", "",
		"Fourier transforms: auto (cost model), dft (truncated DFT) or fft (full FFT); default $"+fno.EnvTransform+", else auto")
}

// boundary is where the flags say the boundary data comes from.
func (f *fnoFlags) boundary() (fno.BoundarySource, error) {
	src := fno.BoundarySource{Kind: fno.BoundaryKind(f.bc), OutputOnly: f.outputOnly, Left: f.left, Right: f.right,
		Top: f.top, Down: f.down, FluxLeft: f.fluxLeft, FluxRight: f.fluxRight}
	var err error
	if src.StencilLeft, err = parseStencil("--stencil-left", f.stencilLeft); err != nil {
		return src, err
	}
	src.StencilRight, err = parseStencil("--stencil-right", f.stencilRight)
	return src, err
}

func parseStencil(flagName, s string) ([]float64, error) {
	if s == "" {
		return nil, nil
	}
	var out []float64
	for _, part := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%s %q: %q is not a finite number", flagName, s, part)
		}
		out = append(out, v)
	}
	return out, nil
}

// loaded is a model, its input and its runner, ready to run.
type loaded struct {
	engine *engine.Engine
	model  *fno.Model
	input  *npy.Array
	runner *fno.Runner
	bc     *fno.Boundary
	source fno.BoundarySource
	batch  int
	grid   []int
}

func (f *fnoFlags) load(ctx context.Context, stderr io.Writer) (*loaded, error) {
	m, err := f.loadModel(ctx, stderr)
	if err != nil {
		return nil, err
	}
	in, err := npy.Read(ctx, f.input)
	if err != nil {
		return nil, err
	}
	l, err := f.prepare(ctx, m, in.Shape)
	if err != nil {
		return nil, err
	}
	l.input = in
	if l.bc, err = l.source.Resolve(ctx, m, in.Shape[0], l.grid); err != nil {
		l.close()
		return nil, err
	}
	return l, nil
}

// loadModel loads --model with the flags' and --config's overrides, saying which reference
// defaults it fell back on.
func (f *fnoFlags) loadModel(ctx context.Context, stderr io.Writer) (*fno.Model, error) {
	flags, cfg, err := f.overrides()
	if err != nil {
		return nil, err
	}
	m, err := fno.Load(ctx, f.model, cfg, flags)
	if err != nil {
		return nil, err
	}
	if d := m.UsedDefaults(); len(d) > 0 {
		parts := make([]string, len(d))
		for i, s := range d {
			parts[i] = s.Name + "=" + s.Value
		}
		sort.Strings(parts)
		fmt.Fprintf(stderr, "fluxcore fno: using reference defaults for %s\n", strings.Join(parts, ", "))
	}
	return m, nil
}

// prepare checks an input of the given shape against m and the boundary flags, and opens
// the engine and a runner; the input and its boundary data are left to the caller.
func (f *fnoFlags) prepare(ctx context.Context, m *fno.Model, shape []int) (*loaded, error) {
	grid, err := m.CheckInput(shape)
	if err != nil {
		return nil, fmt.Errorf("input %s: %w", f.input, err)
	}
	src, err := f.boundary()
	if err != nil {
		return nil, err
	}
	e, err := f.open()
	if err != nil {
		return nil, err
	}
	method, err := parseTransform(f.transform)
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("--transform: %w", err)
	}
	batch := min(f.batchSize, shape[0])
	r, err := m.NewRunner(ctx, e.Backend(), fno.RunnerConfig{Grid: grid, MaxBatch: batch, Transform: method})
	if err != nil {
		e.Close()
		return nil, err
	}
	return &loaded{engine: e, model: m, runner: r, source: src, batch: batch, grid: grid}, nil
}

func (l *loaded) close() {
	l.runner.Close()
	l.engine.Close()
}

// forward runs samples [lo, hi) of the input.
func (l *loaded) forward(ctx context.Context, lo, hi int) ([]float32, error) {
	per := len(l.input.Data) / l.input.Shape[0]
	grid := l.input.Shape[1 : len(l.input.Shape)-1]
	return l.runner.Forward(ctx, l.input.Data[lo*per:hi*per], hi-lo, l.bc.Samples(grid, lo, hi))
}

func runFNO(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fluxcore fno", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f fnoFlags
	f.register(ctx, fs)
	output := fs.String("output", "", "output array to write (.npy, channels-last [batch, grid..., out])")
	if err := f.parse(fs, args); err != nil {
		return err
	}
	if err := requireFlags(fs, "output"); err != nil {
		return err
	}
	l, err := f.load(ctx, stderr)
	if err != nil {
		return err
	}
	defer l.close()
	samples := l.input.Shape[0]
	start, lastReport := time.Now(), time.Now()
	out, err := l.runner.ForwardAll(ctx, l.input.Data, samples, l.bc, func(done int) {
		if time.Since(lastReport) > 2*time.Second {
			fmt.Fprintf(stderr, "fluxcore fno: %d/%d samples (%.0f samples/s)\n", done, samples, float64(done)/time.Since(start).Seconds())
			lastReport = time.Now()
		}
	})
	if err != nil {
		return err
	}
	shape := l.runner.OutputShape(samples)
	if err := npy.Write(*output, &npy.Array{Shape: shape, Data: out}); err != nil {
		return err
	}
	info := l.engine.Info()
	fmt.Fprintf(stdout, "wrote %s %v: %d samples in %s on %s\n", *output, shape, samples, time.Since(start).Round(time.Millisecond), info.Device)
	return nil
}

// fnoBenchResult is what `fluxcore bench fno --json` writes.
type fnoBenchResult struct {
	Engine        engine.Info  `json:"engine"`
	Model         string       `json:"model"`
	Batch         int          `json:"batch"`
	Grid          []int        `json:"grid"`
	Transform     fft.Method   `json:"transform"`
	CostModel     fft.Estimate `json:"transform_cost_model"`
	MedianSeconds float64      `json:"median_seconds_per_batch"`
	SamplesPerSec float64      `json:"samples_per_second"`
	Iterations    int          `json:"iterations"`
	Time          time.Time    `json:"time"`
}

func runBenchFNO(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fluxcore bench fno", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f fnoFlags
	f.register(ctx, fs)
	iters := fs.Int("iters", 20, "timed iterations (the median is reported)")
	jsonPath := fs.String("json", "", "also write the result as JSON to this file")
	cpuProfile := fs.String("cpuprofile", "", "write a Go CPU profile of the timed iterations to this file")
	if err := f.parse(fs, args); err != nil {
		return err
	}
	if *iters < 1 {
		return fmt.Errorf("--iters %d: want ≥ 1", *iters)
	}
	l, err := f.load(ctx, stderr)
	if err != nil {
		return err
	}
	defer l.close()
	// Warm up once (plans, probes, caches), then time whole batches.
	if _, err := l.forward(ctx, 0, l.batch); err != nil {
		return err
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	times := make([]float64, *iters)
	for i := range times {
		t0 := time.Now()
		if _, err := l.forward(ctx, 0, l.batch); err != nil {
			return err
		}
		times[i] = time.Since(t0).Seconds()
	}
	sort.Float64s(times)
	med := times[len(times)/2]
	info := l.engine.Info()
	res := fnoBenchResult{
		Engine: info, Model: f.model, Batch: l.batch, Grid: l.input.Shape[1 : len(l.input.Shape)-1],
		Transform: l.runner.Transform(), CostModel: l.runner.TransformEstimate(), MedianSeconds: med, SamplesPerSec: float64(l.batch) / med,
		Iterations: *iters, Time: time.Now().UTC(),
	}
	variant := ""
	if info.CPU.Variant != "" && info.Backend == "cpu" {
		variant = " (" + info.CPU.Variant + ")"
	}
	fmt.Fprintf(stdout, "%s on %s%s: batch %d, grid %v, transform %s (cost model picks %s: dft %.3g, fft %.3g per grid): median %.3f ms per batch, %.0f samples/s\n",
		f.model, info.Device, variant, l.batch, res.Grid, res.Transform, res.CostModel.Method, res.CostModel.DFT, res.CostModel.FFT,
		1e3*med, res.SamplesPerSec)
	if *jsonPath != "" {
		return writeJSON(*jsonPath, res)
	}
	return nil
}

// parseTransform reads --transform; empty leaves the choice to fno.RunnerConfig, which reads
// $FLUXCORE_FFT.
func parseTransform(s string) (fft.Method, error) {
	if s == "" {
		return "", nil
	}
	return fft.ParseMethod(s)
}
