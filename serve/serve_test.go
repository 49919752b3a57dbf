package serve

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/fno"
	"github.com/fluxcore/fluxcore/engine/limits"
	"github.com/fluxcore/fluxcore/npy"
)

const golden = "../engine/fno/testdata/golden/"

// repository makes a model directory of golden checkpoints: fno1d (plain) and boon1d (BOON
// Dirichlet), each with the config given (none when "").
func repository(t *testing.T, configs map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range map[string]string{"fno1d": "fno1d", "boon1d": "boon1d_dirichlet"} {
		raw, err := os.ReadFile(filepath.Join(golden, src, "model.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(dir, name), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name, "model.safetensors"), raw, 0o644); err != nil {
			t.Fatal(err)
		}
		if cfg := configs[name]; cfg != "" {
			os.WriteFile(filepath.Join(dir, name, "config.json"), []byte(cfg), 0o644)
		}
	}
	return dir
}

// newTestServer serves a repository over httptest.
func newTestServer(t *testing.T, opts Options, configs map[string]string) (*Server, *httptest.Server) {
	t.Helper()
	e, err := engine.Open(engine.Options{Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	opts.ModelDir = repository(t, configs)
	s, err := New(context.Background(), e, opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.HTTPHandler())
	t.Cleanup(func() {
		hs.Close()
		s.Close()
		e.Close()
	})
	return s, hs
}

func readGolden(t *testing.T, dir, name string) *npy.Array {
	t.Helper()
	a, err := npy.Read(context.Background(), filepath.Join(golden, dir, name+".npy"))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// offline runs the model alone on one runner, as `fluxcore fno` does: the reference each
// served result is checked against.
func offline(t *testing.T, dir string, input []float32, samples int, bc *fno.Boundary) []float32 {
	t.Helper()
	ctx := context.Background()
	m, err := fno.Load(ctx, filepath.Join(golden, dir, "model.safetensors"), fno.Overrides{}, fno.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.Open(engine.Options{Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	r, err := m.NewRunner(ctx, e.Backend(), fno.RunnerConfig{Grid: []int{len(input) / samples}, MaxBatch: samples})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out, err := r.Forward(ctx, input, samples, bc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func postJSON(t *testing.T, url string, body any) (int, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	data, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("POST %s: status %d, body %q is not JSON", url, resp.StatusCode, data)
	}
	return resp.StatusCode, out
}

func floats(v any) []float32 {
	var out []float32
	for _, x := range v.([]any) {
		out = append(out, float32(x.(float64)))
	}
	return out
}

// A JSON request of the golden input returns PyTorch's golden output (within the golden
// tests' tolerance) and the offline run's, bit for bit, with the id echoed.
func TestRESTJSONInferMatchesGoldenAndOffline(t *testing.T) {
	_, hs := newTestServer(t, Options{}, nil)
	in, want := readGolden(t, "fno1d", "input"), readGolden(t, "fno1d", "output")
	nested := make([][][]float32, 3) // [3, 64, 1] as nested lists: the protocol allows either
	for s := range nested {
		for i := range 64 {
			nested[s] = append(nested[s], []float32{in.Data[s*64+i]})
		}
	}
	code, resp := postJSON(t, hs.URL+"/v2/models/fno1d/infer", map[string]any{
		"id": "req-7", "inputs": []any{map[string]any{"name": "input", "datatype": "FP32", "shape": []int{3, 64, 1}, "data": nested}}})
	if code != 200 {
		t.Fatalf("infer: %d %v", code, resp)
	}
	out := resp["outputs"].([]any)[0].(map[string]any)
	got := floats(out["data"])
	if resp["id"] != "req-7" || resp["model_name"] != "fno1d" || resp["model_version"] != "1" || fmt.Sprint(out["shape"]) != "[3 64 1]" {
		t.Errorf("response %v", resp)
	}
	ref := offline(t, "fno1d", in.Data, 3, nil)
	for i := range want.Data {
		if got[i] != ref[i] {
			t.Fatalf("value %d: served %v, offline %v", i, got[i], ref[i])
		}
		if math.Abs(float64(got[i]-want.Data[i])) > 1e-5*(1+math.Abs(float64(want.Data[i]))) {
			t.Fatalf("value %d: served %v, PyTorch %v", i, got[i], want.Data[i])
		}
	}
}

// binaryBody is a request whose inputs travel as raw bytes after the JSON.
func binaryBody(t *testing.T, head map[string]any, blobs ...[]float32) ([]byte, int) {
	t.Helper()
	raw, _ := json.Marshal(head)
	n := len(raw)
	for _, b := range blobs {
		for _, v := range b {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
		}
	}
	return raw, n
}

func postBinary(t *testing.T, url string, body []byte, jsonLen int) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set(HeaderContentLength, strconv.Itoa(jsonLen))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

// Binary inputs and binary outputs (binary_data_output, as tritonclient sends when it names
// no output) give the same values as JSON, with BOON's Dirichlet faces as inputs.
func TestRESTBinaryInferWithBoundaryInputs(t *testing.T) {
	_, hs := newTestServer(t, Options{}, nil)
	in, left, right := readGolden(t, "boon1d_dirichlet", "input"), readGolden(t, "boon1d_dirichlet", "left"), readGolden(t, "boon1d_dirichlet", "right")
	want := readGolden(t, "boon1d_dirichlet", "output")
	head := map[string]any{"parameters": map[string]any{"binary_data_output": true}, "inputs": []any{
		map[string]any{"name": "input", "datatype": "FP32", "shape": []int{3, 64, 1}, "parameters": map[string]any{"binary_data_size": 4 * 192}},
		map[string]any{"name": "left", "datatype": "FP32", "shape": []int{3, 1}, "parameters": map[string]any{"binary_data_size": 12}},
		map[string]any{"name": "right", "datatype": "FP32", "shape": []int{3}, "parameters": map[string]any{"binary_data_size": 12}},
	}}
	body, n := binaryBody(t, head, in.Data, left.Data, right.Data)
	resp, data := postBinary(t, hs.URL+"/v2/models/boon1d/versions/1/infer", body, n)
	if resp.StatusCode != 200 {
		t.Fatalf("binary infer: %d %s", resp.StatusCode, data)
	}
	jsonLen, err := strconv.Atoi(resp.Header.Get(HeaderContentLength))
	if err != nil {
		t.Fatalf("no %s in the response: %v", HeaderContentLength, resp.Header)
	}
	var doc struct {
		Outputs []struct {
			Name       string
			Shape      []int
			Parameters map[string]int
		}
	}
	if err := json.Unmarshal(data[:jsonLen], &doc); err != nil || doc.Outputs[0].Parameters["binary_data_size"] != 4*192 {
		t.Fatalf("response head %q: %v", data[:jsonLen], err)
	}
	ref := offline(t, "boon1d_dirichlet", in.Data, 3, &fno.Boundary{Kind: fno.Dirichlet, Left: left.Data, Right: right.Data})
	for i := range 192 {
		got := math.Float32frombits(binary.LittleEndian.Uint32(data[jsonLen+4*i:]))
		if got != ref[i] || math.Abs(float64(got-want.Data[i])) > 1e-5*(1+math.Abs(float64(want.Data[i]))) {
			t.Fatalf("value %d: served %v, offline %v, PyTorch %v", i, got, ref[i], want.Data[i])
		}
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// Health, server and model metadata, readiness and the Triton configuration answer as the
// protocol says, also under /versions/1; unknown models and versions are 404.
func TestRESTMetadataAndHealth(t *testing.T) {
	s, hs := newTestServer(t, Options{MaxBatch: 16}, map[string]string{"fno1d": `{"max_batch_size": 8, "instances": 3}`})
	for _, c := range []struct {
		path string
		code int
		has  string
	}{
		{"/v2/health/live", 200, ""},
		{"/v2/health/ready", 200, ""},
		{"/v2", 200, `"extensions":["binary_tensor_data","model_configuration"]`},
		{"/v2/models/fno1d", 200, `"inputs":[{"name":"input","datatype":"FP32","shape":[-1,-1,1]}]`},
		{"/v2/models/boon1d/versions/1", 200, `{"name":"left","datatype":"FP32","shape":[-1]}`},
		{"/v2/models/fno1d/ready", 200, ""},
		{"/v2/models/fno1d/config", 200, `"max_batch_size":8`},
		{"/v2/models/boon1d/config", 200, `"max_batch_size":16`},
		{"/v2/models/fno1d/config", 200, `"instance_group":[{"count":3,"kind":"KIND_CPU"}]`},
		{"/v2/models/nope", 404, `"error":"not found: no model \"nope\""`},
		{"/v2/models/fno1d/versions/2/ready", 404, `no version \"2\"`},
	} {
		code, body := get(t, hs.URL+c.path)
		if code != c.code || !strings.Contains(body, c.has) {
			t.Errorf("GET %s: %d %s; want %d with %s", c.path, code, body, c.code, c.has)
		}
	}
	s.SetReady(false)
	if code, _ := get(t, hs.URL+"/v2/health/ready"); code != 503 {
		t.Errorf("ready while draining: %d, want 503", code)
	}
}

// Every malformed request is a 400 naming the problem, with the request's id echoed where
// it has one; nothing it sends reaches the engine.
func TestRESTBadRequests(t *testing.T) {
	_, hs := newTestServer(t, Options{MaxRequestBytes: 64 << 10}, map[string]string{"fno1d": `{"max_batch_size": 4}`})
	ok := func(shape []int, data any) map[string]any {
		return map[string]any{"name": "input", "datatype": "FP32", "shape": shape, "data": data}
	}
	ramp := make([]float32, 64)
	for _, c := range []struct {
		name string
		body any
		want string
	}{
		{"not JSON", "{", "not valid JSON"},
		{"datatype", map[string]any{"inputs": []any{map[string]any{"name": "input", "datatype": "FP64", "shape": []int{1, 64, 1}, "data": ramp}}}, `datatype "FP64", want FP32`},
		{"too few values", map[string]any{"id": "x1", "inputs": []any{ok([]int{1, 64, 1}, ramp[:60])}}, "holds 60 values, the shape 64"},
		{"not numbers", map[string]any{"inputs": []any{ok([]int{1, 2, 1}, []any{"a", "b"})}}, "is not a number"},
		{"unknown input", map[string]any{"inputs": []any{ok([]int{1, 64, 1}, ramp), map[string]any{"name": "extra", "datatype": "FP32", "shape": []int{1}, "data": []int{1}}}}, `no input "extra"`},
		{"missing input", map[string]any{"inputs": []any{}}, `input "input" is missing`},
		{"rank", map[string]any{"inputs": []any{ok([]int{64, 1}, ramp)}}, "want [batch, 1 grid axes, 1]"},
		{"batch", map[string]any{"inputs": []any{ok([]int{8, 8, 1}, ramp)}}, "batch of 8, want 1..4 (max_batch_size)"},
		{"tiny grid", map[string]any{"inputs": []any{ok([]int{1, 8, 1}, ramp[:8])}}, "last axis keeps 8 modes, more than the 5 a real FFT of 8 points has"},
		{"unknown output", map[string]any{"inputs": []any{ok([]int{1, 64, 1}, ramp)}, "outputs": []any{map[string]any{"name": "y"}}}, `no output "y"`},
		{"float32 range", map[string]any{"inputs": []any{ok([]int{1, 2, 1}, []float64{1e39, 0})}}, "want a finite float32"},
		{"boon faces", map[string]any{"inputs": []any{ok([]int{1, 64, 1}, ramp)}}, `needs input "left"`},
		{"timeout", map[string]any{"parameters": map[string]any{"timeout": int64(1) << 60}, "inputs": []any{ok([]int{1, 64, 1}, ramp)}}, "more than a day"},
	} {
		url := hs.URL + "/v2/models/fno1d/infer"
		if c.name == "boon faces" {
			url = hs.URL + "/v2/models/boon1d/infer"
		}
		var code int
		var resp map[string]any
		if s, isString := c.body.(string); isString {
			r, err := http.Post(url, "application/json", strings.NewReader(s))
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(r.Body)
			r.Body.Close()
			code = r.StatusCode
			json.Unmarshal(data, &resp)
		} else {
			code, resp = postJSON(t, url, c.body)
		}
		msg, _ := resp["error"].(string)
		if code != 400 || !strings.Contains(msg, c.want) {
			t.Errorf("%s: %d %v; want 400 with %q", c.name, code, resp, c.want)
		}
		if c.name == "too few values" && resp["id"] != "x1" {
			t.Errorf("%s: id not echoed: %v", c.name, resp)
		}
	}
	// A NaN can only travel as binary data.
	body, n := binaryBody(t, map[string]any{"inputs": []any{map[string]any{"name": "input", "datatype": "FP32", "shape": []int{1, 2, 1},
		"parameters": map[string]any{"binary_data_size": 8}}}}, []float32{1, float32(math.NaN())})
	if resp, data := postBinary(t, hs.URL+"/v2/models/fno1d/infer", body, n); resp.StatusCode != 400 || !strings.Contains(string(data), "element 1 (flat index) is NaN") {
		t.Errorf("NaN input: %d %s", resp.StatusCode, data)
	}
	if resp, data := postBinary(t, hs.URL+"/v2/models/fno1d/infer", body[:len(body)-1], n); resp.StatusCode != 400 || !strings.Contains(string(data), "binary_data_size 8, 7 bytes of binary data are left") {
		t.Errorf("short binary data: %d %s", resp.StatusCode, data)
	}
	big := make([]byte, 65<<10)
	r, err := http.Post(hs.URL+"/v2/models/fno1d/infer", "application/json", bytes.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 400 || !strings.Contains(string(data), "more than --max-request-bytes 65536") {
		t.Errorf("oversized body: %d %s", r.StatusCode, data)
	}
}

// 64 clients at once, each with its own random input of 1 to 3 samples, each get their own
// result (the offline run's, bit for bit), and the batcher joined some of them.
func TestConcurrentClientsGetTheirOwnResults(t *testing.T) {
	s, hs := newTestServer(t, Options{MaxQueueDelay: 5 * time.Millisecond}, nil)
	var wg sync.WaitGroup
	for c := range 64 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 9))
			samples := 1 + c%3
			in := make([]float32, samples*64)
			for i := range in {
				in[i] = float32(rng.NormFloat64())
			}
			code, resp := postJSON(t, hs.URL+"/v2/models/fno1d/infer", map[string]any{"id": strconv.Itoa(c),
				"inputs": []any{map[string]any{"name": "input", "datatype": "FP32", "shape": []int{samples, 64, 1}, "data": in}}})
			if code != 200 || resp["id"] != strconv.Itoa(c) {
				t.Errorf("client %d: %d %v", c, code, resp)
				return
			}
			got := floats(resp["outputs"].([]any)[0].(map[string]any)["data"])
			ref := offline(t, "fno1d", in, samples, nil)
			for i := range ref {
				if got[i] != ref[i] {
					t.Errorf("client %d value %d: %v, offline %v", c, i, got[i], ref[i])
					return
				}
			}
		})
	}
	wg.Wait()
	m, _ := s.Model("fno1d", "")
	if n := m.queued.Load(); n != 0 {
		t.Errorf("%d requests still counted as queued", n)
	}
	execs := testutil.ToFloat64(s.met.execCount.WithLabelValues("fno1d", Version))
	successes := testutil.ToFloat64(s.met.successes.WithLabelValues("fno1d", Version))
	if successes != 64 || execs >= successes {
		t.Errorf("%v successes in %v executions: want 64, some of them joined", successes, execs)
	}
	checkSummaries(t, s)
}

// checkSummaries checks the latency summaries against the counters, as Triton documents
// them: a summary's count is the successes, its sum the cumulative counter, and its
// quantiles (Triton's five) rise.
func checkSummaries(t *testing.T, s *Server) {
	t.Helper()
	families, err := s.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counters := map[string]*prometheus.CounterVec{"nv_inference_request_summary_us": s.met.requestUS,
		"nv_inference_queue_summary_us": s.met.queueUS, "nv_inference_compute_infer_summary_us": s.met.computeUS}
	successes := testutil.ToFloat64(s.met.successes.WithLabelValues("fno1d", Version))
	for _, f := range families {
		counter, ok := counters[f.GetName()]
		if !ok {
			continue
		}
		delete(counters, f.GetName())
		sum := f.GetMetric()[0].GetSummary()
		cumulative := testutil.ToFloat64(counter.WithLabelValues("fno1d", Version))
		if float64(sum.GetSampleCount()) != successes || math.Abs(sum.GetSampleSum()-cumulative) > 1e-6*cumulative {
			t.Errorf("%s: count %d, sum %v; successes %v, counter %v", f.GetName(), sum.GetSampleCount(), sum.GetSampleSum(), successes, cumulative)
		}
		var quantiles []float64
		last := 0.0
		for _, q := range sum.GetQuantile() {
			quantiles = append(quantiles, q.GetQuantile())
			if q.GetValue() < last {
				t.Errorf("%s: quantile %v is %v, below the one before, %v", f.GetName(), q.GetQuantile(), q.GetValue(), last)
			}
			last = q.GetValue()
		}
		if !slices.Equal(quantiles, []float64{0.5, 0.9, 0.95, 0.99, 0.999}) {
			t.Errorf("%s: quantiles %v", f.GetName(), quantiles)
		}
	}
	if len(counters) != 0 {
		t.Errorf("summaries missing: %v", counters)
	}
}

// A full queue refuses with 503 and says so; a request whose timeout passes in the queue
// leaves it.
func TestQueueFullAndTimeout(t *testing.T) {
	s, hs := newTestServer(t, Options{MaxQueue: 2, MaxQueueDelay: time.Minute, MaxBatch: 64}, nil)
	m, _ := s.Model("fno1d", "")
	m.queued.Add(2) // two requests that have not been taken yet
	body := map[string]any{"inputs": []any{map[string]any{"name": "input", "datatype": "FP32", "shape": []int{1, 16, 1}, "data": make([]float32, 16)}}}
	code, resp := postJSON(t, hs.URL+"/v2/models/fno1d/infer", body)
	if code != 503 || !strings.Contains(resp["error"].(string), "the queue holds 2 requests (--max-queue)") {
		t.Errorf("full queue: %d %v", code, resp)
	}
	m.queued.Add(-2)
	// With a minute's delay and room for 64 samples, a lone request waits in the batcher
	// until its 20 ms timeout passes.
	body["parameters"] = map[string]any{"timeout": 20000}
	start := time.Now()
	code, resp = postJSON(t, hs.URL+"/v2/models/fno1d/infer", body)
	if code != 503 || !strings.Contains(resp["error"].(string), "deadline exceeded") || time.Since(start) > 10*time.Second {
		t.Errorf("timed-out request: %d %v after %v", code, resp, time.Since(start))
	}
	if n := m.queued.Load(); n != 0 {
		t.Errorf("the timed-out request is still counted as queued: %d", n)
	}
}

// A batch stops at the largest power of two it fills, or at the model's largest batch.
func TestPreferredBatch(t *testing.T) {
	for _, c := range [][3]int{{1, 64, 1}, {3, 64, 2}, {17, 64, 16}, {63, 64, 32}, {64, 64, 64}, {47, 40, 40}, {45, 48, 32}} {
		if got := preferred(c[0], c[1]); got != c[2] {
			t.Errorf("preferred(%d, %d) = %d, want %d", c[0], c[1], got, c[2])
		}
	}
}

// Repository control is off unless allowed; when allowed, a model can be unloaded (then
// 404) and loaded again.
func TestRepositoryControl(t *testing.T) {
	_, off := newTestServer(t, Options{}, nil)
	if r, err := http.Post(off.URL+"/v2/repository/models/fno1d/unload", "application/json", nil); err != nil || r.StatusCode == 200 {
		t.Errorf("unload without --allow-model-control: %v %v", r, err)
	}
	_, on := newTestServer(t, Options{AllowModelControl: true}, nil)
	for _, c := range []struct {
		method, path string
		code         int
	}{
		{"POST", "/v2/repository/models/fno1d/unload", 200},
		{"GET", "/v2/models/fno1d/ready", 404},
		{"POST", "/v2/repository/models/fno1d/unload", 404},
		{"POST", "/v2/repository/models/fno1d/load", 200},
		{"GET", "/v2/models/fno1d/ready", 200},
		{"POST", "/v2/repository/models/..%2Fetc/load", 400},
	} {
		req, _ := http.NewRequest(c.method, on.URL+c.path, nil)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != c.code {
			t.Errorf("%s %s: %d %s, want %d", c.method, c.path, r.StatusCode, body, c.code)
		}
	}
}

// A grid too large for the memory budget is the request's fault, and gives its place
// among max_grids back.
func TestGridOverTheBudget(t *testing.T) {
	e, err := engine.Open(engine.Options{Device: "cpu", Budget: mustBudget(t, 32<<20)})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	s, err := New(context.Background(), e, Options{ModelDir: repository(t, map[string]string{"fno1d": `{"max_grids": 1}`})})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m, _ := s.Model("fno1d", "")
	big := Tensor{Name: "input", Datatype: "FP32", Shape: []int{1, 60000, 1}, F32: make([]float32, 60000)}
	_, err = m.Infer(context.Background(), &Request{Inputs: []Tensor{big}})
	if HTTPStatus(err) != 400 || !strings.Contains(err.Error(), "needs more memory than the budget") {
		t.Fatalf("a grid over the budget: %v", err)
	}
	small := Tensor{Name: "input", Datatype: "FP32", Shape: []int{1, 64, 1}, F32: make([]float32, 64)}
	if _, err := m.Infer(context.Background(), &Request{Inputs: []Tensor{small}}); err != nil {
		t.Errorf("after the failed grid, another: %v", err)
	}
}

func mustBudget(t *testing.T, bytes int64) *limits.Budget {
	t.Helper()
	b, err := limits.NewBudget(bytes)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A config whose grids do not fit the model is refused at load, naming the grid.
func TestConfigGridsAreChecked(t *testing.T) {
	e, err := engine.Open(engine.Options{Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for cfg, want := range map[string]string{
		`{"grids": [[64, 64]]}`:                    "grid [64 64] has 2 axes, the model is 1-D",
		`{"grids": [[8]]}`:                         "last axis keeps 8 modes",
		`{"grids": [[64], [128]], "max_grids": 1}`: "max_grids 1, want 2..64",
		`{"instances": 0, "typo": 1}`:              `unknown field "typo"`,
	} {
		_, err := New(context.Background(), e, Options{ModelDir: repository(t, map[string]string{"fno1d": cfg})})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("config %s: %v, want %q", cfg, err, want)
		}
	}
}

// A request whose finite values overflow the network fails alone, as a bad request (its
// values are at fault): the request batched with it still gets its result.
func TestOverflowFailsOnlyItsRequest(t *testing.T) {
	s, _ := newTestServer(t, Options{MaxQueueDelay: 300 * time.Millisecond}, nil)
	m, _ := s.Model("fno1d", "")
	good, huge := make([]float32, 64), make([]float32, 64)
	for i := range huge {
		good[i], huge[i] = float32(i)/64, 3e38
	}
	results := make([]error, 2)
	var wg sync.WaitGroup
	for i, data := range [][]float32{good, huge} {
		wg.Go(func() {
			_, results[i] = m.Infer(context.Background(), &Request{Inputs: []Tensor{{Name: "input", Datatype: "FP32", Shape: []int{1, 64, 1}, F32: data}}})
		})
	}
	wg.Wait()
	if results[0] != nil || !errors.Is(results[1], ErrBadRequest) || !strings.Contains(fmt.Sprint(results[1]), "overflowed float32") {
		t.Errorf("good: %v; huge: %v", results[0], results[1])
	}
	if execs := testutil.ToFloat64(s.met.execCount.WithLabelValues("fno1d", Version)); execs != 1 {
		t.Errorf("%v executions, want the two requests joined in 1", execs)
	}
}

// Compressed requests (deflate, gzip) are decompressed within --max-request-bytes, a
// compression bomb is refused, and a response is compressed as the client accepts.
func TestRESTCompression(t *testing.T) {
	_, hs := newTestServer(t, Options{MaxRequestBytes: 64 << 10}, nil)
	in := readGolden(t, "fno1d", "input")
	plain, _ := json.Marshal(map[string]any{"inputs": []any{map[string]any{"name": "input", "datatype": "FP32", "shape": []int{3, 64, 1}, "data": in.Data}}})
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}} // see the raw encoding
	post := func(body []byte, encoding, accept string) (*http.Response, []byte) {
		req, _ := http.NewRequest("POST", hs.URL+"/v2/models/fno1d/infer", bytes.NewReader(body))
		if encoding != "" {
			req.Header.Set("Content-Encoding", encoding)
		}
		if accept != "" {
			req.Header.Set("Accept-Encoding", accept)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp, data
	}
	_, want := post(plain, "", "")
	var deflated bytes.Buffer
	zw := zlib.NewWriter(&deflated)
	zw.Write(plain)
	zw.Close()
	resp, data := post(deflated.Bytes(), "deflate", "deflate")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "deflate" {
		t.Fatalf("deflate both ways: %d %v %s", resp.StatusCode, resp.Header, data)
	}
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(zr)
	if !bytes.Equal(got, want) {
		t.Errorf("the deflated exchange answers %q, the plain one %q", got, want)
	}
	var bomb bytes.Buffer
	gw := gzip.NewWriter(&bomb)
	gw.Write(bytes.Repeat([]byte(" "), 1<<20)) // 1 MiB of JSON whitespace in about 1 KiB
	gw.Close()
	if resp, data := post(bomb.Bytes(), "gzip", ""); resp.StatusCode != 400 || !strings.Contains(string(data), "decompresses past 65536 bytes") {
		t.Errorf("gzip bomb: %d %s", resp.StatusCode, data)
	}
	if resp, data := post(plain, "br", ""); resp.StatusCode != 400 || !strings.Contains(string(data), `Content-Encoding \"br\"`) {
		t.Errorf("brotli: %d %s", resp.StatusCode, data)
	}
}
