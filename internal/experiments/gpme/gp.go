package gpme

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
	"gonum.org/v1/gonum/stat"
)

// Hyper are a GP's hyper-parameters: the squared-exponential kernel
//
//	k((t, x), (t', x')) = SignalVar · exp(−(t − t')²/(2·LengthT²) − (x − x')²/(2·LengthX²))
//
// plus NoiseVar on the diagonal for the observations, and a constant prior Mean.
type Hyper struct {
	LengthT   float64 `json:"length_t"`
	LengthX   float64 `json:"length_x"`
	SignalVar float64 `json:"signal_var"`
	NoiseVar  float64 `json:"noise_var"`
	Mean      float64 `json:"mean"`
}

// GP is Gaussian-process regression on points (t, x), conditioned on context observations.
type GP struct {
	Hyper
	t, x  []float64
	chol  mat.Cholesky // of K + NoiseVar·I over the context points
	alpha []float64    // (K + NoiseVar·I)⁻¹(y − Mean)
}

func (h *Hyper) kernel(t1, x1, t2, x2 float64) float64 {
	dt, dx := (t1-t2)/h.LengthT, (x1-x2)/h.LengthX
	return h.SignalVar * math.Exp(-0.5*(dt*dt+dx*dx))
}

// condition factors the context covariance under h.
func condition(h Hyper, t, x, y []float64) (*GP, error) {
	n := len(t)
	k := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			v := h.kernel(t[i], x[i], t[j], x[j])
			if i == j {
				v += h.NoiseVar
			}
			k.SetSym(i, j, v)
		}
	}
	g := &GP{Hyper: h, t: t, x: x}
	if !g.chol.Factorize(k) {
		return nil, fmt.Errorf("gpme: the context covariance is not positive definite under %+v", h)
	}
	r := mat.NewVecDense(n, nil)
	for i, v := range y {
		r.SetVec(i, v-h.Mean)
	}
	var a mat.VecDense
	if err := g.chol.SolveVecTo(&a, r); err != nil {
		return nil, fmt.Errorf("gpme: solve for the context weights: %w", err)
	}
	g.alpha = a.RawVector().Data
	return g, nil
}

// negLogMarginal is −log p(y | h) = ½·rᵀ(K + σ²I)⁻¹r + ½·log det(K + σ²I) + (n/2)·log 2π.
func (g *GP) negLogMarginal(y []float64) float64 {
	fit := 0.0
	for i, v := range y {
		fit += (v - g.Mean) * g.alpha[i]
	}
	return 0.5*fit + 0.5*g.chol.LogDet() + 0.5*float64(len(y))*math.Log(2*math.Pi)
}

// FitGP conditions a GP on the observations y at (t, x), choosing its hyper-parameters by
// maximum marginal likelihood. The prior mean is the observations' average; the length
// scales, signal and noise variances are searched in log space by Nelder–Mead from a start
// scaled to the data's extent (gradients would save evaluations, but a 100-point fit
// costs milliseconds), inside a box that keeps the kernel matrix well defined.
func FitGP(ctx context.Context, t, x, y []float64) (*GP, error) {
	n := len(y)
	if n < 2 || len(t) != n || len(x) != n {
		return nil, fmt.Errorf("gpme: %d times, %d positions and %d observations, want ≥ 2 of each, as many", len(t), len(x), n)
	}
	mean, spread := stat.PopMeanVariance(y, nil)
	spread = math.Max(spread, 1e-12)
	rangeT, rangeX := floats.Max(t)-floats.Min(t), floats.Max(x)-floats.Min(x)
	if rangeT == 0 || rangeX == 0 {
		return nil, errors.New("gpme: the context points must vary in both t and x")
	}
	// log of (LengthT, LengthX, SignalVar, NoiseVar), and the box each must stay in.
	start := []float64{math.Log(rangeT / 3), math.Log(rangeX / 3), math.Log(spread), math.Log(spread * 1e-2)}
	lo := []float64{math.Log(rangeT * 1e-3), math.Log(rangeX * 1e-3), math.Log(spread * 1e-4), math.Log(spread * 1e-10)}
	hi := []float64{math.Log(rangeT * 1e2), math.Log(rangeX * 1e2), math.Log(spread * 1e4), math.Log(spread)}
	hyper := func(p []float64) Hyper {
		return Hyper{LengthT: math.Exp(p[0]), LengthX: math.Exp(p[1]), SignalVar: math.Exp(p[2]), NoiseVar: math.Exp(p[3]), Mean: mean}
	}
	const outside = 1e300 // Nelder–Mead treats it as the worst value and retreats
	objective := func(p []float64) float64 {
		for i := range p {
			if p[i] < lo[i] || p[i] > hi[i] {
				return outside
			}
		}
		g, err := condition(hyper(p), t, x, y)
		if err != nil {
			return outside
		}
		return g.negLogMarginal(y)
	}
	settings := &optimize.Settings{FuncEvaluations: 4000, Converger: &optimize.FunctionConverge{Absolute: 1e-9, Iterations: 200}}
	res, err := optimize.Minimize(optimize.Problem{Func: objective}, start, settings, &optimize.NelderMead{})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err != nil && res == nil {
		return nil, fmt.Errorf("gpme: fit the GP's hyper-parameters: %w", err)
	}
	if res.F >= outside {
		return nil, errors.New("gpme: fit the GP's hyper-parameters: no start point gave a positive definite kernel")
	}
	return condition(hyper(res.X), t, x, y)
}

// PredictSlice is the posterior of the latent u at (t, xs): the mean, and the full
// covariance row-major [len(xs), len(xs)], exactly symmetric.
func (g *GP) PredictSlice(t float64, xs []float64) (mean, cov []float64) {
	nc, n := len(g.t), len(xs)
	v := blas64.General{Rows: nc, Cols: n, Stride: n, Data: make([]float64, nc*n)}
	mean = make([]float64, n)
	for j, xj := range xs {
		m := g.Mean
		for i := range nc {
			kij := g.kernel(g.t[i], g.x[i], t, xj)
			v.Data[i*n+j] = kij
			m += kij * g.alpha[i]
		}
		mean[j] = m
	}
	// Σ = K** − VᵀV with V = L⁻¹K*, so the subtraction is one symmetric rank-nc update.
	var l mat.TriDense
	g.chol.LTo(&l)
	blas64.Trsm(blas.Left, blas.NoTrans, 1, l.RawTriangular(), v)
	c := blas64.Symmetric{Uplo: blas.Upper, N: n, Stride: n, Data: make([]float64, n*n)}
	for i := range n {
		for j := i; j < n; j++ {
			c.Data[i*n+j] = g.kernel(t, xs[i], t, xs[j])
		}
	}
	blas64.Syrk(blas.Trans, -1, v, 1, c)
	for i := range n {
		for j := range i {
			c.Data[i*n+j] = c.Data[j*n+i]
		}
	}
	return mean, c.Data
}
