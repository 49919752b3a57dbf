package loadgen_test

import (
	"context"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/serve"
	"github.com/fluxcore/fluxcore/serve/loadgen"
)

// The load generator drives a real server over REST (JSON and binary) and gRPC, with the
// shape from --shape and, for a model that states its grid, from the metadata; every
// request succeeds and is counted.
func TestLoadgenDrivesAServer(t *testing.T) {
	repo := t.TempDir()
	os.MkdirAll(filepath.Join(repo, "boon1d"), 0o755)
	raw, err := os.ReadFile("../../engine/fno/testdata/golden/boon1d_dirichlet/model.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(repo, "boon1d", "model.safetensors"), raw, 0o644)
	os.WriteFile(filepath.Join(repo, "boon1d", "config.json"), []byte(`{"grids": [[64]], "max_grids": 1, "max_batch_size": 8}`), 0o644)
	e, err := engine.Open(engine.Options{Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	s, err := serve.New(context.Background(), e, serve.Options{ModelDir: repo, MaxQueueDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	hs := httptest.NewServer(s.HTTPHandler())
	defer hs.Close()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := s.NewGRPCServer()
	go g.Serve(lis)
	defer g.Stop()
	for _, cfg := range []loadgen.Config{
		{URL: hs.URL, Shape: []int{2, 64, 1}},
		{URL: hs.URL, Binary: true},
		{URL: lis.Addr().String(), GRPC: true},
	} {
		cfg.Model, cfg.Concurrency, cfg.Duration = "boon1d", []int{1, 3}, 200*time.Millisecond
		results, err := loadgen.Run(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range results {
			if r.Requests == 0 || r.Errors != 0 || r.P99Ms < r.P50Ms {
				t.Errorf("%+v: %s", cfg, r)
			}
		}
	}
}
