package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/net/netutil"

	"github.com/fluxcore/fluxcore/engine/limits"
	"github.com/fluxcore/fluxcore/serve"
)

const serveUsage = `usage: fluxcore serve --models DIR [--host 127.0.0.1] [--http-port 8000] [--grpc-port 8001] [--metrics-port 8002]
       [--max-batch 64] [--max-queue-delay 2ms] [--max-queue 1024] [--max-request-bytes 64MiB] [--device ...]

Serves the checkpoints of DIR (DIR/<name>/model.safetensors, with an optional
DIR/<name>/config.json) over the Open Inference Protocol, KServe's and Triton's "v2": REST on
--http-port, gRPC (inference.GRPCInferenceService, grpc.health.v1, reflection) on
--grpc-port, Prometheus metrics on --metrics-port at /metrics. Requests for a model are
joined into batches of up to --max-batch samples, waiting at most --max-queue-delay.

On SIGTERM or SIGINT the server turns /v2/health/ready false and keeps serving for
--drain-delay (Kubernetes removes endpoints with a lag), then stops accepting, finishes the
requests in flight within --drain-timeout, and exits 0. A port of 0 takes a free one.`

// serveFlags are the flags of `fluxcore serve`.
type serveFlags struct {
	engineFlags
	opts                            serve.Options
	host                            string
	httpPort, grpcPort, metricsPort int
	drainDelay, drainTimeout        time.Duration
	maxConnections                  int
	cpuProfile                      string
}

