package fno_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/fno"
)

func neuralopRunner(t *testing.T, e *engine.Engine, batch int) *fno.Runner {
	t.Helper()
	m, err := fno.Load(context.Background(), "testdata/golden/neuralop1d/model.safetensors", fno.Overrides{}, fno.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := m.NewRunner(context.Background(), e.Backend(), fno.RunnerConfig{Grid: []int{40}, MaxBatch: batch})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func openCPUEngine(t testing.TB) *engine.Engine {
	t.Helper()
	e, err := engine.Open(engine.Options{Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// A Runner shared by goroutines runs one Forward at a time and refuses the others with
// ErrBusy; every result it returns is the one a private runner gives.
func TestRunnerSharedIsRefused(t *testing.T) {
	e := openCPUEngine(t)
	ctx := context.Background()
	own := neuralopRunner(t, e, 4)
	defer own.Close()
	input := make([]float32, 4*40)
	for i := range input {
		input[i] = float32(i%7) / 7
	}
	want, err := own.Forward(ctx, input, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	shared := neuralopRunner(t, e, 4)
	defer shared.Close()
	var wg sync.WaitGroup
	var mu sync.Mutex
	ran := 0
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 8 {
				got, err := shared.Forward(ctx, input, 4, nil)
				if errors.Is(err, engine.ErrBusy) {
					continue
				}
				if err != nil {
					t.Errorf("shared Forward: %v", err)
					return
				}
				for i := range want {
					if got[i] != want[i] {
						t.Errorf("shared Forward: output %d = %v, a private runner gives %v", i, got[i], want[i])
						return
					}
				}
				mu.Lock()
				ran++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ran == 0 {
		t.Fatal("no Forward ran")
	}
}

// Close from another goroutine waits for the Forward in flight; later calls get ErrClosed.
func TestRunnerCloseDuringForward(t *testing.T) {
	e := openCPUEngine(t)
	ctx := context.Background()
	for range 8 {
		r := neuralopRunner(t, e, 64)
		input := make([]float32, 64*40)
		var fwdErr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, fwdErr = r.Forward(ctx, input, 64, nil)
		}()
		time.Sleep(100 * time.Microsecond)
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		<-done
		if fwdErr != nil && !errors.Is(fwdErr, engine.ErrClosed) {
			t.Fatalf("a Forward racing Close: %v, want success or ErrClosed", fwdErr)
		}
		if _, err := r.Forward(ctx, input, 64, nil); !errors.Is(err, engine.ErrClosed) {
			t.Fatalf("Forward after Close: %v, want ErrClosed", err)
		}
		if err := r.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	}
}

// A Runner on an engine closed under it fails with ErrClosed rather than panicking.
func TestRunnerOnClosedEngine(t *testing.T) {
	e, err := engine.Open(engine.Options{Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	r := neuralopRunner(t, e, 1)
	defer r.Close()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Forward(context.Background(), make([]float32, 40), 1, nil); !errors.Is(err, engine.ErrClosed) {
		t.Fatalf("Forward on a closed engine: %v, want ErrClosed", err)
	}
}

// Runners of several batch sizes that share one placement of the weights compute what a
// runner with its own does, bit for bit, at the same time; and the shared weights cost
// their bytes once.
func TestRunnersShareWeights(t *testing.T) {
	e := openCPUEngine(t)
	ctx := context.Background()
	m, err := fno.Load(ctx, "testdata/golden/neuralop1d/model.safetensors", fno.Overrides{}, fno.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	input := make([]float32, 3*40)
	for i := range input {
		input[i] = float32(i%11) / 11
	}
	own := neuralopRunner(t, e, 3)
	want, err := own.Forward(ctx, input, 3, nil)
	own.Close()
	if err != nil {
		t.Fatal(err)
	}
	before := e.Budget().Used()
	w, err := m.PlaceWeights(ctx, e.Backend())
	if err != nil {
		t.Fatal(err)
	}
	weightBytes := e.Budget().Used() - before
	var runners []*fno.Runner
	for _, batch := range []int{3, 4, 8} {
		r, err := m.NewRunner(ctx, e.Backend(), fno.RunnerConfig{Grid: []int{40}, MaxBatch: batch, Weights: w})
		if err != nil {
			t.Fatal(err)
		}
		runners = append(runners, r)
	}
	var wg sync.WaitGroup
	for _, r := range runners {
		wg.Go(func() {
			got, err := r.Forward(ctx, input, 3, nil)
			if err != nil {
				t.Error(err)
				return
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("shared weights: value %d = %v, own weights %v", i, got[i], want[i])
					return
				}
			}
		})
	}
	wg.Wait()
	for _, r := range runners {
		r.Close()
	}
	if left := e.Budget().Used() - before; left != weightBytes {
		t.Errorf("after closing the runners %d bytes are held, want the weights' %d", left, weightBytes)
	}
	w.Close()
	if left := e.Budget().Used() - before; left != 0 {
		t.Errorf("after closing the weights %d bytes are held", left)
	}
}
