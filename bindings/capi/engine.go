package main

/*
#include "capi.h"
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"unsafe"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/limits"
)

//export fcgo_engine_create
func fcgo_engine_create(opts *C.fluxcore_engine_options, out *C.fluxcore_engine) C.int {
	return call("engine_create", func() error {
		if out == nil {
			return fmt.Errorf("out is NULL")
		}
		o, err := engineOptions(opts)
		if err != nil {
			return err
		}
		e, err := engine.Open(o)
		if err != nil {
			return err
		}
		*out = C.fluxcore_engine(register(kindEngine, nil, e))
		return nil
	})
}

// engineOptions reads the fields that the caller's struct_size covers; the others keep their
// defaults, so a program built against an older header still works.
func engineOptions(p *C.fluxcore_engine_options) (engine.Options, error) {
	var o engine.Options
	budget := int64(0)
	if p != nil {
		size := uintptr(p.struct_size)
		if size < unsafe.Offsetof(p.threads)+unsafe.Sizeof(p.threads) {
			return o, fmt.Errorf("opts->struct_size is %d, want sizeof(fluxcore_engine_options) = %d", size, unsafe.Sizeof(*p))
		}
		has := func(offset, fieldSize uintptr) bool { return size >= offset+fieldSize }
		if p.threads < 0 || p.threads > 4096 {
			return o, fmt.Errorf("opts->threads is %d, want 0 (every core) .. 4096", p.threads)
		}
		o.CPUWorkers = int(p.threads)
		if has(unsafe.Offsetof(p.device), unsafe.Sizeof(p.device)) && p.device != nil {
			o.Device = C.GoString(p.device)
		}
		if has(unsafe.Offsetof(p.cpu_variant), unsafe.Sizeof(p.cpu_variant)) && p.cpu_variant != nil {
			o.CPUVariant = C.GoString(p.cpu_variant)
		}
		if has(unsafe.Offsetof(p.memory_budget_bytes), unsafe.Sizeof(p.memory_budget_bytes)) {
			budget = int64(p.memory_budget_bytes)
		}
	}
	b, err := limits.NewBudget(budget)
	if err != nil {
		return o, fmt.Errorf("opts->memory_budget_bytes: %w", err)
	}
	o.Budget = b
	return o, nil
}

//export fcgo_engine_destroy
func fcgo_engine_destroy(h C.fluxcore_engine) C.int {
	return call("engine_destroy", func() error {
		o, err := unregister(uint64(h), kindEngine)
		if err != nil {
			return err
		}
		return o.value.(*engine.Engine).Close()
	})
}

//export fcgo_engine_info_json
func fcgo_engine_info_json(h C.fluxcore_engine, buf *C.char, bufLen C.size_t, lenOut *C.size_t) C.int {
	return call("engine_info_json", func() error {
		o, err := enter(uint64(h), kindEngine)
		if err != nil {
			return err
		}
		defer o.leave()
		data, err := json.Marshal(o.value.(*engine.Engine).Info())
		if err != nil {
			return err
		}
		return copyJSON(data, buf, bufLen, lenOut)
	})
}
