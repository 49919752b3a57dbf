package bench

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/fluxcore/fluxcore/engine/cpu"
	"github.com/fluxcore/fluxcore/engine/cuda"
)

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

// BenchmarkSpectralMix reports GFLOP/s and the fraction of the variant's measured FMA peak
// (the widest vectors that variant may use, on all workers) for each FNO mixing shape.
func BenchmarkSpectralMix(b *testing.B) {
	ctx := context.Background()
	for _, v := range cpu.Supported() {
		be, err := cpu.New(cpu.Options{Variant: &v})
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range MixCases {
			b.Run("cpu/"+v.String()+"/"+c.Name, func(b *testing.B) {
				peak := cpuPeak(b, v, be.Workers())
				d, err := NewMixData(ctx, be, c.Shape)
				if err != nil {
					b.Fatal(err)
				}
				defer d.Free()
				b.ResetTimer()
				for b.Loop() {
					if err := d.Run(ctx); err != nil {
						b.Fatal(err)
					}
				}
				gflops := c.Shape.Flops() * float64(b.N) / b.Elapsed().Seconds() / 1e9
				b.ReportMetric(gflops, "GFLOP/s")
				b.ReportMetric(100*gflops/peak, "%peak")
			})
		}
	}
	probe := cuda.Probe()
	for _, dev := range probe.Devices {
		be, err := cuda.Open(dev.Ordinal)
		if err != nil {
			b.Logf("%s: %v", dev.ID(), err)
			continue
		}
		defer be.Close()
		for _, c := range MixCases {
			b.Run(dev.ID()+"/"+c.Name, func(b *testing.B) {
				d, err := NewMixData(ctx, be, c.Shape)
				if err != nil {
					b.Fatal(err)
				}
				defer d.Free()
				for b.Loop() {
					if err := d.Run(ctx); err != nil {
						b.Fatal(err)
					}
				}
				if err := be.Synchronize(ctx); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(c.Shape.Flops()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
