package kalman_test

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/enginetest"
	"github.com/fluxcore/fluxcore/engine/kalman"
	"github.com/fluxcore/fluxcore/npy"
	"gonum.org/v1/gonum/mat"
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

// TestUpdatedCovarianceIsPSD checks every filter that reports KalmanOK against the
// definition of a covariance: exactly symmetric, and no eigenvalue (gonum's, in float64)
// below the storage type's rounding of the prior's scale, over random filters with badly
// scaled priors and singular measurement noise.
func TestUpdatedCovarianceIsPSD(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	enginetest.ForEachBackend(t, func(t *testing.T, b backend.Backend) {
		for trial := range 20 {
			nx, nz, filters := 1+rng.IntN(8), 1+rng.IntN(4), 64
			arrays := map[string]*npy.Array64{
				"x": randomArray(rng, 1, filters, nx),
				"P": randomCov(rng, filters, nx, math.Pow(10, float64(rng.IntN(7)-3))),
				"z": randomArray(rng, 1, filters, nz),
				"H": randomArray(rng, math.Pow(10, float64(rng.IntN(5)-2)), nz, nx),
				"R": randomCov(rng, filters, nz, math.Pow(10, float64(rng.IntN(9)-6))),
			}
			if trial%2 == 1 {
				for _, a := range arrays {
					a.Float32 = true
					for i, v := range a.Data {
						a.Data[i] = float64(float32(v))
					}
				}
			}
			step, err := kalman.NewStep(arrays)
			if err != nil {
				t.Fatal(err)
			}
			res, err := step.Run(context.Background(), b)
			if err != nil {
				t.Fatal(err)
			}
			tol := 1e-12 // about 16·nx unit roundoffs, for the largest nx
			if trial%2 == 1 {
				tol = 1e-5
			}
			for f := range filters {
				if res.Status[f] != backend.KalmanOK {
					continue
				}
				p := mat.NewDense(nx, nx, res.P[f*nx*nx:(f+1)*nx*nx])
				if !mat.Equal(p, p.T()) {
					t.Fatalf("trial %d filter %d: P not symmetric: %v", trial, f, mat.Formatted(p))
				}
				var eig mat.EigenSym
				if !eig.Factorize(mat.NewSymDense(nx, res.P[f*nx*nx:(f+1)*nx*nx]), false) {
					t.Fatalf("trial %d filter %d: eigen decomposition failed", trial, f)
				}
				prior := josephScale(arrays, step, f)
				vals := eig.Values(nil)
				if lo, hi := slices.Min(vals), slices.Max(vals); lo < -tol*max(hi, prior) {
					t.Errorf("trial %d filter %d (nx %d, nz %d): eigenvalue %g of P, largest %g, Joseph terms of size %g", trial, f, nx, nz, lo, hi, prior)
				}
			}
		}
	})
}

func randomArray(rng *rand.Rand, scale float64, shape ...int) *npy.Array64 {
	n := 1
	for _, d := range shape {
		n *= d
	}
	a := &npy.Array64{Shape: shape, Data: make([]float64, n)}
	for i := range a.Data {
		a.Data[i] = scale * rng.NormFloat64()
	}
	return a
}

// randomCov is filters covariances A·Aᵀ·scale of rank n or, for every third, n − 1.
func randomCov(rng *rand.Rand, filters, n int, scale float64) *npy.Array64 {
	out := &npy.Array64{Shape: []int{filters, n, n}, Data: make([]float64, filters*n*n)}
	for f := range filters {
		a := mat.NewDense(n, n, randomArray(rng, 1, n*n).Data)
		if f%3 == 0 && n > 1 {
			a.SetCol(0, make([]float64, n))
		}
		var c mat.Dense
		c.Mul(a, a.T())
		c.Scale(scale, &c)
		for i := range n {
			for j := range n {
				out.Data[f*n*n+i*n+j] = 0.5 * (c.At(i, j) + c.At(j, i))
			}
		}
	}
	return out
}

// josephScale is the size of the Joseph form's terms, ‖I − KH‖²‖P‖ + ‖K‖²‖R‖ in 2-norms with
// K from a float64 solve, which bounds the rounding of its result: a posterior that is
// exactly 0 (a noise-free direction of R) comes out as ±eps times it.
func josephScale(arrays map[string]*npy.Array64, step *kalman.Step, f int) float64 {
	nx, nz := step.NX, step.NZ
	p := mat.NewDense(nx, nx, arrays["P"].Data[f*nx*nx:(f+1)*nx*nx])
	h := mat.NewDense(nz, nx, arrays["H"].Data)
	r := mat.NewDense(nz, nz, arrays["R"].Data[f*nz*nz:(f+1)*nz*nz])
	var ph, s, kt, ikh mat.Dense
	ph.Mul(p, h.T())
	s.Mul(h, &ph)
	s.Add(&s, r)
	if err := kt.Solve(&s, ph.T()); err != nil {
		return math.Inf(1)
	}
	ikh.Mul(kt.T(), h)
	ikh.Sub(eye(nx), &ikh)
	nk := mat.Norm(&kt, 2)
	return math.Pow(mat.Norm(&ikh, 2), 2)*mat.Norm(p, 2) + nk*nk*mat.Norm(r, 2)
}

func eye(n int) *mat.Dense {
	m := mat.NewDense(n, n, nil)
	for i := range n {
		m.Set(i, i, 1)
	}
	return m
}
