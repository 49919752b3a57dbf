package enginetest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/kalman"
)

type kalmanCase struct {
	name      string
	filters   int
	nx, nz    int
	perFilter bool // F, Q, H, R per filter rather than shared
	dtype     backend.DType
	tolerance float64
	badFilter int // −1, or a filter whose S is made indefinite
}

// testKalman runs a predict and an update step against a plain float64 loop over filters in
// the natural [filter, row, col] layout, with S inverted by gonum rather than solved by
// Cholesky, and checks that every output P is exactly symmetric and positive semidefinite
// (eigenvalues ≥ −1e-10·‖P‖).
func testKalman(t *testing.T, b backend.Backend) {
	cases := []kalmanCase{
		{name: "nx4 nz2 shared f32", filters: 257, nx: 4, nz: 2, dtype: backend.Float32, tolerance: 2e-5, badFilter: -1},
		{name: "nx6 nz3 per filter f64", filters: 33, nx: 6, nz: 3, perFilter: true, dtype: backend.Float64, tolerance: 1e-11, badFilter: -1},
		{name: "nx16 nz8 f64", filters: 5, nx: 16, nz: 8, perFilter: true, dtype: backend.Float64, tolerance: 1e-10, badFilter: -1},
		{name: "scalar f64", filters: 9, nx: 1, nz: 1, dtype: backend.Float64, tolerance: 1e-12, badFilter: -1},
		{name: "indefinite S", filters: 6, nx: 3, nz: 2, perFilter: true, dtype: backend.Float64, tolerance: 1e-11, badFilter: 4},
		// Every size the CPU loop instantiates (shared H and R, both storage types), each with
		// a failed filter in the vectorized loop.
		{name: "nx2 nz1 shared f32", filters: 19, nx: 2, nz: 1, dtype: backend.Float32, tolerance: 2e-5, badFilter: 7},
		{name: "nx3 nz1 shared f64", filters: 23, nx: 3, nz: 1, dtype: backend.Float64, tolerance: 1e-11, badFilter: 0},
		{name: "nx4 nz2 shared f64", filters: 67, nx: 4, nz: 2, dtype: backend.Float64, tolerance: 1e-11, badFilter: 3},
		{name: "nx6 nz3 shared f32", filters: 37, nx: 6, nz: 3, dtype: backend.Float32, tolerance: 2e-5, badFilter: 36},
	}
	rng := rand.New(rand.NewPCG(5, 17))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runKalmanCase(t, b, rng, c) })
	}
}

// kalmanFilters is a batch in the natural layout: filter f's r×c matrix at f·r·c.
type kalmanFilters struct {
	x, p, f, q, h, r, z []float64
}

func randomSPD(rng *rand.Rand, n int, ridge float64) []float64 {
	a := make([]float64, n*n)
	for i := range a {
		a[i] = rng.NormFloat64()
	}
	out := make([]float64, n*n)
	for i := range n {
		for j := range n {
			for k := range n {
				out[i*n+j] += a[i*n+k] * a[j*n+k] / float64(n)
			}
		}
		out[i*n+i] += ridge
	}
	return out
}

func makeKalmanFilters(rng *rand.Rand, c kalmanCase) kalmanFilters {
	var k kalmanFilters
	nx, nz, nf := c.nx, c.nz, c.filters
	models := 1
	if c.perFilter {
		models = nf
	}
	for range nf {
		for range nx {
			k.x = append(k.x, rng.NormFloat64())
		}
		k.p = append(k.p, randomSPD(rng, nx, 0.1)...)
		for range nz {
			k.z = append(k.z, rng.NormFloat64())
		}
	}
	for range models {
		for i := range nx * nx {
			v := 0.3 * rng.NormFloat64()
			if i%(nx+1) == 0 {
				v += 1
			}
			k.f = append(k.f, v)
		}
		k.q = append(k.q, randomSPD(rng, nx, 0.01)...)
		for range nz * nx {
			k.h = append(k.h, rng.NormFloat64())
		}
		k.r = append(k.r, randomSPD(rng, nz, 0.05)...)
	}
	if c.badFilter >= 0 && !c.perFilter {
		// With H and R shared, P = −10³·I (not a covariance, but finite) makes S = HPHᵀ + R
		// indefinite for this filter after the predict step.
		p := k.p[c.badFilter*nx*nx : (c.badFilter+1)*nx*nx]
		for i := range p {
			p[i] = 0
		}
		for i := range nx {
			p[i*nx+i] = -1e3
		}
	}
	if c.badFilter >= 0 && c.perFilter {
		// R = −10³·I makes S = HPHᵀ + R indefinite for this filter.
		r := k.r[c.badFilter*nz*nz : (c.badFilter+1)*nz*nz]
		for i := range r {
			r[i] = 0
		}
		for i := range nz {
			r[i*nz+i] = -1e3
		}
	}
	return k
}

