package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/fluxcore/fluxcore/serve/loadgen"
)

func runLoadgen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fluxcore loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: fluxcore loadgen --url http://127.0.0.1:8000 --model M [--concurrency 1,8,64] [--duration 10s]
       [--grpc] [--binary] [--shape 1,64,1] [--json]

Drives an Open Inference Protocol server with concurrent clients, each sending the same
random request back to back, and prints the throughput and p50/p99 latency per
concurrency, as Triton's perf_analyzer does. --grpc sends raw tensors to host:port.`)
		fs.PrintDefaults()
	}
	var cfg loadgen.Config
	fs.StringVar(&cfg.URL, "url", "", "the server: http://host:port, or host:port with --grpc")
	fs.StringVar(&cfg.Model, "model", "", "the model to load")
	fs.BoolVar(&cfg.GRPC, "grpc", false, "use gRPC (raw tensors) instead of REST")
	fs.BoolVar(&cfg.Binary, "binary", false, "REST: send and receive binary tensors instead of JSON")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "how long each concurrency level runs")
	levels := fs.String("concurrency", "1,8,64", "comma-separated numbers of concurrent clients")
	shape := fs.String("shape", "", "the input's shape, batch first (default: from the model's metadata, batch 1)")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireFlags(fs, "url", "model"); err != nil {
		return err
	}
	var err error
	if cfg.Concurrency, err = parseInts("--concurrency", *levels); err != nil {
		return err
	}
	if *shape != "" {
		if cfg.Shape, err = parseInts("--shape", *shape); err != nil {
			return err
		}
	}
	progress := func(r loadgen.Result) { fmt.Fprintln(stdout, r) }
	if *asJSON {
		progress = nil
	}
	results, err := loadgen.Run(ctx, cfg, progress)
	if err != nil {
		return err
	}
	if *asJSON {
		return jsonWriter(results)(stdout)
	}
	return nil
}

// parseInts reads "1,8,64" as positive integers.
func parseInts(name, s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s %q: %q is not a positive integer", name, s, part)
		}
		out = append(out, n)
	}
	return out, nil
}
