package main

import (
	"fmt"
	"sync"

	"github.com/fluxcore/fluxcore/engine"
)

// handles maps the integers C holds to engines, and keeps each handle's last error.
var handles = struct {
	sync.Mutex
	next    int64
	engines map[int64]*engine.Engine
	errs    map[int64]string
}{engines: map[int64]*engine.Engine{}, errs: map[int64]string{}}

func register(e *engine.Engine) int64 {
	handles.Lock()
	defer handles.Unlock()
	handles.next++
	handles.engines[handles.next] = e
	return handles.next
}

func lookup(h int64) (*engine.Engine, error) { return find(h, false) }

// unregister removes h, and with it h's last error.
func unregister(h int64) (*engine.Engine, error) { return find(h, true) }

func find(h int64, remove bool) (*engine.Engine, error) {
	handles.Lock()
	defer handles.Unlock()
	e, ok := handles.engines[h]
	if !ok {
		return nil, fmt.Errorf("fluxcore: %d is not an open engine handle", h)
	}
	if remove {
		delete(handles.engines, h)
		delete(handles.errs, h)
	}
	return e, nil
}

// status records err as h's last error and converts it to the ABI's 0 / -1.
func status(h int64, err error) C_int {
	handles.Lock()
	defer handles.Unlock()
	if err == nil {
		return 0
	}
	handles.errs[h] = err.Error()
	return -1
}

func lastError(h int64) string {
	handles.Lock()
	defer handles.Unlock()
	return handles.errs[h]
}
