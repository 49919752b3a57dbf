// Package conserve applies ProbConserv's conservation constraints (Hansen et al., "Learning
// physical models that can respect conservation laws", ICML 2023) to the predictions of a
// probabilistic model: given a mean μ and covariance Σ per slice and linear constraints
// G·u = b (for example, a trapezoid integral equal to the mass the boundary fluxes allow),
// Update returns
//
//	μ̃ = μ − ΣGᵀA⁻¹(Gμ − b),  Σ̃ = Σ − ΣGᵀA⁻¹GΣ,  A = σ²I + GΣGᵀ
//
// on any backend. The arithmetic is float64 whatever the storage type, and A is solved by
// Cholesky; kernels/include/fc_conserve.h has the algorithm.
package conserve

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/internal/finite"
)

// Float is a storage type the update accepts.
type Float interface{ float32 | float64 }

// Problem is a batch of Slices independent slices of N points. Exactly one of Var (diagonal
// Σ), Cov (full Σ) or Ensemble (deviations U, Σ = UUᵀ/(M−1)) gives the covariance; with an
// ensemble, Var may add a diagonal D. All arrays are row-major:
//
//	Mean, Var  [Slices, N]
//	Cov        [Slices, N, N]
//	Ensemble   [Slices, N, Members]
//	G          [Constraints, N] (shared by every slice) or [Slices, Constraints, N]
//	RHS        [Constraints] (shared) or [Slices, Constraints]
type Problem[T Float] struct {
	Slices, N, Constraints, Members int

	Mean, Var, Cov, Ensemble []T
	G, RHS                   []T
	// NoiseVar is the constraint noise variance σ² ≥ 0; 0 imposes the constraints exactly.
	NoiseVar float64
}

// Want selects the outputs beyond the mean.
type Want struct {
	// Var: the marginal variances diag(Σ̃), O(N) per slice for diagonal input.
	Var bool
	// Cov: the full Σ̃, exactly symmetric.
	Cov bool
	// Ensemble: the updated deviations Ũ = U·T (ensemble input only), a deterministic
	// square-root transform whose sample covariance is Σ̃ when no extra diagonal is given
	// and whose members keep a zero mean.
	Ensemble bool
}

// Result holds the requested outputs, shaped like the corresponding inputs.
type Result[T Float] struct {
	Mean, Var, Cov, Ensemble []T
}

// Form is the covariance form p gives.
func (p *Problem[T]) Form() (backend.CovForm, error) {
	switch {
	case p.Cov != nil && p.Ensemble == nil && p.Var == nil:
		return backend.CovFull, nil
	case p.Ensemble != nil && p.Cov == nil:
		return backend.CovEnsemble, nil
	case p.Var != nil && p.Cov == nil && p.Ensemble == nil:
		return backend.CovDiagonal, nil
	}
	return 0, errors.New("conserve: give the covariance as exactly one of variances, a full covariance, or an ensemble (with optional variances)")
}

