package gpme_test

import (
	"context"
	"math"
	"reflect"
	"testing"

	"github.com/fluxcore/fluxcore/engine/enginetest"
	"github.com/fluxcore/fluxcore/internal/experiments/gpme"
)

// The values the issue (and the paper's Stefan set-up) quote for p* = 0.6, and the
// defining equation's residual at the root.
func TestStefanConstants(t *testing.T) {
	alpha, c1 := gpme.StefanConstants(0.6)
	if math.Abs(alpha-1.0513) > 5e-5 || math.Abs(c1-0.7370) > 5e-5 {
		t.Errorf("p* = 0.6: α = %.6f, c₁ = %.6f, want ≈ 1.0513 and 0.7370", alpha, c1)
	}
	for _, p := range []float64{0.05, 0.3, 0.6, 0.95} {
		alpha, c1 := gpme.StefanConstants(p)
		z := alpha / 2
		if r := p*math.Erf(z)*z*math.Exp(z*z) - (1-p)/math.SqrtPi; math.Abs(r) > 1e-14 {
			t.Errorf("p* = %g: residual %g at z₁ = %g", p, r, z)
		}
		if front := 1 - c1*math.Erf(z); math.Abs(front-p) > 1e-14 {
			t.Errorf("p* = %g: u at the front is %g, want p*", p, front)
		}
	}
}

// Each exact solution satisfies its PDE u_t = (k(u)·u_x)_x by central differences, away
// from the front where the solution is not smooth.
func TestExactSolutionsSolveTheirPDE(t *testing.T) {
	cases := []struct {
		name  string
		param float64
		flux  func(u, ux float64) float64
	}{
		{"diffusion", 0.7, func(_, ux float64) float64 { return 0.7 * ux }},
		{"pme", 2, func(u, ux float64) float64 { return u * u * ux }},
		{"pme", 3, func(u, ux float64) float64 { return u * u * u * ux }},
		{"stefan", 0.6, func(_, ux float64) float64 { return ux }}, // k = 1 behind the front
	}
	for _, c := range cases {
		p, err := gpme.New(c.name, c.param)
		if err != nil {
			t.Fatal(err)
		}
		const h = 1e-4
		for _, ft := range []float64{0.3, 0.6, 0.9} {
			tt := p.T0 + ft*(p.T1-p.T0)
			front := p.X1
			if s, ok := p.Shock(tt); ok {
				front = s
			}
			for _, fx := range []float64{0.1, 0.4, 0.8} {
				x := p.X0 + fx*(front-p.X0)
				ut := (p.U(tt+h, x) - p.U(tt-h, x)) / (2 * h)
				fluxAt := func(x float64) float64 {
					return c.flux(p.U(tt, x), (p.U(tt, x+h/2)-p.U(tt, x-h/2))/h)
				}
				div := (fluxAt(x+h/2) - fluxAt(x-h/2)) / h
				if math.Abs(ut-div) > 1e-4*math.Max(1, math.Abs(ut)) {
					t.Errorf("%s(%g) at t = %g, x = %g: u_t = %g, (k u_x)_x = %g", c.name, c.param, tt, x, ut, div)
				}
			}
		}
	}
}

// U(t) is the integral of the exact solution: a fine trapezoid rule agrees to its own error
// (first order in h at Stefan's jump).
func TestMassIsTheIntegral(t *testing.T) {
	for _, c := range []struct {
		name  string
		param float64
	}{{"diffusion", 1}, {"pme", 1}, {"pme", 3}, {"stefan", 0.6}, {"stefan", 0.2}} {
		p, _ := gpme.New(c.name, c.param)
		const n = 200001
		h := (p.X1 - p.X0) / (n - 1)
		for _, ft := range []float64{0.25, 0.5, 1} {
			tt := p.T0 + ft*(p.T1-p.T0)
			sum := 0.0
			for i := range n {
				w := h
				if i == 0 || i == n-1 {
					w = h / 2
				}
				sum += w * p.U(tt, p.X0+float64(i)*h)
			}
			if got, want := sum, p.Mass(tt); math.Abs(got-want) > 2*h {
				t.Errorf("%s(%g) at t = %g: ∫u dx = %.8f, U(t) = %.8f", c.name, c.param, tt, got, want)
			}
		}
	}
}

func TestBadParameters(t *testing.T) {
	for _, c := range []struct {
		name  string
		param float64
	}{{"diffusion", 0}, {"diffusion", -1}, {"pme", 0}, {"stefan", 0}, {"stefan", 1}, {"stefan", math.NaN()}, {"heat", 1}} {
		if _, err := gpme.New(c.name, c.param); err == nil {
			t.Errorf("%s(%v) accepted", c.name, c.param)
		}
	}
}

// The experiment end to end on the CPU: the updated mean carries the exact mass in every
// slice, and a fixed seed gives the same report.
func TestRunImposesMass(t *testing.T) {
	b := enginetest.CPU(t)
	cfg := gpme.DefaultConfig()
	cfg.GridT, cfg.GridX, cfg.Samples = 41, 101, 400
	for _, c := range []struct {
		name  string
		param float64
	}{{"diffusion", 1}, {"pme", 3}, {"stefan", 0.6}} {
		p, _ := gpme.New(c.name, c.param)
		rep, err := gpme.Run(context.Background(), b, p, cfg, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		t.Logf("%s: before %+v after %+v max|CE| %.2g gp %+v", c.name, rep.Before, rep.After, rep.MaxAbsCE, rep.GP)
		if sh := rep.Shock; sh != nil {
			t.Logf("%s: front %.4f, before %.4f ± %.4f, after %.4f ± %.4f (jitter %g, %g)", c.name, sh.True, sh.MeanBefore, sh.StdBefore, sh.Mean, sh.Std, sh.JitterBefore, sh.Jitter)
		}
		if tol := 1e-9 * math.Max(1, math.Abs(p.Mass(rep.TStar))); math.Abs(rep.After.CE) > tol || rep.MaxAbsCE > 1e-9 {
			t.Errorf("%s: CE after = %g (max over slices %g), want ≤ %g", c.name, rep.After.CE, rep.MaxAbsCE, tol)
		}
		again, err := gpme.Run(context.Background(), b, p, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rep, again) {
			t.Errorf("%s: two runs with seed %d differ", c.name, cfg.Seed)
		}
	}
}
