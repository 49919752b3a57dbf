// Package loadgen drives an Open Inference Protocol server with concurrent clients and
// measures throughput and latency, as Triton's perf_analyzer does: over REST with JSON or
// binary tensors, or over gRPC with raw tensors.
package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/fluxcore/fluxcore/engine/fno"
	"github.com/fluxcore/fluxcore/engine/limits"
	"github.com/fluxcore/fluxcore/internal/float32le"
	pb "github.com/fluxcore/fluxcore/serve/inferencepb"
)

// Config says what to send and how hard.
type Config struct {
	// URL is the server: http://host:port for REST, host:port for gRPC.
	URL   string
	Model string
	GRPC  bool
	// Binary sends and asks for binary tensors over REST (gRPC always uses raw tensors).
	Binary bool
	// Shape is the main input's shape, batch first; nil takes it from the model's metadata
	// with a batch of 1, which needs a model that states its grid.
	Shape       []int
	Concurrency []int
	Duration    time.Duration
}

// Result is one concurrency level's measurement.
type Result struct {
	Concurrency   int     `json:"concurrency"`
	Requests      int     `json:"requests"`
	Errors        int     `json:"errors"`
	Seconds       float64 `json:"seconds"`
	RequestsPerS  float64 `json:"requests_per_second"`
	SamplesPerS   float64 `json:"samples_per_second"`
	P50Ms         float64 `json:"p50_ms"`
	P99Ms         float64 `json:"p99_ms"`
	FirstError    string  `json:"first_error,omitempty"`
	SamplesPerReq int     `json:"samples_per_request"`
}

func (r Result) String() string {
	s := fmt.Sprintf("concurrency %d: %d requests in %.1fs, %.1f req/s (%.1f samples/s), p50 %.2f ms, p99 %.2f ms, %d errors",
		r.Concurrency, r.Requests, r.Seconds, r.RequestsPerS, r.SamplesPerS, r.P50Ms, r.P99Ms, r.Errors)
	if r.FirstError != "" {
		s += " (first: " + r.FirstError + ")"
	}
	return s
}

// tensorSpec is the model metadata loadgen reads.
type tensorSpec struct {
	Name     string  `json:"name"`
	Datatype string  `json:"datatype"`
	Shape    []int64 `json:"shape"`
	Optional bool    `json:"optional"`
}

// sender sends one prepared request.
type sender func(ctx context.Context) error

// Run measures each concurrency level in turn; progress, when set, gets each result as it
// is measured.
func Run(ctx context.Context, cfg Config, progress func(Result)) ([]Result, error) {
	if len(cfg.Concurrency) == 0 || cfg.Duration <= 0 {
		return nil, fmt.Errorf("loadgen: want concurrency levels and a positive duration")
	}
	t, err := newTarget(cfg)
	if err != nil {
		return nil, err
	}
	defer t.close()
	inputs, err := t.inputs(ctx, cfg)
	if err != nil {
		return nil, err
	}
	send, err := t.sender(cfg, inputs)
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, c := range cfg.Concurrency {
		if c < 1 || c > 4096 {
			return out, fmt.Errorf("loadgen: concurrency %d, want 1..4096", c)
		}
		r := measure(ctx, send, c, cfg.Duration)
		r.SamplesPerReq = inputs[0].shape[0]
		r.SamplesPerS = r.RequestsPerS * float64(r.SamplesPerReq)
		out = append(out, r)
		if progress != nil {
			progress(r)
		}
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
	}
	return out, nil
}