func (f *serveFlags) register(ctx context.Context, fs *flag.FlagSet) {
	f.engineFlags.register(ctx, fs)
	fs.StringVar(&f.opts.ModelDir, "models", "", "the model repository: DIR/<name>/model.safetensors and optional config.json")
	fs.StringVar(&f.host, "host", "127.0.0.1", "address to listen on (0.0.0.0: every interface)")
	fs.IntVar(&f.httpPort, "http-port", 8000, "REST port")
	fs.IntVar(&f.grpcPort, "grpc-port", 8001, "gRPC port")
	fs.IntVar(&f.metricsPort, "metrics-port", 8002, "Prometheus metrics port (/metrics)")
	fs.IntVar(&f.opts.MaxBatch, "max-batch", 64, "the most samples one execution takes")
	fs.DurationVar(&f.opts.MaxQueueDelay, "max-queue-delay", 2*time.Millisecond, "how long a request waits for its batch to fill")
	fs.IntVar(&f.opts.MaxQueue, "max-queue", 1024, "requests a model queues; more are refused with 503 / UNAVAILABLE")
	f.opts.MaxRequestBytes = 64 << 20
	fs.Func("max-request-bytes", "the largest request body or gRPC message (default 64MiB)", func(s string) error {
		n, err := limits.ParseBytes(s)
		f.opts.MaxRequestBytes = n
		return err
	})
	fs.Func("max-inflight-bytes", "the requests read and decoded at once, all clients together (default 1GiB, at least 3 × --max-request-bytes)", func(s string) error {
		n, err := limits.ParseBytes(s)
		f.opts.MaxInflightBytes = n
		return err
	})
	fs.DurationVar(&f.opts.ReadTimeout, "read-timeout", 2*time.Minute, "how long a client may take to send a request (a REST body, a gRPC message)")
	fs.IntVar(&f.maxConnections, "max-connections", 512, "REST and gRPC connections open at once, each; more wait to be accepted")
	fs.BoolVar(&f.opts.AllowModelControl, "allow-model-control", false, "serve /v2/repository/... to load and unload models at run time")
	fs.DurationVar(&f.drainDelay, "drain-delay", 5*time.Second, "on SIGTERM, how long to keep serving with readiness off")
	fs.DurationVar(&f.drainTimeout, "drain-timeout", 10*time.Second, "then, how long the requests in flight may take to finish")
	registerTransform(fs, (*string)(&f.opts.Transform))
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a Go CPU profile of the whole run to this file (go tool pprof)")
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fluxcore serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, serveUsage)
		fs.PrintDefaults()
	}
	var f serveFlags
	f.register(ctx, fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireFlags(fs, "models"); err != nil {
		return err
	}
	if f.maxConnections < 1 {
		return fmt.Errorf("serve: --max-connections %d, want at least 1", f.maxConnections)
	}
	// Signals are caught before anything loads, so that a stop during loading is clean too.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	if f.cpuProfile != "" {
		stop, err := startCPUProfile(f.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	e, err := f.open()
	if err != nil {
		return err
	}
	defer e.Close()
	s, err := serve.New(ctx, e, f.opts)
	if err != nil {
		return err
	}
	defer s.Close()
	return f.run(ctx, s, sigs, e.Info().Device, stderr)
}

// run listens, serves until a signal (or ctx) says stop, and drains.
func (f *serveFlags) run(ctx context.Context, s *serve.Server, sigs <-chan os.Signal, device string, stderr io.Writer) error {
	lns := make([]net.Listener, 3)
	for i, port := range []int{f.httpPort, f.grpcPort, f.metricsPort} {
		ln, err := net.Listen("tcp", net.JoinHostPort(f.host, strconv.Itoa(port)))
		if err != nil {
			closeAll(lns)
			return fmt.Errorf("serve: %w", err)
		}
		lns[i] = ln
	}
	// What a connection holds before its requests are charged (headers, gRPC messages
	// waiting in their flow-control windows) is bounded per connection, so the count is.
	lns[0], lns[1] = netutil.LimitListener(lns[0], f.maxConnections), netutil.LimitListener(lns[1], f.maxConnections)
	metricsMux := http.NewServeMux()
	metricsMux.Handle("GET /metrics", s.MetricsHandler())
	httpSrv := s.NewHTTPServer()
	metricsSrv := &http.Server{Handler: metricsMux, ReadHeaderTimeout: 10 * time.Second}
	grpcSrv := s.NewGRPCServer()
	failed := make(chan error, 3)
	go func() { failed <- httpSrv.Serve(lns[0]) }()
	go func() { failed <- grpcSrv.Serve(lns[1]) }()
	go func() { failed <- metricsSrv.Serve(lns[2]) }()
	fmt.Fprintf(stderr, "fluxcore serve: %d models (%s) on %s; REST http://%s, gRPC %s, metrics http://%s/metrics\n",
		len(s.Names()), strings.Join(s.Names(), ", "), device, lns[0].Addr(), lns[1].Addr(), lns[2].Addr())
	select {
	case sig := <-sigs:
		fmt.Fprintf(stderr, "fluxcore serve: %v: not ready; serving %v more, then draining for at most %v\n", sig, f.drainDelay, f.drainTimeout)
	case <-ctx.Done():
		fmt.Fprintf(stderr, "fluxcore serve: stopping: %v\n", context.Cause(ctx))
	case err := <-failed:
		return fmt.Errorf("serve: %w", err)
	}
	s.SetReady(false)
	time.Sleep(f.drainDelay)
	return drain(s, httpSrv, metricsSrv, grpcSrv, f.drainTimeout, stderr)
}

// drain stops accepting, waits for the requests in flight up to timeout, then stops the
// models (whose queues are empty by then) and the metrics.
func drain(s *serve.Server, httpSrv, metricsSrv *http.Server, grpcSrv interface {
	GracefulStop()
	Stop()
}, timeout time.Duration, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	grpcDone := make(chan struct{})
	go func() {
		grpcSrv.GracefulStop()
		close(grpcDone)
	}()
	httpErr := httpSrv.Shutdown(ctx)
	select {
	case <-grpcDone:
	case <-ctx.Done():
		grpcSrv.Stop()
	}
	s.Close()
	metricsSrv.Close()
	if errors.Is(httpErr, context.DeadlineExceeded) || ctx.Err() != nil {
		return fmt.Errorf("serve: requests still in flight after --drain-timeout %v were cut off", timeout)
	}
	fmt.Fprintln(stderr, "fluxcore serve: drained")
	return nil
}

func closeAll(lns []net.Listener) {
	for _, ln := range lns {
		if ln != nil {
			ln.Close()
		}
	}
}
