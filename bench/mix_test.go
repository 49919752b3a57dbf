package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/cpu"
	"github.com/fluxcore/fluxcore/engine/cuda"
)

// BenchmarkSpectralMix reports GFLOP/s and the fraction of the variant's measured FMA peak
// (the widest vectors that variant may use, on all workers) for each FNO mixing shape.
func BenchmarkSpectralMix(b *testing.B) {
	ctx := context.Background()
	forEachCPUVariant(b, func(v cpu.Variant, be *cpu.Backend) {
		for _, c := range MixCases {
			b.Run("cpu/"+v.String()+"/"+c.Name, func(b *testing.B) { benchMixCPU(b, v, be, c.Shape) })
		}
	})
	probe := cuda.Probe()
	for _, dev := range probe.Devices {
		be, err := cuda.Open(dev.Ordinal, nil)
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

// BenchmarkSpectralMixSmallBatch times the mixings of one to three samples, what a server
// answering single requests runs: batches below the CPU loop's tile of 4 rows take its edge
// tile.
func BenchmarkSpectralMixSmallBatch(b *testing.B) {
	forEachCPUVariant(b, func(v cpu.Variant, be *cpu.Backend) {
		for _, c := range MixCases[:2] {
			for batch := 1; batch <= 3; batch++ {
				s := c.Shape
				s.Batch = batch
				b.Run(fmt.Sprintf("cpu/%s/%s/batch%d", v, c.Name, batch), func(b *testing.B) { benchMixCPU(b, v, be, s) })
			}
		}
	})
}

// benchMixCPU times one mixing shape on a CPU backend and reports GFLOP/s and its share of
// the variant's FMA peak.
func benchMixCPU(b *testing.B, v cpu.Variant, be *cpu.Backend, s backend.MixShape) {
	ctx := context.Background()
	peak := cpuPeak(b, v, be.Workers())
	d, err := NewMixData(ctx, be, s)
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
	reportGFLOPs(b, s.Flops(), peak)
}
