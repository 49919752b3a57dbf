package cpu

// #include "peak.h"
import "C"

import (
	"context"
	"sync"
	"time"
)

// Peak is a measured floating-point limit of this machine for one variant.
type Peak struct {
	Variant Variant
	Workers int
	// GFLOPS is single-precision GFLOP/s over all workers: FMA counted as two operations.
	GFLOPS float64
}

// MeasurePeak runs v's widest FMA (or multiply-add) loop on workers goroutines at once, three
// times for about duration each, and returns the best total rate: a peak is a maximum, and
// the slower runs measure frequency ramps and neighbours, not the machine. It needs
// v.Check() == nil.
func MeasurePeak(ctx context.Context, v Variant, workers int, duration time.Duration) (Peak, error) {
	if err := v.Check(); err != nil {
		return Peak{}, err
	}
	run := func(iters int64) {
		switch v {
		case AVX512:
			C.fc_cpu_peak_avx512(C.int64_t(iters))
		case AVX2:
			C.fc_cpu_peak_avx2(C.int64_t(iters))
		default:
			C.fc_cpu_peak_generic(C.int64_t(iters))
		}
	}
	// Calibrate one worker's iterations to the duration, then run all workers together.
	iters := int64(1 << 16)
	for {
		start := time.Now()
		run(iters)
		if el := time.Since(start); el > duration/10 || iters > 1<<34 {
			iters = int64(float64(iters) * float64(duration) / float64(el))
			break
		}
		iters *= 4
	}
	if err := ctx.Err(); err != nil {
		return Peak{}, err
	}
	flops := float64(iters) * float64(C.fc_cpu_peak_flops_per_iter(C.int(v))) * float64(workers)
	best := Peak{Variant: v, Workers: workers}
	for range 3 {
		var wg sync.WaitGroup
		start := time.Now()
		for range workers {
			wg.Go(func() { run(iters) })
		}
		wg.Wait()
		best.GFLOPS = max(best.GFLOPS, flops/time.Since(start).Seconds()/1e9)
		if err := ctx.Err(); err != nil {
			return Peak{}, err
		}
	}
	return best, nil
}
