// Package bench holds fluxcore's benchmark workloads. `go test -bench` and `fluxcore bench`
// run the same code, so the figures in the README, the CLI and CI logs are the same thing.
package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/fluxcore/fluxcore/engine/backend"
)

// MixCase is a named spectral-mixing shape taken from a real FNO configuration.
type MixCase struct {
	Name  string
	Shape backend.MixShape
}

// MixCases are the channel mixings of the FNO benchmark configurations: Burgers 1-D
// (16 modes, width 64), Darcy 2-D (12×12 modes in two blocks, width 32) and Navier–Stokes
// 2-D (12×12 modes in two blocks, width 20), each at batch 20.
var MixCases = []MixCase{
	{"burgers1d", backend.MixShape{Batch: 20, In: 64, Out: 64, Modes: 16}},
	{"darcy2d", backend.MixShape{Batch: 20, In: 32, Out: 32, Modes: 2 * 12 * 12}},
	{"navierstokes2d", backend.MixShape{Batch: 20, In: 20, Out: 20, Modes: 2 * 12 * 12}},
}

// MixResult is the timing of one spectral-mixing case on one backend.
type MixResult struct {
	Case      string           `json:"case"`
	Backend   string           `json:"backend"`
	Shape     backend.MixShape `json:"shape"`
	Iters     int              `json:"iters"`
	MedianSec float64          `json:"median_seconds"`
	GFLOPS    float64          `json:"gflops"`
	// DeviceTimed is true when the time came from device events rather than a wall clock.
	DeviceTimed bool `json:"device_timed"`
}

// MixData holds a case's operands, resident on one backend.
type MixData struct {
	b          backend.Backend
	shape      backend.MixShape
	in, w, out backend.Buffer
}

// NewMixData fills a case's operands with seeded random values on b.
func NewMixData(ctx context.Context, b backend.Backend, s backend.MixShape) (*MixData, error) {
	rng := rand.New(rand.NewPCG(1, uint64(s.InLen())))
	random := func(n int) []complex64 {
		v := make([]complex64, n)
		for i := range v {
			v[i] = complex(float32(rng.NormFloat64()), float32(rng.NormFloat64()))
		}
		return v
	}
	d := &MixData{b: b, shape: s}
	var err error
	if d.in, err = backend.FromHost(ctx, b, random(s.InLen())); err != nil {
		return nil, err
	}
	if d.w, err = backend.FromHost(ctx, b, random(s.WeightLen())); err != nil {
		d.Free()
		return nil, err
	}
	if d.out, err = b.Alloc(backend.Complex64, s.OutLen()); err != nil {
		d.Free()
		return nil, err
	}
	return d, nil
}

// Run queues one mixing.
func (d *MixData) Run(ctx context.Context) error {
	return d.b.SpectralMix(ctx, d.out, d.in, d.w, d.shape)
}

// Free releases the operands.
func (d *MixData) Free() {
	backend.FreeAll(d.b, d.in, d.w, d.out)
}

// SpectralMix times iters runs of c on b after a warm-up and reports the median.
func SpectralMix(ctx context.Context, b backend.Backend, c MixCase, iters int) (MixResult, error) {
	if iters < 1 {
		return MixResult{}, fmt.Errorf("bench: iters = %d, want ≥ 1", iters)
	}
	d, err := NewMixData(ctx, b, c.Shape)
	if err != nil {
		return MixResult{}, fmt.Errorf("bench %s: %w", c.Name, err)
	}
	defer d.Free()
	median, deviceTimed, err := medianTime(ctx, b, iters, true, d.Run)
	if err != nil {
		return MixResult{}, fmt.Errorf("bench %s: %w", c.Name, err)
	}
	return MixResult{
		Case: c.Name, Backend: b.Name(), Shape: c.Shape, Iters: iters,
		MedianSec: median, GFLOPS: c.Shape.Flops() / median / 1e9, DeviceTimed: deviceTimed,
	}, nil
}

// medianTime runs op three times to warm up, then times iters runs of it, with device events
// where b has them and onDevice is set (op must then only enqueue work) and a synchronized
// wall clock otherwise, and returns the median seconds.
func medianTime(ctx context.Context, b backend.Backend, iters int, onDevice bool, op func(context.Context) error) (median float64,
	deviceTimed bool, err error) {
	for range 3 {
		if err := op(ctx); err != nil {
			return 0, false, err
		}
	}
	if err := b.Synchronize(ctx); err != nil {
		return 0, false, err
	}
	timer, deviceTimed := b.(backend.DeviceTimer)
	deviceTimed = deviceTimed && onDevice
	times := make([]float64, iters)
	for i := range times {
		var el time.Duration
		if deviceTimed {
			el, err = timer.TimeDevice(ctx, func() error { return op(ctx) })
		} else {
			start := time.Now()
			if err = op(ctx); err == nil {
				err = b.Synchronize(ctx)
			}
			el = time.Since(start)
		}
		if err != nil {
			return 0, false, err
		}
		times[i] = el.Seconds()
	}
	slices.Sort(times)
	return times[len(times)/2], deviceTimed, nil
}
