package lifetime

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestCloseWaitsForCallsInside(t *testing.T) {
	var g Gate
	if err := g.Enter(); err != nil {
		t.Fatal(err)
	}
	var left atomic.Bool
	go func() {
		time.Sleep(20 * time.Millisecond)
		left.Store(true)
		g.Leave()
	}()
	if !g.Close() {
		t.Fatal("first Close reported as not first")
	}
	if !left.Load() {
		t.Fatal("Close returned while a call was inside")
	}
	if g.Close() {
		t.Fatal("second Close reported as first")
	}
	if err := g.Enter(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Enter after Close: %v, want ErrClosed", err)
	}
}

func TestEnterAloneRefusesASecondCaller(t *testing.T) {
	var g Gate
	if err := g.EnterAlone(); err != nil {
		t.Fatal(err)
	}
	if err := g.EnterAlone(); !errors.Is(err, ErrBusy) {
		t.Fatalf("second EnterAlone: %v, want ErrBusy", err)
	}
	g.Leave()
	if err := g.EnterAlone(); err != nil {
		t.Fatalf("EnterAlone after Leave: %v", err)
	}
	g.Leave()
}

func TestSharedCallsAndCloseRace(t *testing.T) {
	var g Gate
	var wg sync.WaitGroup
	var inside, afterClose atomic.Int64
	var closed atomic.Bool
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				if err := g.Enter(); err != nil {
					return
				}
				inside.Add(1)
				if closed.Load() {
					afterClose.Add(1)
				}
				inside.Add(-1)
				g.Leave()
			}
		}()
	}
	time.Sleep(time.Millisecond)
	g.Close()
	closed.Store(true)
	if n := inside.Load(); n != 0 {
		t.Fatalf("%d calls inside after Close returned", n)
	}
	wg.Wait()
	if n := afterClose.Load(); n != 0 {
		t.Fatalf("%d calls ran after Close returned", n)
	}
}

// A gate whose object refuses to end reopens: later calls are admitted again, and a second
// CloseUnless may still succeed.
func TestCloseUnlessReopensWhenBusy(t *testing.T) {
	var g Gate
	if err := g.Enter(); err != nil {
		t.Fatal(err)
	}
	var left atomic.Bool
	go func() {
		time.Sleep(10 * time.Millisecond)
		left.Store(true)
		g.Leave()
	}()
	refusal := errors.New("has children")
	first, err := g.CloseUnless(func() error {
		if !left.Load() {
			t.Error("busy was asked while a call was inside")
		}
		return refusal
	})
	if !first || !errors.Is(err, refusal) {
		t.Fatalf("CloseUnless with a busy object: first %v, err %v", first, err)
	}
	if err := g.Enter(); err != nil {
		t.Fatalf("Enter after a refused close: %v", err)
	}
	g.Leave()
	if first, err := g.CloseUnless(func() error { return nil }); !first || err != nil {
		t.Fatalf("CloseUnless of an idle object: first %v, err %v", first, err)
	}
	if err := g.Enter(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Enter after a close: %v, want ErrClosed", err)
	}
}
