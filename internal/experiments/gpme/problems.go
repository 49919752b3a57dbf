// Package gpme holds the three Generalized Porous Medium Equation problems of ProbConserv
// (Hansen et al., ICML 2023, section 4.1), u_t = ∇·(k(u)∇u) in one space dimension, each
// with its exact solution u(t, x) and the mass U(t) = ∫u dx that its boundary fluxes allow,
// and the paper's end-to-end experiment: a Gaussian-process model fitted to noisy context
// points, updated slice by slice so that the trapezoid mass equals U(t).
package gpme

import (
	"fmt"
	"math"
)

// Problem is one GPME instance on the rectangle [T0, T1] × [X0, X1].
type Problem struct {
	// Name is diffusion, pme or stefan.
	Name string
	// Param is the problem's parameter: the diffusivity k (diffusion), the exponent m (PME),
	// or the phase-change value p* (Stefan).
	Param          float64
	T0, T1, X0, X1 float64
	// TStar is the time the paper reports its metrics at.
	TStar float64

	u     func(t, x float64) float64
	mass  func(t float64) float64
	shock func(t float64) float64 // nil where the solution has no front
}

// U is the exact solution at (t, x).
func (p *Problem) U(t, x float64) float64 { return p.u(t, x) }

// Mass is U(t), the integral of u over [X0, X1] that conservation imposes at time t.
func (p *Problem) Mass(t float64) float64 { return p.mass(t) }

// Shock is the position of the solution's front at t (where u first reaches 0), and
// whether the problem has one.
func (p *Problem) Shock(t float64) (float64, bool) {
	if p.shock == nil {
		return 0, false
	}
	return p.shock(t), true
}

// New builds the named problem with parameter param.
func New(name string, param float64) (*Problem, error) {
	if math.IsNaN(param) || math.IsInf(param, 0) {
		return nil, fmt.Errorf("gpme: %s: parameter %v, want a finite value", name, param)
	}
	switch name {
	case "diffusion":
		return Diffusion(param)
	case "pme":
		return PME(param)
	case "stefan":
		return Stefan(param)
	}
	return nil, fmt.Errorf("gpme: unknown problem %q, want diffusion, pme or stefan", name)
}

// Diffusion is the heat equation with constant k > 0 on x ∈ [0, 2π], t ∈ [0, 1], with
// periodic boundaries: u = e^{−kt}·sin x, whose mass stays 0.
func Diffusion(k float64) (*Problem, error) {
	if !(k > 0) {
		return nil, fmt.Errorf("gpme: diffusion: k = %v, want > 0", k)
	}
	return &Problem{
		Name: "diffusion", Param: k, T0: 0, T1: 1, X0: 0, X1: 2 * math.Pi, TStar: 0.5,
		u:    func(t, x float64) float64 { return math.Exp(-k*t) * math.Sin(x) },
		mass: func(float64) float64 { return 0 },
	}, nil
}

// PME is the porous medium equation, k(u) = u^m with m > 0, on x, t ∈ [0, 1]: the
// degenerate diffusion keeps a sharp front at x = t behind which
// u = (m·(t − x))^{1/m}. Its mass U(t) = m^{1+1/m}·t^{1+1/m}/(m + 1) enters through x = 0.
func PME(m float64) (*Problem, error) {
	if !(m > 0) {
		return nil, fmt.Errorf("gpme: pme: m = %v, want > 0", m)
	}
	return &Problem{
		Name: "pme", Param: m, T0: 0, T1: 1, X0: 0, X1: 1, TStar: 0.5,
		u: func(t, x float64) float64 {
			if x >= t {
				return 0
			}
			return math.Pow(m*(t-x), 1/m)
		},
		mass:  func(t float64) float64 { return math.Pow(m, 1+1/m) * math.Pow(t, 1+1/m) / (m + 1) },
		shock: func(t float64) float64 { return t },
	}, nil
}

// Stefan is the one-phase Stefan problem, k(u) = 1 where u ≥ p* and 0 below, with
// 0 < p* < 1, on x ∈ [0, 1], t ∈ [0, 0.1]: u = 1 − c₁·erf(x/(2√t)) up to the front
// x = α√t, where u jumps from p* to 0. See StefanConstants for α and c₁.
func Stefan(pStar float64) (*Problem, error) {
	if !(pStar > 0 && pStar < 1) {
		return nil, fmt.Errorf("gpme: stefan: p* = %v, want 0 < p* < 1", pStar)
	}
	alpha, c1 := StefanConstants(pStar)
	return &Problem{
		Name: "stefan", Param: pStar, T0: 0, T1: 0.1, X0: 0, X1: 1, TStar: 0.05,
		u: func(t, x float64) float64 {
			switch {
			case t <= 0: // the initial condition: u = 1 at the boundary, 0 inside
				if x <= 0 {
					return 1
				}
				return 0
			case x > alpha*math.Sqrt(t):
				return 0
			}
			return 1 - c1*math.Erf(x/(2*math.Sqrt(t)))
		},
		mass:  func(t float64) float64 { return 2 * c1 * math.Sqrt(t/math.Pi) },
		shock: func(t float64) float64 { return alpha * math.Sqrt(t) },
	}, nil
}

// StefanConstants are the front speed α = 2z₁, where z₁ solves
// p*·erf(z)·z·e^{z²} = (1 − p*)/√π, and c₁ = (1 − p*)/erf(α/2), which makes u = p* at the
// front. The left side grows from 0 without bound, so bisection on a doubling bracket
// finds the one root to the last bit.
func StefanConstants(pStar float64) (alpha, c1 float64) {
	f := func(z float64) float64 {
		return pStar*math.Erf(z)*z*math.Exp(z*z) - (1-pStar)/math.SqrtPi
	}
	lo, hi := 0.0, 1.0
	for f(hi) < 0 {
		lo, hi = hi, 2*hi
	}
	for i := 0; i < 200 && hi-lo > 0; i++ {
		mid := lo + (hi-lo)/2
		if mid == lo || mid == hi {
			break
		}
		if f(mid) < 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	z1 := lo + (hi-lo)/2
	alpha = 2 * z1
	return alpha, (1 - pStar) / math.Erf(z1)
}