// measure runs c clients for d and summarizes the latencies of the requests that finished
// within it. Requests run under ctx alone, not under the level's end, so that none is cut
// off by it and miscounted as an error.
func measure(ctx context.Context, send sender, c int, d time.Duration) Result {
	var mu sync.Mutex
	var lat []float64
	res := Result{Concurrency: c}
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for range c {
		wg.Go(func() {
			var mine []float64
			errs, first := 0, ""
			for ctx.Err() == nil && time.Now().Before(end) {
				t0 := time.Now()
				err := send(ctx)
				switch {
				case time.Now().After(end) || ctx.Err() != nil:
				case err != nil:
					errs++
					if first == "" {
						first = err.Error()
					}
				default:
					mine = append(mine, time.Since(t0).Seconds()*1e3)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			lat = append(lat, mine...)
			res.Errors += errs
			if res.FirstError == "" {
				res.FirstError = first
			}
		})
	}
	wg.Wait()
	res.Seconds = d.Seconds()
	res.Requests = len(lat)
	res.RequestsPerS = float64(len(lat)) / res.Seconds
	slices.Sort(lat)
	if len(lat) > 0 {
		res.P50Ms = lat[len(lat)/2]
		res.P99Ms = lat[min(len(lat)-1, len(lat)*99/100)]
	}
	return res
}

// input is one input tensor to send.
type input struct {
	name  string
	shape []int
	data  []float32
}

// inputsFor builds random inputs for the model's main input of the given shape and the
// boundary inputs it requires, shaped from its grid.
func inputsFor(specs []tensorSpec, shape []int) ([]input, error) {
	if len(specs) == 0 {
		return nil, fmt.Errorf("loadgen: the model has no inputs")
	}
	main := specs[0]
	if shape == nil {
		shape = make([]int, len(main.Shape))
		for i, d := range main.Shape {
			switch {
			case i == 0:
				shape[i] = 1
			case d < 0:
				return nil, fmt.Errorf("loadgen: input %q has shape %v: give --shape (batch first)", main.Name, main.Shape)
			default:
				shape[i] = int(d)
			}
		}
	}
	if len(shape) < 3 {
		return nil, fmt.Errorf("loadgen: shape %v, want [batch, grid..., channels]", shape)
	}
	if _, err := limits.Product("loadgen: shape", limits.MaxArrayElements, shape...); err != nil {
		return nil, err
	}
	grid := shape[1 : len(shape)-1]
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(shape []int) []float32 {
		n, _ := limits.Product("", limits.MaxArrayElements, shape...) // within the input's, checked above
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	out := []input{{main.Name, shape, random(shape)}}
	for _, s := range specs[1:] {
		if s.Optional {
			continue
		}
		axis := 0
		if s.Name == "top" || s.Name == "down" {
			axis = 1
		}
		face := fno.FaceShape(grid, shape[0], axis)
		out = append(out, input{s.Name, face, random(face)})
	}
	return out, nil
}

// target is a server reached over REST or gRPC.
type target struct {
	base   string
	client *http.Client
	conn   *grpc.ClientConn
	grpc   pb.GRPCInferenceServiceClient
}

func newTarget(cfg Config) (*target, error) {
	if !cfg.GRPC {
		// No compression: perf_analyzer asks for none, and it would cost both sides CPU.
		tr := &http.Transport{MaxIdleConnsPerHost: 4096, DisableCompression: true}
		return &target{base: strings.TrimSuffix(cfg.URL, "/"), client: &http.Client{Transport: tr}}, nil
	}
	conn, err := grpc.NewClient(strings.TrimPrefix(cfg.URL, "grpc://"), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(math.MaxInt32), grpc.MaxCallSendMsgSize(math.MaxInt32)))
	if err != nil {
		return nil, fmt.Errorf("loadgen: %w", err)
	}
	return &target{conn: conn, grpc: pb.NewGRPCInferenceServiceClient(conn)}, nil
}

func (t *target) close() {
	if t.conn != nil {
		t.conn.Close()
	}
}

// inputs reads the model's metadata and builds the inputs.
func (t *target) inputs(ctx context.Context, cfg Config) ([]input, error) {
	var specs []tensorSpec
	if t.conn != nil {
		md, err := t.grpc.ModelMetadata(ctx, &pb.ModelMetadataRequest{Name: cfg.Model})
		if err != nil {
			return nil, fmt.Errorf("loadgen: model metadata: %w", err)
		}
		for _, in := range md.GetInputs() {
			// The protocol's metadata has no optional flag: only Neumann fluxes are.
			specs = append(specs, tensorSpec{Name: in.GetName(), Datatype: in.GetDatatype(), Shape: in.GetShape(),
				Optional: strings.HasPrefix(in.GetName(), "flux_")})
		}
		return inputsFor(specs, cfg.Shape)
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", t.base+"/v2/models/"+cfg.Model, nil)
	resp, err := t.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("loadgen: model metadata: %w", err)
	}
	defer resp.Body.Close()
	var md struct{ Inputs []tensorSpec }
	if err := json.NewDecoder(resp.Body).Decode(&md); err != nil || resp.StatusCode != 200 {
		return nil, fmt.Errorf("loadgen: model metadata of %q: status %d, %v", cfg.Model, resp.StatusCode, err)
	}
	return inputsFor(md.Inputs, cfg.Shape)
}

// sender prepares the request once and returns a function that sends it and checks the
// answer's status.
func (t *target) sender(cfg Config, inputs []input) (sender, error) {
	if t.conn != nil {
		req := &pb.ModelInferRequest{ModelName: cfg.Model}
		for _, in := range inputs {
			shape := make([]int64, len(in.shape))
			for i, d := range in.shape {
				shape[i] = int64(d)
			}
			req.Inputs = append(req.Inputs, &pb.ModelInferRequest_InferInputTensor{Name: in.name, Datatype: "FP32", Shape: shape})
			req.RawInputContents = append(req.RawInputContents, float32le.Bytes(in.data))
		}
		return func(ctx context.Context) error {
			_, err := t.grpc.ModelInfer(ctx, req)
			return err
		}, nil
	}
	body, jsonLen := restBody(inputs, cfg.Binary)
	url := t.base + "/v2/models/" + cfg.Model + "/infer"
	return func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
		if jsonLen >= 0 {
			req.Header.Set("Inference-Header-Content-Length", strconv.Itoa(jsonLen))
		}
		resp, err := t.client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != 200 {
			err = fmt.Errorf("status %d: %s", resp.StatusCode, bytes.TrimSpace(data))
		}
		return err
	}, nil
}

// restBody is a JSON request, or with binary a JSON head (its length returned) followed by
// the inputs' bytes, asking for binary outputs.
func restBody(inputs []input, binaryData bool) ([]byte, int) {
	var tensors []map[string]any
	var blobs []byte
	for _, in := range inputs {
		t := map[string]any{"name": in.name, "datatype": "FP32", "shape": in.shape}
		if binaryData {
			b := float32le.Bytes(in.data)
			t["parameters"] = map[string]any{"binary_data_size": len(b)}
			blobs = append(blobs, b...)
		} else {
			t["data"] = in.data
		}
		tensors = append(tensors, t)
	}
	doc := map[string]any{"inputs": tensors}
	if binaryData {
		doc["parameters"] = map[string]any{"binary_data_output": true}
	}
	head, _ := json.Marshal(doc)
	if !binaryData {
		return head, -1
	}
	return append(head, blobs...), len(head)
}
