// Package lifetime gives fluxcore's long-lived objects (engines, runners, planners) one way
// to end: Close refuses new calls, waits for the calls already inside, and every later call
// fails with ErrClosed instead of touching released memory.
package lifetime

import (
	"errors"
	"sync"
)

var (
	// ErrClosed is returned by every call on an object after its Close began.
	ErrClosed = errors.New("use after Close")
	// ErrBusy is returned when a second goroutine enters an object made for one caller at a
	// time (a Runner, a Planner): sharing one would race on its buffers.
	ErrBusy = errors.New("in use by another goroutine; make one per goroutine")
)

// Gate counts the calls inside an object. The zero Gate is open and empty.
type Gate struct {
	mu      sync.Mutex
	idle    sync.Cond // signalled when active drops to zero
	active  int
	closing bool
}

// Enter admits a call into an object that many goroutines may share.
func (g *Gate) Enter() error { return g.enter(false) }

// EnterAlone admits a call only while no other call is inside.
func (g *Gate) EnterAlone() error { return g.enter(true) }

func (g *Gate) enter(alone bool) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.closing:
		return ErrClosed
	case alone && g.active > 0:
		return ErrBusy
	}
	g.active++
	return nil
}

// Leave ends a call that Enter or EnterAlone admitted.
func (g *Gate) Leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.active--
	if g.active == 0 && g.idle.L != nil {
		g.idle.Broadcast()
	}
}

// Close refuses new calls and waits until the calls inside have left. It reports whether
// this was the first Close, the one that should release the object's resources.
func (g *Gate) Close() bool {
	first, _ := g.CloseUnless(nil)
	return first
}

// CloseUnless is Close for an object that may refuse to end: once the calls inside have left,
// busy (when set) is asked, and an error from it reopens the gate and is returned. Calls that
// arrive meanwhile fail with ErrClosed, as during any Close.
func (g *Gate) CloseUnless(busy func() error) (first bool, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closing {
		return false, nil
	}
	g.closing = true
	if g.idle.L == nil {
		g.idle.L = &g.mu
	}
	for g.active > 0 {
		g.idle.Wait()
	}
	if busy != nil {
		if err := busy(); err != nil {
			g.closing = false
			return true, err
		}
	}
	return true, nil
}
