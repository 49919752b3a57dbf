// Package serve is fluxcore's inference server: a repository of FNO checkpoints behind the
// Open Inference Protocol (KServe's and Triton's "v2"), over REST and gRPC, with a dynamic
// batcher per model and Triton's Prometheus metrics.
package serve

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/fft"
)

// Options configure a Server.
type Options struct {
	// ModelDir holds one directory per model: <name>/model.safetensors and an optional
	// <name>/config.json (ModelConfig).
	ModelDir string
	// MaxBatch bounds every model's batch (default 64); MaxQueueDelay is how long the
	// batcher waits for a batch to fill (default 2 ms); MaxQueue bounds the requests a
	// model queues (default 1024): a request past it is refused as unavailable.
	MaxBatch      int
	MaxQueueDelay time.Duration
	MaxQueue      int
	// MaxRequestBytes bounds a request's body or message (default 64 MiB).
	MaxRequestBytes int64
	// MaxInflightBytes bounds the requests being read and decoded at once, all clients
	// together (default 1 GiB, at least 3·MaxRequestBytes: a body and its tensors), so that
	// many large requests cannot exhaust memory: past it a REST request is refused as
	// unavailable, and a gRPC call waits with its message unread (inflight's comment says why).
	MaxInflightBytes int64
	// ReadTimeout bounds how long a client may take to send a request, a REST body or a
	// gRPC message (default 2 minutes), so that a slow sender cannot hold the in-flight
	// budget.
	ReadTimeout time.Duration
	// AllowModelControl enables loading and unloading models at run time.
	AllowModelControl bool
	// Transform is the runners' Fourier transform method ("" for $FLUXCORE_FFT, else auto).
	Transform fft.Method
	// Registerer receives the metrics (default: a registry of the server's own).
	Registerer prometheus.Registerer
}

func (o *Options) fill() error {
	if o.MaxBatch == 0 {
		o.MaxBatch = 64
	}
	if o.MaxQueueDelay == 0 {
		o.MaxQueueDelay = 2 * time.Millisecond
	}
	if o.MaxQueue == 0 {
		o.MaxQueue = 1024
	}
	if o.MaxRequestBytes == 0 {
		o.MaxRequestBytes = 64 << 20
	}
	if o.MaxInflightBytes == 0 {
		o.MaxInflightBytes = max(1<<30, 3*o.MaxRequestBytes)
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = 2 * time.Minute
	}
	switch {
	case o.MaxBatch < 1 || o.MaxBatch > 1<<16:
		return fmt.Errorf("serve: max batch %d, want 1..%d", o.MaxBatch, 1<<16)
	case o.MaxQueueDelay < 0 || o.MaxQueueDelay > time.Minute:
		return fmt.Errorf("serve: max queue delay %v, want 0..1m", o.MaxQueueDelay)
	case o.MaxQueue < 1 || o.MaxQueue > 1<<20:
		return fmt.Errorf("serve: max queue %d, want 1..%d", o.MaxQueue, 1<<20)
	case o.MaxRequestBytes < 1<<10 || o.MaxRequestBytes > 1<<32:
		return fmt.Errorf("serve: max request bytes %d, want 1 KiB..4 GiB", o.MaxRequestBytes)
	case o.MaxInflightBytes < 3*o.MaxRequestBytes:
		return fmt.Errorf("serve: max in-flight bytes %d, want at least 3 × the max request bytes, %d", o.MaxInflightBytes, 3*o.MaxRequestBytes)
	case o.ReadTimeout < time.Millisecond || o.ReadTimeout > time.Hour:
		return fmt.Errorf("serve: read timeout %v, want 1ms..1h", o.ReadTimeout)
	}
	return nil
}

// Server holds the loaded models. Its handlers (HTTPHandler, the gRPC service) look models
// up by name; Close drains them.
type Server struct {
	opts     Options
	engine   *engine.Engine
	met      *metrics
	inflight *inflight            // the bytes of the requests being read and decoded
	Registry *prometheus.Registry // the metrics, unless Options.Registerer was given

	mu     sync.RWMutex
	models map[string]*Model
	ready  atomic.Bool
	health *health.Server // gRPC health, once NewGRPCServer made one
}

