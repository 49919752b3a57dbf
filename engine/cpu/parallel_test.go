package cpu

import (
	"context"
	"strings"
	"testing"
)

// A panic on a worker goroutine must come back as the operation's error: in a program that
// links fluxcore as a library it would otherwise end the host process.
func TestParallelTurnsAWorkerPanicIntoAnError(t *testing.T) {
	b, err := New(Options{Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	err = b.parallel(context.Background(), 1000, 1e9, chunkFunc(func(lo, hi int64) {
		if lo >= 500 {
			panic("boom")
		}
	}))
	if err == nil || !strings.Contains(err.Error(), "panic in a worker: boom") {
		t.Fatalf("parallel with a panicking chunk: %v, want the panic as an error", err)
	}
	if err := b.parallel(context.Background(), 1000, 1e9, chunkFunc(func(lo, hi int64) {})); err != nil {
		t.Fatalf("the next operation: %v", err)
	}
}
