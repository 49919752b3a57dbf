package main

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startServe runs `fluxcore serve` as a child process on free ports and returns it with its
// REST and metrics base URLs and its stderr so far.
func startServe(t *testing.T, extra ...string) (*exec.Cmd, string, string, *bytes.Buffer) {
	t.Helper()
	repo := t.TempDir()
	os.MkdirAll(filepath.Join(repo, "fno1d"), 0o755)
	raw, err := os.ReadFile("../../engine/fno/testdata/golden/fno1d/model.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(repo, "fno1d", "model.safetensors"), raw, 0o644)
	args := append([]string{"serve", "--models", repo, "--http-port", "0", "--grpc-port", "0", "--metrics-port", "0"}, extra...)
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), cliChildEnv+"=1")
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	var log bytes.Buffer
	lines := bufio.NewScanner(pipe)
	started := regexp.MustCompile(`REST (http://\S+), gRPC \S+, metrics (http://\S+)/metrics`)
	for lines.Scan() {
		log.WriteString(lines.Text() + "\n")
		if m := started.FindStringSubmatch(lines.Text()); m != nil {
			go func() { // keep reading, so that the child never blocks on its stderr
				for lines.Scan() {
					log.WriteString(lines.Text() + "\n")
				}
			}()
			return cmd, m[1], m[2], &log
		}
	}
	t.Fatalf("serve did not start: %s", log.String())
	return nil, "", "", nil
}

// The command serves REST and metrics; on SIGTERM it turns readiness off while it still
// serves for --drain-delay, finishes a request in flight, and exits 0.
func TestServeDrainsOnSIGTERM(t *testing.T) {
	cmd, api, metrics, log := startServe(t, "--max-queue-delay", "400ms", "--drain-delay", "300ms", "--drain-timeout", "5s")
	body := `{"inputs":[{"name":"input","datatype":"FP32","shape":[1,16,1],"data":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}]}`
	resp, err := http.Post(api+"/v2/models/fno1d/infer", "application/json", strings.NewReader(body))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("infer: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = http.Get(metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, name := range []string{`nv_inference_request_success{model="fno1d",version="1"} 1`, "nv_inference_queue_duration_us",
		"nv_inference_compute_infer_duration_us", "nv_inference_pending_request_count", "fluxcore_batch_size_bucket"} {
		if !strings.Contains(string(text), name) {
			t.Errorf("metrics lack %s", name)
		}
	}
	// A request that waits 400 ms in the batcher is in flight when the signal comes.
	inflight := make(chan int, 1)
	go func() {
		resp, err := http.Post(api+"/v2/models/fno1d/infer", "application/json", strings.NewReader(body))
		if err != nil {
			inflight <- -1
			return
		}
		resp.Body.Close()
		inflight <- resp.StatusCode
	}()
	time.Sleep(100 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(100 * time.Millisecond)
	if resp, err := http.Get(api + "/v2/health/ready"); err != nil || resp.StatusCode != 503 {
		t.Errorf("readiness while draining: %v %v, want 503", resp, err)
	}
	if code := <-inflight; code != 200 {
		t.Errorf("the request in flight at SIGTERM: %d, want 200", code)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "fluxcore serve: drained") {
		t.Errorf("log: %s", log.String())
	}
}

// A repository with a bad model name or config refuses to start, naming it.
func TestServeRefusesABadRepository(t *testing.T) {
	repo := t.TempDir()
	os.MkdirAll(filepath.Join(repo, "m"), 0o755)
	raw, _ := os.ReadFile("../../engine/fno/testdata/golden/fno1d/model.safetensors")
	os.WriteFile(filepath.Join(repo, "m", "model.safetensors"), raw, 0o644)
	os.WriteFile(filepath.Join(repo, "m", "config.json"), []byte(`{"max_batch_size": 500}`), 0o644)
	code, _, stderr := runCLI(t, "serve", "--models", repo, "--http-port", "0", "--grpc-port", "0", "--metrics-port", "0")
	if code != 1 || !strings.Contains(stderr, "max_batch_size 500, want 1..64 (the server's --max-batch)") {
		t.Errorf("bad config: exit %d, %s", code, stderr)
	}
	os.Rename(filepath.Join(repo, "m"), filepath.Join(repo, "bad name"))
	code, _, stderr = runCLI(t, "serve", "--models", repo, "--http-port", "0", "--grpc-port", "0", "--metrics-port", "0")
	if code != 1 || !strings.Contains(stderr, `model name "bad name"`) {
		t.Errorf("bad name: exit %d, %s", code, stderr)
	}
}

// --max-connections bounds the connections served at once: one more waits to be accepted
// until one closes.
func TestServeLimitsConnections(t *testing.T) {
	_, api, _, _ := startServe(t, "--max-connections", "1")
	held, err := net.Dial("tcp", strings.TrimPrefix(api, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 300 * time.Millisecond}
	if resp, err := client.Get(api + "/v2/health/live"); err == nil {
		resp.Body.Close()
		t.Fatalf("a second connection was served while the first was open: %d", resp.StatusCode)
	}
	held.Close()
	client.Timeout = 10 * time.Second
	resp, err := client.Get(api + "/v2/health/live")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("once the first connection closed: %v %v", resp, err)
	}
	resp.Body.Close()
	code, _, stderr := runCLI(t, "serve", "--models", t.TempDir(), "--max-connections", "0")
	if code != 1 || !strings.Contains(stderr, "--max-connections 0, want at least 1") {
		t.Errorf("--max-connections 0: exit %d, %s", code, stderr)
	}
}
