package gpme

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/conserve"
)

// Config sets up the experiment. DefaultConfig has the paper's sizes.
type Config struct {
	Seed uint64
	// ContextT × ContextX noisy observations of u, at stratified random times and positions.
	ContextT, ContextX int
	// NoiseStd is the observation noise's standard deviation.
	NoiseStd float64
	// GridT × GridX is the evaluation grid; every time slice is updated.
	GridT, GridX int
	// Samples drawn from each predictive distribution at t* to locate the front.
	Samples int
	// ConstraintNoiseVar is ProbConserv's σ²; 0 imposes the mass exactly.
	ConstraintNoiseVar float64
}

// DefaultConfig is the paper's set-up: 10 × 10 context points, a 201 × 201 grid.
func DefaultConfig() Config {
	return Config{Seed: 1, ContextT: 10, ContextX: 10, NoiseStd: 0.01, GridT: 201, GridX: 201, Samples: 2000}
}

// Metrics score a predictive distribution N(μ, Σ) against the exact solution u at t*:
//
//	MSE = mean over the grid of (μᵢ − uᵢ)²
//	CE  = Σᵢ wᵢμᵢ − U(t*), with the trapezoid weights w
//	LL  = mean over the grid of log N(uᵢ; μᵢ, Σᵢᵢ), each variance floored at VarFloor
type Metrics struct {
	MSE float64 `json:"mse"`
	CE  float64 `json:"ce"`
	LL  float64 `json:"ll"`
}

// VarFloor keeps LL finite where the update leaves a variance at (or clamped to) zero.
const VarFloor = 1e-12

// Shock compares the front position of samples from the predictive distributions with the
// exact one. A sample's front is its first zero crossing, interpolated linearly between
// grid points (X1 if it stays positive).
type Shock struct {
	True       float64 `json:"true"`
	Mean       float64 `json:"mean"`
	Std        float64 `json:"std"`
	MeanBefore float64 `json:"mean_before"`
	StdBefore  float64 `json:"std_before"`
	Samples    int     `json:"samples"`
	// Jitter is the multiple of the mean variance added to Σ's diagonal so that its Cholesky
	// factor exists: Σ̃ is singular by construction when the mass is imposed exactly.
	Jitter       float64 `json:"jitter"`
	JitterBefore float64 `json:"jitter_before"`
	// Fronts are the sample fronts, before and after the update.
	Fronts, FrontsBefore []float64 `json:"-"`
}

// Report is the experiment's result.
type Report struct {
	Problem string  `json:"problem"`
	Param   float64 `json:"param"`
	TStar   float64 `json:"t_star"`
	Seed    uint64  `json:"seed"`
	Before  Metrics `json:"before"`
	After   Metrics `json:"after"`
	Shock   *Shock  `json:"shock,omitempty"`
	GP      Hyper   `json:"gp"`
	// MaxAbsCE is the largest |CE| after the update over every time slice.
	MaxAbsCE float64 `json:"max_abs_ce_after"`
	// Profile holds the slice at t* for plotting.
	Profile Profile `json:"-"`
}

// Profile is the exact solution and both predictive distributions' marginals at t*.
type Profile struct {
	X, Exact, MeanBefore, VarBefore, MeanAfter, VarAfter []float64
}

func (c *Config) check() error {
	switch {
	case c.ContextT < 2 || c.ContextX < 2:
		return fmt.Errorf("gpme: %d × %d context points, want ≥ 2 × 2", c.ContextT, c.ContextX)
	case !(c.NoiseStd >= 0) || math.IsInf(c.NoiseStd, 0):
		return fmt.Errorf("gpme: observation noise %v, want a finite value ≥ 0", c.NoiseStd)
	case c.GridT < 2 || c.GridX < 2:
		return fmt.Errorf("gpme: a %d × %d grid, want ≥ 2 × 2", c.GridT, c.GridX)
	case c.Samples < 2:
		return fmt.Errorf("gpme: %d samples, want ≥ 2", c.Samples)
	case !(c.ConstraintNoiseVar >= 0) || math.IsInf(c.ConstraintNoiseVar, 0):
		return fmt.Errorf("gpme: constraint noise variance %v, want a finite value ≥ 0", c.ConstraintNoiseVar)
	}
	return nil
}

