package enginetest

import (
	"testing"

	"github.com/fluxcore/fluxcore/engine/cpu"
	"github.com/fluxcore/fluxcore/engine/cuda"
)

// TestConformance runs the suite on every backend this machine has: each CPU variant the CPU
// supports, and each CUDA device when the build has CUDA and a device exists.
func TestConformance(t *testing.T) {
	for _, v := range cpu.AllVariants {
		t.Run("cpu/"+v.String(), func(t *testing.T) {
			if err := v.Check(); err != nil {
				t.Skip(err)
			}
			b, err := cpu.New(cpu.Options{Variant: &v})
			if err != nil {
				t.Fatal(err)
			}
			Run(t, b)
		})
	}
	t.Run("cuda", func(t *testing.T) {
		probe := cuda.Probe()
		if !probe.Available {
			t.Skipf("no CUDA device: %s", probe.Reason)
		}
		for _, d := range probe.Devices {
			t.Run(d.ID(), func(t *testing.T) {
				b, err := cuda.Open(d.Ordinal)
				if err != nil {
					t.Fatal(err)
				}
				defer b.Close()
				Run(t, b)
			})
		}
	})
}
