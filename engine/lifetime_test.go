package engine_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/backend"
)

// Close racing Backend and operations from other goroutines is no data race, and every
// operation after it fails with ErrClosed instead of dereferencing a released backend.
func TestEngineCloseWhileInUse(t *testing.T) {
	e, err := engine.Open(engine.Options{Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				b := e.Backend()
				buf, err := b.Alloc(backend.Float32, 64)
				if errors.Is(err, engine.ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("Alloc: %v", err)
					return
				}
				if err := backend.Upload(ctx, b, buf, make([]float32, 64)); err != nil && !errors.Is(err, engine.ErrClosed) {
					t.Errorf("Upload: %v", err)
				}
				b.Free(buf)
			}
		}()
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if _, err := e.Backend().Alloc(backend.Float32, 1); !errors.Is(err, engine.ErrClosed) {
		t.Fatalf("Alloc after Close: %v, want ErrClosed", err)
	}
	if err := e.Err(); !errors.Is(err, engine.ErrClosed) {
		t.Fatalf("Err after Close: %v, want ErrClosed", err)
	}
	if err := e.Close(); !errors.Is(err, engine.ErrClosed) {
		t.Fatalf("second Close: %v, want ErrClosed", err)
	}
}
