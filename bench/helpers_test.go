package bench

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/cpu"
)

// randomBuffer is n uniform values in [−½, ½) on be, freed when the benchmark ends.
func randomBuffer(b *testing.B, be backend.Backend, n int) backend.Buffer {
	h := make([]float32, n)
	for i := range h {
		h[i] = rand.Float32() - 0.5
	}
	d, err := backend.FromHost(context.Background(), be, h)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { be.Free(d) })
	return d
}

// forEachCPUVariant runs body with a backend of every CPU variant this machine supports.
func forEachCPUVariant(b *testing.B, body func(v cpu.Variant, be *cpu.Backend)) {
	for _, v := range cpu.Supported() {
		be, err := cpu.New(cpu.Options{Variant: &v})
		if err != nil {
			b.Fatal(err)
		}
		body(v, be)
	}
}

var (
	peakOnce sync.Once
	peaks    = map[cpu.Variant]float64{}
)

// cpuPeak is the measured FMA peak of the variant over all workers, in GFLOP/s.
func cpuPeak(b *testing.B, v cpu.Variant, workers int) float64 {
	peakOnce.Do(func() {
		for _, sv := range cpu.Supported() {
			p, err := cpu.MeasurePeak(context.Background(), sv, workers, 300*time.Millisecond)
			if err != nil {
				b.Fatal(err)
			}
			peaks[sv] = p.GFLOPS
		}
	})
	return peaks[v]
}

// reportGFLOPs reports the rate of a loop doing flopsPerOp per iteration and its share of
// the peak (GFLOP/s).
func reportGFLOPs(b *testing.B, flopsPerOp, peak float64) {
	gflops := flopsPerOp * float64(b.N) / b.Elapsed().Seconds() / 1e9
	b.ReportMetric(gflops, "GFLOP/s")
	b.ReportMetric(100*gflops/peak, "%peak")
}
