//go:build cuda

package fno_test

import (
	"testing"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/cuda"
)

// extraBackends opens every CUDA device; without one the golden tests log why and run on
// the CPU variants only.
func extraBackends(t *testing.T) []backend.Backend {
	probe := cuda.Probe()
	if !probe.Available {
		t.Logf("no CUDA device: %s", probe.Reason)
		return nil
	}
	var out []backend.Backend
	for _, d := range probe.Devices {
		b, err := cuda.Open(d.Ordinal)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		out = append(out, b)
	}
	return out
}
