package bench

import (
	"context"
	"testing"

	"github.com/fluxcore/fluxcore/engine/cpu"
	"github.com/fluxcore/fluxcore/engine/cuda"
)

// BenchmarkSpectralMix reports GFLOP/s and the fraction of the variant's measured FMA peak
// (the widest vectors that variant may use, on all workers) for each FNO mixing shape.
func BenchmarkSpectralMix(b *testing.B) {
	ctx := context.Background()
	forEachCPUVariant(b, func(v cpu.Variant, be *cpu.Backend) {
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
				reportGFLOPs(b, c.Shape.Flops(), peak)
			})
		}
	})
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
