package main

/*
#include "capi.h"
*/
import "C"

import (
	"fmt"
	"sync"

	"github.com/fluxcore/fluxcore/engine"
)

// kind is the type of object a handle names; it is the handle's top byte, so that a model
// passed where an engine is expected is reported as such.
type kind uint8

const (
	kindEngine kind = 1 + iota
	kindFNO
	kindPlanner
	kindKalman
	kindConserve
)

func (k kind) String() string {
	switch k {
	case kindEngine:
		return "engine"
	case kindFNO:
		return "FNO model"
	case kindPlanner:
		return "planner"
	case kindKalman:
		return "Kalman batch"
	case kindConserve:
		return "ProbConserv problem"
	}
	return "unknown object"
}

// a is the kind's name with its article, for messages.
func (k kind) a() string {
	if k == kindEngine || k == kindFNO {
		return "an " + k.String()
	}
	return "a " + k.String()
}

// object is what a handle names: a value, the calls inside it, and its live children (the
// models of an engine), which keep it from being destroyed.
type object struct {
	kind   kind
	parent *object
	value  any

	mu       sync.Mutex
	idle     sync.Cond // signalled when active drops to zero during a destroy
	active   int
	children int
	closing  bool
}

// objects maps live handles to their objects.
var objects = struct {
	sync.RWMutex
	next uint64
	byID map[uint64]*object
}{byID: map[uint64]*object{}}

// register makes a handle for value; parent, when set, cannot be destroyed before it.
func register(k kind, parent *object, value any) uint64 {
	o := &object{kind: k, parent: parent, value: value}
	o.idle.L = &o.mu
	if parent != nil {
		parent.mu.Lock()
		parent.children++
		parent.mu.Unlock()
	}
	objects.Lock()
	defer objects.Unlock()
	objects.next++
	h := uint64(k)<<56 | objects.next
	objects.byID[h] = o
	return h
}

// enter counts a call inside the live object h of kind k; the caller must leave it.
func enter(h uint64, k kind) (*object, error) {
	o, err := lookup(h, k)
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closing {
		return nil, fmt.Errorf("%s handle %#x is being destroyed", k, h)
	}
	o.active++
	return o, nil
}

func (o *object) leave() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.active--
	if o.active == 0 && o.closing {
		o.idle.Broadcast()
	}
}

func lookup(h uint64, k kind) (*object, error) {
	objects.RLock()
	o := objects.byID[h]
	objects.RUnlock()
	if o == nil || o.kind != k {
		return nil, badHandle(h, k)
	}
	return o, nil
}

func badHandle(h uint64, k kind) error {
	if h == 0 {
		return fmt.Errorf("%s handle is 0, which is never a live handle", k)
	}
	if got := kind(h >> 56); got != k {
		return fmt.Errorf("handle %#x names %s, not %s", h, got.a(), k.a())
	}
	return fmt.Errorf("%s handle %#x is not live (destroyed, or never created)", k, h)
}

// unregister ends h: it refuses new calls, waits for the calls inside to return, and removes
// the handle, returning its object for the caller to release. An object with live children
// is left as it was, and the error wraps errBusy.
func unregister(h uint64, k kind) (*object, error) {
	o, err := lookup(h, k)
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	if o.closing {
		o.mu.Unlock()
		return nil, fmt.Errorf("%s handle %#x is already being destroyed", k, h)
	}
	if n := o.children; n > 0 {
		o.mu.Unlock()
		return nil, fmt.Errorf("%s handle %#x has %d live objects (models, problems, batches, planners); destroy them first: %w", k, h, n, errBusy)
	}
	o.closing = true
	for o.active > 0 {
		o.idle.Wait()
	}
	// Children are created only by calls inside o, so with none left their count is final;
	// one created by a call that was inside when the destroy began still makes it busy.
	if n := o.children; n > 0 {
		o.closing = false
		o.mu.Unlock()
		return nil, fmt.Errorf("%s handle %#x has %d live objects (models, problems, batches, planners); destroy them first: %w", k, h, n, errBusy)
	}
	o.mu.Unlock()
	objects.Lock()
	delete(objects.byID, h)
	objects.Unlock()
	if p := o.parent; p != nil {
		p.mu.Lock()
		p.children--
		p.mu.Unlock()
	}
	return o, nil
}

// create makes an object on engine h inside a call on it, registers it as the engine's child
// and stores its handle in *out.
func create[H ~uint64](h C.fluxcore_engine, out *H, k kind, build func(e *engine.Engine) (any, error)) error {
	if out == nil {
		return fmt.Errorf("out is NULL")
	}
	o, err := enter(uint64(h), kindEngine)
	if err != nil {
		return err
	}
	defer o.leave()
	v, err := build(o.value.(*engine.Engine))
	if err != nil {
		return err
	}
	*out = H(register(k, o, v))
	return nil
}