// kalmanReference is one predict then one update of filter fi, from the textbook formulas.
func kalmanReference(c kalmanCase, k kalmanFilters, fi int) (x, p *mat.Dense, ok bool) {
	nx, nz := c.nx, c.nz
	m := 0
	if c.perFilter {
		m = fi
	}
	x = mat.NewDense(nx, 1, append([]float64(nil), k.x[fi*nx:(fi+1)*nx]...))
	p = mat.NewDense(nx, nx, append([]float64(nil), k.p[fi*nx*nx:(fi+1)*nx*nx]...))
	f := mat.NewDense(nx, nx, k.f[m*nx*nx:(m+1)*nx*nx])
	q := mat.NewDense(nx, nx, k.q[m*nx*nx:(m+1)*nx*nx])
	h := mat.NewDense(nz, nx, k.h[m*nz*nx:(m+1)*nz*nx])
	r := mat.NewDense(nz, nz, k.r[m*nz*nz:(m+1)*nz*nz])
	z := mat.NewDense(nz, 1, k.z[fi*nz:(fi+1)*nz])

	x.Mul(f, x)
	var fp mat.Dense
	fp.Mul(f, p)
	p.Mul(&fp, f.T())
	p.Add(p, q)

	var s, hp, ph, kg, y, hx mat.Dense
	hp.Mul(h, p)
	s.Mul(&hp, h.T())
	s.Add(&s, r)
	var sInv mat.Dense
	if err := sInv.Inverse(&s); err != nil {
		return nil, nil, false
	}
	var chol mat.Cholesky
	if !chol.Factorize(mat.NewSymDense(nz, symmetrized(&s))) {
		return nil, nil, false
	}
	ph.Mul(p, h.T())
	kg.Mul(&ph, &sInv)
	hx.Mul(h, x)
	y.Sub(z, &hx)
	var ky mat.Dense
	ky.Mul(&kg, &y)
	x.Add(x, &ky)
	ikh := mat.NewDense(nx, nx, nil)
	ikh.Mul(&kg, h)
	ikh.Scale(-1, ikh)
	for i := range nx {
		ikh.Set(i, i, ikh.At(i, i)+1)
	}
	var t1, t2, kr, krk mat.Dense
	t1.Mul(ikh, p)
	t2.Mul(&t1, ikh.T())
	kr.Mul(&kg, r)
	krk.Mul(&kr, kg.T())
	p.Add(&t2, &krk)
	return x, p, true
}

func symmetrized(a *mat.Dense) []float64 {
	n, _ := a.Dims()
	out := make([]float64, n*n)
	for i := range n {
		for j := range n {
			out[i*n+j] = 0.5 * (a.At(i, j) + a.At(j, i))
		}
	}
	return out
}