// Update applies the constraints to every slice of p on b.
func Update[T Float](ctx context.Context, b backend.Backend, p Problem[T], want Want) (*Result[T], error) {
	form, err := p.Form()
	if err != nil {
		return nil, err
	}
	sharedG, sharedRHS, err := p.check(ctx, form, want)
	if err != nil {
		return nil, err
	}
	op := backend.Conserve{
		Slices: p.Slices, N: p.N, Constraints: p.Constraints, Members: p.Members, Form: form, NoiseVar: p.NoiseVar,
		SharedG: sharedG, SharedRHS: sharedRHS,
	}
	var bufs []backend.Buffer
	defer func() { backend.FreeAll(b, bufs...) }()
	place := func(dst *backend.Buffer, host []T) {
		if err != nil || host == nil {
			return
		}
		if *dst, err = backend.FromHost(ctx, b, host); err == nil {
			bufs = append(bufs, *dst)
		}
	}
	dt := backend.DTypeOf[T]()
	alloc := func(dst *backend.Buffer, dtype backend.DType, n int, wanted bool) {
		if err != nil || !wanted {
			return
		}
		if *dst, err = b.Alloc(dtype, n); err == nil {
			bufs = append(bufs, *dst)
		}
	}
	place(&op.Mean, p.Mean)
	place(&op.Var, p.Var)
	place(&op.Cov, p.Cov)
	place(&op.Ensemble, p.Ensemble)
	place(&op.G, p.G)
	place(&op.RHS, p.RHS)
	bn := p.Slices * p.N
	alloc(&op.OutMean, dt, bn, true)
	alloc(&op.OutVar, dt, bn, want.Var)
	alloc(&op.OutCov, dt, bn*p.N, want.Cov)
	alloc(&op.OutEnsemble, dt, bn*p.Members, want.Ensemble)
	alloc(&op.Status, backend.Int32, p.Slices, true)
	if err != nil {
		return nil, fmt.Errorf("conserve: place the batch on %s: %w", b.Name(), err)
	}
	if err := b.Conserve(ctx, op); err != nil {
		return nil, err
	}
	status := make([]int32, p.Slices)
	if err := backend.Download(ctx, b, status, op.Status); err != nil {
		return nil, fmt.Errorf("conserve: %w", err)
	}
	for s, st := range status {
		if err := statusError(st, s, form, p.NoiseVar); err != nil {
			return nil, err
		}
	}
	res := &Result[T]{}
	for _, out := range []struct {
		dst *[]T
		buf backend.Buffer
	}{{&res.Mean, op.OutMean}, {&res.Var, op.OutVar}, {&res.Cov, op.OutCov}, {&res.Ensemble, op.OutEnsemble}} {
		if out.buf == nil {
			continue
		}
		*out.dst = make([]T, out.buf.Len())
		if err := backend.Download(ctx, b, *out.dst, out.buf); err != nil {
			return nil, fmt.Errorf("conserve: %w", err)
		}
	}
	if err := p.checkResidual(res.Mean, sharedG, sharedRHS); err != nil {
		return nil, err
	}
	return res, nil
}

// checkResidual verifies the updated means against the constraints, which costs one pass
// over G: with σ² = 0 the residual Gμ̃ − b must vanish to rounding, and with σ² > 0 it is
// σ²A⁻¹(Gμ − b), no longer than Gμ − b since A ⪰ σ²I. A factorization that took a singular
// A for a positive definite one fails this, and a failed check is an error, not an output.
func (p *Problem[T]) checkResidual(mean []T, sharedG, sharedRHS bool) error {
	tol := 1e-9
	if _, f32 := any(T(0)).(float32); f32 {
		tol = 1e-4
	}
	n, m := p.N, p.Constraints
	for s := range p.Slices {
		g, rhs := p.G, p.RHS
		if !sharedG {
			g = g[s*m*n : (s+1)*m*n]
		}
		if !sharedRHS {
			rhs = rhs[s*m : (s+1)*m]
		}
		before, after, scale := 0.0, 0.0, 0.0
		for i := range m {
			var r0, r1, sc float64
			for j := range n {
				gij := float64(g[i*n+j])
				r0 += gij * float64(p.Mean[s*n+j])
				r1 += gij * float64(mean[s*n+j])
				sc += math.Abs(gij) * (math.Abs(float64(mean[s*n+j])) + math.Abs(float64(p.Mean[s*n+j])))
			}
			b := float64(rhs[i])
			r0, r1, sc = r0-b, r1-b, sc+math.Abs(b)
			before, after, scale = before+r0*r0, after+r1*r1, scale+sc*sc
		}
		allowed := tol * math.Sqrt(scale)
		if p.NoiseVar > 0 {
			allowed += math.Sqrt(before)
		}
		if !(math.Sqrt(after) <= allowed) {
			return fmt.Errorf("conserve: slice %d: the updated mean misses the constraints by |Gμ̃ − b| = %.3g, more than the %.3g rounding allows: "+
				"A = σ²I + GΣGᵀ is singular to working precision (add noise with --noise-var, or drop dependent constraints)",
				s, math.Sqrt(after), allowed)
		}
	}
	return nil
}

func statusError(st int32, slice int, form backend.CovForm, noiseVar float64) error {
	switch st {
	case backend.ConserveOK:
		return nil
	case backend.ConserveNotPD:
		hint := ""
		if noiseVar == 0 {
			hint = " (with σ² = 0, constraint rows that are linearly dependent, or that only touch points of zero variance, make it singular)"
		}
		return fmt.Errorf("conserve: slice %d: A = σ²I + GΣGᵀ is not positive definite%s", slice, hint)
	case backend.ConserveNoiseNotPD:
		return fmt.Errorf("conserve: slice %d: the ensemble transform needs σ²I + GDGᵀ positive definite or zero; it is singular (σ² = %g)", slice, noiseVar)
	}
	return fmt.Errorf("conserve: slice %d: unknown status %d from the %v update", slice, st, form)
}