// Run fits the GP to noisy context points of p, predicts every slice of the grid, imposes
// the mass U(t) on each slice with ProbConserv's update on b, and scores both predictions
// at p.TStar. progress, if not nil, hears each stage as it starts.
func Run(ctx context.Context, b backend.Backend, p *Problem, cfg Config, progress func(stage string)) (*Report, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	say := func(format string, args ...any) {
		if progress != nil {
			progress(fmt.Sprintf(format, args...))
		}
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))
	ct, cx, cy := p.context(rng, cfg)
	say("fitting a GP to %d noisy context points", len(cy))
	gp, err := FitGP(ctx, ct, cx, cy)
	if err != nil {
		return nil, err
	}
	ts, xs := floats.Span(make([]float64, cfg.GridT), p.T0, p.T1), floats.Span(make([]float64, cfg.GridX), p.X0, p.X1)
	nt, n := len(ts), len(xs)
	say("predicting %d slices of %d points with full covariance", nt, n)
	prob := conserve.Problem[float64]{
		Slices: nt, N: n, Constraints: 1, NoiseVar: cfg.ConstraintNoiseVar,
		Mean: make([]float64, nt*n), Cov: make([]float64, nt*n*n), RHS: make([]float64, nt),
	}
	for s, t := range ts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		mu, cov := gp.PredictSlice(t, xs)
		copy(prob.Mean[s*n:], mu)
		copy(prob.Cov[s*n*n:], cov)
		prob.RHS[s] = p.Mass(t)
	}
	if prob.G, err = conserve.TrapezoidWeights(xs); err != nil {
		return nil, err
	}
	say("imposing the mass on %d slices on %s", nt, b.Name())
	out, err := conserve.Update(ctx, b, prob, conserve.Want{Var: true, Cov: true})
	if err != nil {
		return nil, fmt.Errorf("gpme: %s: %w", p.Name, err)
	}

	star := nearest(ts, p.TStar)
	rep := &Report{Problem: p.Name, Param: p.Param, TStar: ts[star], Seed: cfg.Seed, GP: gp.Hyper}
	for s, t := range ts {
		rep.MaxAbsCE = math.Max(rep.MaxAbsCE, math.Abs(floats.Dot(prob.G, out.Mean[s*n:(s+1)*n])-p.Mass(t)))
	}
	pr := &rep.Profile
	pr.X = xs
	pr.Exact = make([]float64, n)
	for i, x := range xs {
		pr.Exact[i] = p.U(ts[star], x)
	}
	pr.MeanBefore, pr.MeanAfter = prob.Mean[star*n:(star+1)*n], out.Mean[star*n:(star+1)*n]
	pr.VarBefore, pr.VarAfter = diagonal(prob.Cov[star*n*n:], n), out.Var[star*n:(star+1)*n]
	mass := p.Mass(ts[star])
	rep.Before = score(pr.Exact, pr.MeanBefore, pr.VarBefore, prob.G, mass)
	rep.After = score(pr.Exact, pr.MeanAfter, pr.VarAfter, prob.G, mass)

	if front, ok := p.Shock(ts[star]); ok {
		say("drawing %d samples before and after to locate the front", cfg.Samples)
		sh := &Shock{True: front, Samples: cfg.Samples}
		if sh.FrontsBefore, sh.JitterBefore, err = sampleFronts(rng, pr.MeanBefore, prob.Cov[star*n*n:(star+1)*n*n], xs, cfg.Samples); err != nil {
			return nil, fmt.Errorf("gpme: sample the prediction: %w", err)
		}
		if sh.Fronts, sh.Jitter, err = sampleFronts(rng, pr.MeanAfter, out.Cov[star*n*n:(star+1)*n*n], xs, cfg.Samples); err != nil {
			return nil, fmt.Errorf("gpme: sample the updated prediction: %w", err)
		}
		sh.MeanBefore, sh.StdBefore = stat.MeanStdDev(sh.FrontsBefore, nil)
		sh.Mean, sh.Std = stat.MeanStdDev(sh.Fronts, nil)
		rep.Shock = sh
	}
	return rep, nil
}