func runKalmanCase(t *testing.T, b backend.Backend, rng *rand.Rand, c kalmanCase) {
	ctx := context.Background()
	k := makeKalmanFilters(rng, c)
	roundTo(c.dtype, k.x, k.p, k.f, k.q, k.h, k.r, k.z)
	up := func(v []float64) backend.Buffer { return uploadAs(t, b, c.dtype, v) }
	model := func(s []float64) []float64 {
		if c.perFilter {
			return kalman.ToBatchInner(s, c.filters)
		}
		return s
	}
	shared := !c.perFilter
	step := backend.Kalman{
		Filters: c.filters, NX: c.nx, NZ: c.nz,
		X: up(kalman.ToBatchInner(k.x, c.filters)), P: up(kalman.ToBatchInner(k.p, c.filters)),
		F: up(model(k.f)), Q: up(model(k.q)), SharedF: shared, SharedQ: shared,
	}
	if err := b.Kalman(ctx, step); err != nil {
		t.Fatal(err)
	}
	predictedX, predictedP := downloadAs(t, b, c.dtype, step.X), downloadAs(t, b, c.dtype, step.P)
	step.Update = true
	step.H, step.R, step.SharedH, step.SharedR = up(model(k.h)), up(model(k.r)), shared, shared
	step.Z = up(kalman.ToBatchInner(k.z, c.filters))
	step.Status = alloc(t, b, backend.Int32, c.filters)
	if err := b.Kalman(ctx, step); err != nil {
		t.Fatal(err)
	}
	get := func(buf backend.Buffer) []float64 { return downloadAs(t, b, c.dtype, buf) }
	xs, ps := get(step.X), get(step.P)
	status := download[int32](t, b, step.Status)
	nx, nf := c.nx, c.filters
	for fi := range nf {
		t.Run(fmt.Sprintf("filter %d", fi), func(t *testing.T) {
			at := func(i, j int) float64 { return ps[(i*nx+j)*nf+fi] }
			if fi == c.badFilter {
				if status[fi] != backend.KalmanNotPD {
					t.Fatalf("status %d for an indefinite S, want %d", status[fi], backend.KalmanNotPD)
				}
				// Left as predicted: the same values (a predicted P is exactly symmetric).
				for e := range nx * nx {
					i := e*nf + fi
					if ps[i] != predictedP[i] {
						t.Fatalf("P element %d of the failed filter changed from %v to %v", e, predictedP[i], ps[i])
					}
					if e < nx && xs[i] != predictedX[i] {
						t.Fatalf("x[%d] of the failed filter changed from %v to %v", e, predictedX[i], xs[i])
					}
				}
				return
			}
			if status[fi] != backend.KalmanOK {
				t.Fatalf("status %d", status[fi])
			}
			wantX, wantP, ok := kalmanReference(c, k, fi)
			if !ok {
				t.Fatal("the reference found S singular")
			}
			norm := mat.Norm(wantP, math.Inf(1))
			tol := c.tolerance * max(1, norm)
			for i := range nx {
				if d := math.Abs(xs[i*nf+fi] - wantX.At(i, 0)); d > c.tolerance*max(1, math.Abs(wantX.At(i, 0))) {
					t.Errorf("x[%d] = %.12g, want %.12g", i, xs[i*nf+fi], wantX.At(i, 0))
				}
				for j := range nx {
					if at(i, j) != at(j, i) {
						t.Fatalf("P[%d][%d] = %g but P[%d][%d] = %g: not exactly symmetric", i, j, at(i, j), j, i, at(j, i))
					}
					if d := math.Abs(at(i, j) - wantP.At(i, j)); d > tol {
						t.Errorf("P[%d][%d] = %.12g, want %.12g", i, j, at(i, j), wantP.At(i, j))
					}
				}
			}
			checkPSD(t, "P", nx, at, 1e-10, 0)
		})
	}
}

func testKalmanErrors(t *testing.T, b backend.Backend) {
	ctx := context.Background()
	ok := backend.Kalman{
		Filters: 3, NX: 2, NZ: 1, Update: true,
		X: alloc(t, b, backend.Float32, 6), P: alloc(t, b, backend.Float32, 12),
		H: alloc(t, b, backend.Float32, 2), R: alloc(t, b, backend.Float32, 1), Z: alloc(t, b, backend.Float32, 3),
		SharedH: true, SharedR: true, Status: alloc(t, b, backend.Int32, 3),
	}
	mutate := func(f func(*backend.Kalman)) backend.Kalman { k := ok; f(&k); return k }
	cases := []struct {
		name string
		k    backend.Kalman
		want string
	}{
		{"nx 17", mutate(func(k *backend.Kalman) { k.NX = 17 }), "state dimension 17, want 1..16"},
		{"nz 9", mutate(func(k *backend.Kalman) { k.NZ = 9 }), "measurement dimension 9, want 1..8"},
		{"per-filter H too short", mutate(func(k *backend.Kalman) { k.SharedH = false }), "H is 2 float32 values, want 6"},
		{"float64 z", mutate(func(k *backend.Kalman) { k.Z = alloc(t, b, backend.Float64, 3) }), "z is 3 float64 values, want 3 float32"},
		{"no status", mutate(func(k *backend.Kalman) { k.Status = nil }), "status must be 3 int32"},
		{"predict without F", mutate(func(k *backend.Kalman) { k.Update = false }), "F is missing"},
	}
	for _, c := range cases {
		if err := b.Kalman(ctx, c.k); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}
