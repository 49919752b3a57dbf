package metrics

import (
	"math"
	"testing"
)

// A uniform relative perturbation ε gives exactly ε; degenerate references are not finite.
func TestRelL2(t *testing.T) {
	want := []float64{3, -4, 12}
	got := []float32{3 * 1.5, -4 * 1.5, 12 * 1.5}
	if e := RelL2(got, want); math.Abs(e-0.5) > 1e-12 {
		t.Errorf("RelL2 = %v, want 0.5", e)
	}
	if e := RelL2([]float32{1}, []float32{0}); !math.IsInf(e, 1) {
		t.Errorf("RelL2 of 1 against 0 = %v, want +Inf", e)
	}
	if e := RelL2([]float32{0}, []float32{0}); !math.IsNaN(e) {
		t.Errorf("RelL2 of 0 against 0 = %v, want NaN", e)
	}
	if e := RelL2([]float32{float32(math.NaN())}, []float64{1}); !math.IsNaN(e) {
		t.Errorf("RelL2 with a NaN = %v, want NaN", e)
	}
	wantC := []complex128{3 + 4i, -1i}
	gotC := []complex64{(3 + 4i) * 0.9, -1i * 0.9}
	if e := RelL2Complex(gotC, wantC); math.Abs(e-0.1) > 1e-7 {
		t.Errorf("RelL2Complex = %v, want 0.1", e)
	}
}
