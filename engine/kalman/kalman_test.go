package kalman_test

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/enginetest"
	"github.com/fluxcore/fluxcore/engine/kalman"
)

// Scalar filters have a closed form: P⁻ = F²P + Q, K = P⁻/(P⁻ + R), x = Fx + K(z − Fx),
// P = P⁻R/(P⁻ + R). Each filter here has its own F, Q, H = 1 and R.
func TestScalarFiltersClosedForm(t *testing.T) {
	enginetest.ForEachBackend(t, func(t *testing.T, b backend.Backend) {
		t.Run("float64", func(t *testing.T) { testScalar[float64](t, b, 1e-13) })
		t.Run("float32", func(t *testing.T) { testScalar[float32](t, b, 1e-6) })
	})
}

func testScalar[T kalman.Float](t *testing.T, b backend.Backend, tol float64) {
	const n = 1000
	s := &kalman.Batch[T]{Filters: n, NX: 1}
	var f, q, h, r, z []T
	for i := range n {
		s.X = append(s.X, T(math.Sin(float64(i))))
		s.P = append(s.P, T(1+0.001*float64(i)))
		f = append(f, T(0.9+0.0002*float64(i)))
		q = append(q, T(0.01*float64(i%7+1)))
		h = append(h, 1)
		r = append(r, T(0.5+0.001*float64(i)))
		z = append(z, T(math.Cos(float64(i))))
	}
	x0, p0 := append([]T(nil), s.X...), append([]T(nil), s.P...)
	ctx := context.Background()
	if err := kalman.Predict(ctx, b, s, f, q); err != nil {
		t.Fatal(err)
	}
	status, err := kalman.Update(ctx, b, s, 1, h, r, z)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if status[i] != backend.KalmanOK {
			t.Fatalf("filter %d: status %d", i, status[i])
		}
		fi, pp := float64(f[i]), float64(f[i])*float64(f[i])*float64(p0[i])+float64(q[i])
		k := pp / (pp + float64(r[i]))
		wantX := fi*float64(x0[i]) + k*(float64(z[i])-fi*float64(x0[i]))
		wantP := pp * float64(r[i]) / (pp + float64(r[i]))
		if math.Abs(float64(s.X[i])-wantX) > tol*max(1, math.Abs(wantX)) || math.Abs(float64(s.P[i])-wantP) > tol*max(1, wantP) {
			t.Fatalf("filter %d: x = %.15g, P = %.15g; want %.15g, %.15g", i, s.X[i], s.P[i], wantX, wantP)
		}
	}
}

func TestLayoutRoundTrip(t *testing.T) {
	natural := []float64{1, 2, 3, 4, 5, 6, 7, 8} // 2 filters of 2×2
	inner := kalman.ToBatchInner(natural, 2)
	if want := []float64{1, 5, 2, 6, 3, 7, 4, 8}; !slices.Equal(inner, want) {
		t.Errorf("batch-innermost %v, want %v", inner, want)
	}
	if back := kalman.FromBatchInner(inner, 2); !slices.Equal(back, natural) {
		t.Errorf("round trip %v, want %v", back, natural)
	}
}

// A filter whose S is indefinite is reported and left alone; the others are updated.
func TestUpdateReportsIndefiniteS(t *testing.T) {
	b := enginetest.CPU(t)
	s := &kalman.Batch[float64]{Filters: 3, NX: 1, X: []float64{1, 1, 1}, P: []float64{1, 1, 1}}
	status, err := kalman.Update(context.Background(), b, s, 1, []float64{1}, []float64{1, -5, 1}, []float64{2, 2, 2})
	if err != nil {
		t.Fatal(err)
	}
	if status[0] != backend.KalmanOK || status[1] != backend.KalmanNotPD || status[2] != backend.KalmanOK {
		t.Errorf("statuses %v, want [ok, not PD, ok]", status)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-15 }
	if s.X[1] != 1 || s.P[1] != 1 || !near(s.X[0], 1.5) || !near(s.P[0], 0.5) || !near(s.X[2], 1.5) {
		t.Errorf("x %v, P %v; want filter 1 untouched and the others at x 1.5, P 0.5", s.X, s.P)
	}
}

func TestErrors(t *testing.T) {
	b := enginetest.CPU(t)
	ctx := context.Background()
	s := &kalman.Batch[float32]{Filters: 2, NX: 2, X: make([]float32, 4), P: make([]float32, 8)}
	if err := kalman.Predict(ctx, b, s, make([]float32, 3), make([]float32, 4)); err == nil ||
		!strings.Contains(err.Error(), "F has 3 values, want [2, 2] = 4 (shared) or [2, 2, 2] = 8 (per filter)") {
		t.Errorf("short F: %v", err)
	}
	s.P[5] = float32(math.Inf(-1))
	if err := kalman.Predict(ctx, b, s, make([]float32, 4), make([]float32, 4)); err == nil ||
		!strings.Contains(err.Error(), "filter 1: P element 2 is -Inf") {
		t.Errorf("infinite P: %v", err)
	}
	s.P[5] = 0
	if _, err := kalman.Update(ctx, b, s, 9, nil, nil, nil); err == nil || !strings.Contains(err.Error(), "measurement dimension 9") {
		t.Errorf("nz 9: %v", err)
	}
}
