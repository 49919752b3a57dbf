//go:build cuda

package engine

import (
	"strings"
	"testing"

	"github.com/fluxcore/fluxcore/engine/cuda"
)

// On a machine with the driver library but no GPU, the CUDA build must report the driver's
// own error and run on the CPU.
func TestCUDABuildReportsDriverReason(t *testing.T) {
	probe := cuda.Probe()
	if !probe.Compiled {
		t.Fatal("built with -tags cuda but Probe says CUDA is not compiled in")
	}
	if probe.Available {
		t.Skipf("CUDA device present: %s", probe.Reason)
	}
	if !strings.Contains(probe.Reason, "CUDA_ERROR_") && !strings.Contains(probe.Reason, "no devices") {
		t.Errorf("reason %q does not carry the driver's error", probe.Reason)
	}
}