// context observes u with Gaussian noise on the product of ContextT times and ContextX
// positions, each stratified: one drawn uniformly in each of as many equal bins, so that
// the design covers the domain (and the boundary layers) as a grid would, without its
// aliasing.
func (p *Problem) context(rng *rand.Rand, cfg Config) (t, x, y []float64) {
	stratified := func(lo, hi float64, n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = lo + (float64(i)+rng.Float64())/float64(n)*(hi-lo)
		}
		return v
	}
	times, positions := stratified(p.T0, p.T1, cfg.ContextT), stratified(p.X0, p.X1, cfg.ContextX)
	for _, ti := range times {
		for _, xi := range positions {
			t, x = append(t, ti), append(x, xi)
			y = append(y, p.U(ti, xi)+cfg.NoiseStd*rng.NormFloat64())
		}
	}
	return t, x, y
}

func score(exact, mean, variance, w []float64, mass float64) Metrics {
	var m Metrics
	n := float64(len(exact))
	for i, u := range exact {
		d := mean[i] - u
		v := math.Max(variance[i], VarFloor)
		m.MSE += d * d / n
		m.LL += -0.5 * (math.Log(2*math.Pi*v) + d*d/v) / n
	}
	m.CE = floats.Dot(w, mean) - mass
	return m
}

// sampleFronts draws count samples from N(mean, cov) through the Cholesky factor of
// cov + jitter·mean(diag)·I, with the smallest jitter from 1e-12 up in decades that makes
// the factor exist, and returns each sample's front.
func sampleFronts(rng *rand.Rand, mean, cov, xs []float64, count int) (fronts []float64, jitter float64, err error) {
	n := len(mean)
	avg := 0.0
	for i := range n {
		avg += cov[i*n+i] / float64(n)
	}
	var chol mat.Cholesky
	for jitter = 1e-12; ; jitter *= 10 {
		if jitter > 1e-2 {
			return nil, 0, fmt.Errorf("the covariance is not positive semi-definite: no jitter up to 1e-2 of its mean variance %g gives a Cholesky factor", avg)
		}
		s := mat.NewSymDense(n, append([]float64(nil), cov...))
		for i := range n {
			s.SetSym(i, i, s.At(i, i)+jitter*avg)
		}
		if chol.Factorize(s) {
			break
		}
	}
	var l mat.TriDense
	chol.LTo(&l)
	z, u := mat.NewVecDense(n, nil), mat.NewVecDense(n, nil)
	fronts = make([]float64, count)
	for k := range fronts {
		for i := range n {
			z.SetVec(i, rng.NormFloat64())
		}
		u.MulVec(&l, z)
		u.AddVec(u, mat.NewVecDense(n, mean))
		fronts[k] = firstZero(xs, u.RawVector().Data)
	}
	return fronts, jitter, nil
}

// firstZero is the first x where u reaches 0, interpolated between grid points; the last
// grid point if u stays positive.
func firstZero(xs, u []float64) float64 {
	if u[0] <= 0 {
		return xs[0]
	}
	for i := 1; i < len(u); i++ {
		if u[i] <= 0 {
			return xs[i-1] + (xs[i]-xs[i-1])*u[i-1]/(u[i-1]-u[i])
		}
	}
	return xs[len(xs)-1]
}

func nearest(v []float64, x float64) int {
	best := 0
	for i := range v {
		if math.Abs(v[i]-x) < math.Abs(v[best]-x) {
			best = i
		}
	}
	return best
}

func diagonal(m []float64, n int) []float64 {
	d := make([]float64, n)
	for i := range d {
		d[i] = m[i*n+i]
	}
	return d
}
