package traj

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/fluxcore/fluxcore/engine"
)

func corridor(t *testing.T) *Scenario {
	t.Helper()
	s, err := LoadScenario("testdata/corridor.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A planner on a closed engine is refused at construction, not by a panic at Plan.
func TestPlannerOnClosedEngine(t *testing.T) {
	e := openCPU(t)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := NewPlanner(context.Background(), e.Backend(), Config{Candidates: 64}); !errors.Is(err, engine.ErrClosed) {
		t.Fatalf("NewPlanner on a closed engine: %v, want ErrClosed", err)
	}
}

// Close from another goroutine waits for the cycle in flight; later calls get ErrClosed.
func TestPlannerCloseDuringPlan(t *testing.T) {
	e := openCPU(t)
	s := corridor(t)
	ctx := context.Background()
	for range 8 {
		p, err := NewPlanner(ctx, e.Backend(), Config{Candidates: 4096})
		if err != nil {
			t.Fatal(err)
		}
		var planErr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, planErr = p.Plan(ctx, s)
		}()
		time.Sleep(time.Millisecond)
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		<-done
		if planErr != nil && !errors.Is(planErr, engine.ErrClosed) {
			t.Fatalf("a Plan racing Close: %v, want success or ErrClosed", planErr)
		}
		if _, err := p.Plan(ctx, s); !errors.Is(err, engine.ErrClosed) {
			t.Fatalf("Plan after Close: %v, want ErrClosed", err)
		}
		if _, err := p.Rollout(ctx, s, []int{0}); !errors.Is(err, engine.ErrClosed) {
			t.Fatalf("Rollout after Close: %v, want ErrClosed", err)
		}
	}
}

// A planner shared by goroutines lets one plan at a time and tells the others so, instead
// of racing on its candidate arrays.
func TestPlannerSharedIsRefused(t *testing.T) {
	e := openCPU(t)
	s := corridor(t)
	ctx := context.Background()
	p, err := NewPlanner(ctx, e.Backend(), Config{Candidates: 1024})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var planned, busy int
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 4 {
				_, err := p.Plan(ctx, s)
				mu.Lock()
				switch {
				case err == nil:
					planned++
				case errors.Is(err, engine.ErrBusy):
					busy++
				default:
					t.Errorf("shared Plan: %v", err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if planned == 0 {
		t.Fatal("no goroutine planned")
	}
	t.Logf("%d cycles planned, %d refused as busy", planned, busy)
}

// Cancelling the construction of a large planner returns promptly: its Halton sampling
// looks at the context as it goes.
func TestNewPlannerCancels(t *testing.T) {
	e := openCPU(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(20 * time.Millisecond)
		cancel()
	}()
	start := time.Now()
	_, err := NewPlanner(ctx, e.Backend(), Config{Candidates: 1 << 20})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled NewPlanner: %v, want context.Canceled", err)
	}
	t.Logf("returned %v after the start, cancelled at 20ms", time.Since(start))
}