// check validates p's extents and values, and says whether G and RHS are shared.
func (p *Problem[T]) check(ctx context.Context, form backend.CovForm, want Want) (sharedG, sharedRHS bool, err error) {
	b, n, m := p.Slices, p.N, p.Constraints
	if b < 1 || n < 1 || m < 1 {
		return false, false, fmt.Errorf("conserve: %d slices of %d points with %d constraints: each must be ≥ 1", b, n, m)
	}
	if err := CheckNoiseVar(p.NoiseVar); err != nil {
		return false, false, err
	}
	if want.Ensemble && form != backend.CovEnsemble {
		return false, false, fmt.Errorf("conserve: an updated ensemble needs ensemble input, this covariance is %v", form)
	}
	if form == backend.CovEnsemble && p.Members < 2 {
		return false, false, fmt.Errorf("conserve: an ensemble of %d members, want ≥ 2", p.Members)
	}
	switch len(p.G) {
	case m * n:
		sharedG = true
	case b * m * n:
	default:
		return false, false, fmt.Errorf("conserve: G has %d values, want [%d, %d] = %d (shared) or [%d, %d, %d] = %d", len(p.G), m, n, m*n, b, m, n, b*m*n)
	}
	switch len(p.RHS) {
	case m:
		sharedRHS = true
	case b * m:
	default:
		return false, false, fmt.Errorf("conserve: the right-hand side has %d values, want [%d] (shared) or [%d, %d] = %d", len(p.RHS), m, b, m, b*m)
	}
	if p.Mean == nil {
		return false, false, errors.New("conserve: the mean is missing")
	}
	arrays := []struct {
		name     string
		data     []T
		shape    []int
		perSlice bool
	}{
		{"mean", p.Mean, []int{b, n}, true}, {"variances", p.Var, []int{b, n}, true},
		{"covariance", p.Cov, []int{b, n, n}, true}, {"ensemble", p.Ensemble, []int{b, n, p.Members}, true},
		{"G", p.G, sliceShape(sharedG, b, m, n), !sharedG}, {"right-hand side", p.RHS, sliceShape(sharedRHS, b, m), !sharedRHS},
	}
	for _, a := range arrays {
		if a.data == nil {
			continue
		}
		if want := product(a.shape); len(a.data) != want {
			return false, false, fmt.Errorf("conserve: %s has %d values, want %v = %d", a.name, len(a.data), a.shape, want)
		}
		if err := checkFinite(ctx, a.name, a.data, a.shape, a.perSlice); err != nil {
			return false, false, err
		}
	}
	for i, v := range p.Var {
		if i%(1<<16) == 0 && ctx.Err() != nil {
			return false, false, ctx.Err()
		}
		if v < 0 {
			return false, false, fmt.Errorf("conserve: slice %d: variance[%d] is %v, want ≥ 0", i/n, i%n, v)
		}
	}
	return sharedG, sharedRHS, nil
}

// CheckNoiseVar is an error unless σ², the constraint noise variance, is finite and ≥ 0.
func CheckNoiseVar(v float64) error {
	if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("conserve: constraint noise variance %v, want a finite value ≥ 0", v)
	}
	return nil
}

func sliceShape(shared bool, b int, dims ...int) []int {
	if shared {
		return dims
	}
	return append([]int{b}, dims...)
}

// checkFinite rejects NaN and Inf, naming the slice (when the first axis is the batch) and
// the index within it.
func checkFinite[T Float](ctx context.Context, name string, data []T, shape []int, perSlice bool) error {
	i, err := finite.First(ctx, data)
	if err != nil || i < 0 {
		return err
	}
	idx := unravel(i, shape)
	if perSlice {
		return fmt.Errorf("conserve: slice %d: %s%v is %v", idx[0], name, idx[1:], data[i])
	}
	return fmt.Errorf("conserve: %s%v (shared by every slice) is %v", name, idx, data[i])
}

func unravel(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for a := len(shape) - 1; a >= 0; a-- {
		idx[a] = i % shape[a]
		i /= shape[a]
	}
	return idx
}

func product(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}
