package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/limits"
	"github.com/fluxcore/fluxcore/internal/lifetime"
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

// object is what a handle names: a value, the gate that counts the calls inside it, and its
// live children (the models of an engine), which keep it from being destroyed.
type object struct {
	kind     kind
	parent   *object
	value    any
	gate     lifetime.Gate
	children atomic.Int64
}

// objects maps live handles to their objects.
var objects = struct {
	sync.RWMutex
	next uint64
	byID map[uint64]*object
}{byID: map[uint64]*object{}}

// register makes a handle for value; parent, when set, cannot be destroyed before it.
func register(k kind, parent *object, value any) uint64 {
	if parent != nil {
		parent.children.Add(1)
	}
	objects.Lock()
	defer objects.Unlock()
	objects.next++
	h := uint64(k)<<56 | objects.next
	objects.byID[h] = &object{kind: k, parent: parent, value: value}
	return h
}

// enter counts a call inside the live object h of kind k; the caller must leave it.
func enter(h uint64, k kind) (*object, error) { return enterWith(h, k, (*lifetime.Gate).Enter) }

// enterAlone is enter for an object whose calls change its state: a second concurrent call
// fails with errBusy.
func enterAlone(h uint64, k kind) (*object, error) {
	return enterWith(h, k, (*lifetime.Gate).EnterAlone)
}

func enterWith(h uint64, k kind, admit func(*lifetime.Gate) error) (*object, error) {
	o, err := lookup(h, k)
	if err != nil {
		return nil, err
	}
	switch err := admit(&o.gate); {
	case errors.Is(err, lifetime.ErrClosed):
		return nil, fmt.Errorf("%s handle %#x is being destroyed", k, h)
	case errors.Is(err, lifetime.ErrBusy):
		return nil, fmt.Errorf("%s %#x is in use by another thread: %w", k, h, errBusy)
	case err != nil:
		return nil, err
	}
	return o, nil
}

func (o *object) leave() { o.gate.Leave() }

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
// is left open, and the error wraps errBusy.
func unregister(h uint64, k kind) (*object, error) {
	o, err := lookup(h, k)
	if err != nil {
		return nil, err
	}
	busy := func() error {
		if n := o.children.Load(); n > 0 {
			return fmt.Errorf("%s handle %#x has %d live objects (models, problems, batches, planners); destroy them first: %w", k, h, n, errBusy)
		}
		return nil
	}
	// Refused at once when children are known, without turning calls away meanwhile. They are
	// created only by calls inside o, so once those have left their count is final; one made
	// by a call that was inside when the destroy began still makes it busy.
	if err := busy(); err != nil {
		return nil, err
	}
	first, err := o.gate.CloseUnless(busy)
	switch {
	case err != nil:
		return nil, err
	case !first:
		return nil, fmt.Errorf("%s handle %#x is already being destroyed", k, h)
	}
	objects.Lock()
	delete(objects.byID, h)
	objects.Unlock()
	if p := o.parent; p != nil {
		p.children.Add(-1)
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

// budgetContext is the context of an object's calls: it carries the engine's memory budget,
// so that what a call reads and builds is charged to it. Objects make it once.
func budgetContext(e *engine.Engine) context.Context {
	return limits.WithBudget(context.Background(), e.Budget())
}