// New loads every model of opts.ModelDir onto e and starts their batchers.
func New(ctx context.Context, e *engine.Engine, opts Options) (*Server, error) {
	if err := opts.fill(); err != nil {
		return nil, err
	}
	s := &Server{opts: opts, engine: e, models: map[string]*Model{}, inflight: newInflight(opts.MaxInflightBytes)}
	reg := opts.Registerer
	if reg == nil {
		// The process's and the Go runtime's metrics come along (go_goroutines,
		// process_resident_memory_bytes), for leak and soak checks.
		s.Registry = prometheus.NewRegistry()
		s.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		reg = s.Registry
	}
	s.met = newMetrics(reg)
	entries, err := os.ReadDir(opts.ModelDir)
	if err != nil {
		return nil, fmt.Errorf("serve: models: %w", err)
	}
	for _, ent := range entries {
		if !ent.IsDir() || ent.Name()[0] == '.' {
			continue
		}
		if err := s.Load(ctx, ent.Name()); err != nil {
			s.Close()
			return nil, err
		}
	}
	s.ready.Store(true)
	return s, nil
}

// Load loads (or reloads) one model of the repository.
func (s *Server) Load(ctx context.Context, name string) error {
	m, err := loadModel(ctx, s.opts.ModelDir, name, s.engine, &s.opts, s.met)
	if err != nil {
		return err
	}
	s.mu.Lock()
	old := s.models[name]
	s.models[name] = m
	s.mu.Unlock()
	if old != nil {
		old.close()
	}
	return nil
}

// Unload stops serving a model once its queued requests have run.
func (s *Server) Unload(name string) error {
	s.mu.Lock()
	m := s.models[name]
	delete(s.models, name)
	s.mu.Unlock()
	if m == nil {
		return fmt.Errorf("%w: model %q is not loaded", ErrNotFound, name)
	}
	m.close()
	return nil
}

// Model is the named model at version ("" or Version).
func (s *Server) Model(name, version string) (*Model, error) {
	s.mu.RLock()
	m := s.models[name]
	s.mu.RUnlock()
	switch {
	case m == nil:
		return nil, fmt.Errorf("%w: no model %q", ErrNotFound, name)
	case version != "" && version != Version:
		return nil, fmt.Errorf("%w: model %q has no version %q (it has %q)", ErrNotFound, name, version, Version)
	}
	return m, nil
}

// Names are the loaded models' names, sorted.
func (s *Server) Names() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, 0, len(s.models))
	for n := range s.models {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Ready reports whether the server takes inference requests: false once draining starts.
func (s *Server) Ready() bool { return s.ready.Load() }

// SetReady turns readiness off (draining) or on, over REST and gRPC health alike.
func (s *Server) SetReady(ready bool) {
	s.ready.Store(ready)
	if s.health == nil {
		return
	}
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if ready {
		st = healthpb.HealthCheckResponse_SERVING
	}
	s.health.SetServingStatus("", st)
	s.health.SetServingStatus("inference.GRPCInferenceService", st)
}

// Close stops every model after its queued requests have run.
func (s *Server) Close() {
	s.SetReady(false)
	s.mu.Lock()
	models := s.models
	s.models = map[string]*Model{}
	s.mu.Unlock()
	for _, m := range models {
		m.close()
	}
}

// Metadata is the server's metadata response.
type Metadata struct {
	Name       string   `json:"name"`
	Version    string   `json:"version"`
	Extensions []string `json:"extensions"`
}

// ServerMetadata names the server and the protocol extensions it speaks.
func (s *Server) ServerMetadata() Metadata {
	ext := []string{"binary_tensor_data", "model_configuration"}
	if s.opts.AllowModelControl {
		ext = append(ext, "model_repository")
	}
	return Metadata{Name: "fluxcore", Version: engine.Version().Module, Extensions: ext}
}
