package main

/*
#include <string.h>
#include "capi.h"
*/
import "C"

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"unsafe"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/limits"
	"github.com/fluxcore/fluxcore/engine/traj"
)

// planner is a traj.Planner with its configuration and the last result, kept so that a
// caller whose buffer was short can read it without planning again. Its calls are entered
// alone, as the warm start and last are one robot's state.
type planner struct {
	p       *traj.Planner
	cfg     traj.Config
	backend string
	last    []byte
}

// plannerConfig is the JSON form of traj.Config, named as `fluxcore plan`'s flags.
type plannerConfig struct {
	Candidates   int     `json:"candidates"`
	Segments     int     `json:"segments"`
	Seed         uint64  `json:"seed"`
	Accurate     bool    `json:"accurate"`
	WarmFraction float64 `json:"warm_fraction"`
	WarmSpread   float64 `json:"warm_spread"`
	CycleS       float64 `json:"cycle_s"`
	TopK         int     `json:"top_k"`
	RefineStages int     `json:"refine_stages"`
}

func parsePlannerConfig(raw []byte) (traj.Config, error) {
	d := traj.DefaultConfig
	c := plannerConfig{d.Candidates, d.Segments, d.Seed, d.Accurate, d.WarmFraction, d.WarmSpread, d.CycleS, d.TopK, d.RefineStages}
	if len(bytes.TrimSpace(raw)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return d, fmt.Errorf("config_json: %w", err)
		}
		if dec.More() {
			return d, errors.New("config_json: data after the JSON object")
		}
	}
	if c.Candidates < 1 {
		return d, fmt.Errorf("config_json: candidates %d, want ≥ 1", c.Candidates)
	}
	d.Candidates, d.Segments, d.Seed, d.Accurate = c.Candidates, c.Segments, c.Seed, c.Accurate
	d.WarmFraction, d.WarmSpread, d.CycleS, d.TopK, d.RefineStages = c.WarmFraction, c.WarmSpread, c.CycleS, c.TopK, c.RefineStages
	return d, nil
}

// cJSON reads a NUL-terminated JSON text of at most limits.MaxJSONBytes without copying an
// unbounded string first.
func cJSON(name string, p *C.char) ([]byte, error) {
	if p == nil {
		return nil, nil
	}
	n := int(C.strnlen(p, C.size_t(limits.MaxJSONBytes+1)))
	if n > limits.MaxJSONBytes {
		return nil, fmt.Errorf("%s is longer than the limit of %d bytes", name, limits.MaxJSONBytes)
	}
	return C.GoBytes(unsafe.Pointer(p), C.int(n)), nil
}

//export fcgo_planner_create
func fcgo_planner_create(h C.fluxcore_engine, configJSON *C.char, out *C.fluxcore_planner) C.int {
	return call("planner_create", func() error {
		return create(h, out, kindPlanner, func(e *engine.Engine) (any, error) {
			raw, err := cJSON("config_json", configJSON)
			if err != nil {
				return nil, err
			}
			cfg, err := parsePlannerConfig(raw)
			if err != nil {
				return nil, err
			}
			p, err := traj.NewPlanner(budgetContext(e), e.Backend(), cfg)
			if err != nil {
				return nil, err
			}
			return &planner{p: p, cfg: cfg, backend: e.Backend().Name()}, nil
		})
	})
}

//export fcgo_planner_destroy
func fcgo_planner_destroy(h C.fluxcore_planner) C.int {
	return call("planner_destroy", func() error {
		o, err := unregister(uint64(h), kindPlanner)
		if err != nil {
			return err
		}
		return o.value.(*planner).p.Close()
	})
}

//export fcgo_planner_plan
func fcgo_planner_plan(h C.fluxcore_planner, scenarioJSON *C.char, buf *C.char, bufLen C.size_t, lenOut *C.size_t) C.int {
	return call("planner_plan", func() error {
		o, err := enterAlone(uint64(h), kindPlanner)
		if err != nil {
			return err
		}
		defer o.leave()
		raw, err := cJSON("scenario_json", scenarioJSON)
		if err != nil {
			return err
		}
		if raw == nil {
			return fmt.Errorf("scenario_json is NULL")
		}
		s, err := traj.ParseScenario(bytes.NewReader(raw))
		if err != nil {
			return err
		}
		pl := o.value.(*planner)
		res, err := pl.p.Plan(context.Background(), s)
		if err != nil {
			return err
		}
		data, err := json.Marshal(res.Report(pl.cfg, pl.backend))
		if err != nil {
			return err
		}
		pl.last = data
		return copyJSON(data, buf, bufLen, lenOut)
	})
}

//export fcgo_planner_last_result
func fcgo_planner_last_result(h C.fluxcore_planner, buf *C.char, bufLen C.size_t, lenOut *C.size_t) C.int {
	return call("planner_last_result", func() error {
		o, err := enterAlone(uint64(h), kindPlanner)
		if err != nil {
			return err
		}
		defer o.leave()
		data := o.value.(*planner).last
		if data == nil {
			return fmt.Errorf("planner has not planned yet")
		}
		return copyJSON(data, buf, bufLen, lenOut)
	})
}
