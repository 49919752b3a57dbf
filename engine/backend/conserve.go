package backend

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// CovForm is how the covariance of a ProbConserv slice is given.
type CovForm int32

// The kernels see these as FC_COV_*.
//
//fc:c FC_COV_ Cov
const (
	// CovDiagonal: n variances per slice (Conserve.Var).
	CovDiagonal CovForm = 0
	// CovFull: an n×n matrix per slice (Conserve.Cov), symmetrized as it is read.
	CovFull CovForm = 1
	// CovEnsemble: the n×M deviations U of M members from their mean (Conserve.Ensemble),
	// Σ = UUᵀ/(M−1), plus Var as an extra diagonal when given.
	CovEnsemble CovForm = 2
)

func (f CovForm) String() string {
	switch f {
	case CovDiagonal:
		return "diagonal"
	case CovFull:
		return "full"
	case CovEnsemble:
		return "ensemble"
	}
	return fmt.Sprintf("CovForm(%d)", int32(f))
}

// Per-slice outcomes of a Conserve call, in its Status buffer (FC_CONSERVE_*).
//
//fc:c FC_CONSERVE_ Conserve
const (
	ConserveOK = 0
	// ConserveNotPD: A = σ²I + GΣGᵀ is not positive definite to working precision.
	ConserveNotPD = 1
	// ConserveNoiseNotPD: the noise the ensemble transform whitens by, σ²I + GDGᵀ, is
	// singular but not zero.
	ConserveNoiseNotPD = 2
)

// Conserve is ProbConserv's constrained update (Hansen et al., ICML 2023) of a batch of
// independent slices, each a Gaussian N(μ, Σ) over N points, by Constraints linear rows
// G·u = b observed with noise variance NoiseVar (0: exact):
//
//	A = σ²I + GΣGᵀ,  μ̃ = μ − ΣGᵀA⁻¹(Gμ − b),  Σ̃ = Σ − ΣGᵀA⁻¹GΣ
//
// computed in float64 whatever the storage type, with A solved by Cholesky (see
// kernels/include/fc_conserve.h for the algorithm and its costs). Every array buffer has the
// same dtype, Float32 or Float64, and is row-major: Mean, Var, OutMean and OutVar [Slices, N];
// Cov and OutCov [Slices, N, N]; Ensemble and OutEnsemble [Slices, N, Members]; G [Constraints,
// N] when SharedG, else [Slices, Constraints, N]; RHS [Constraints] when SharedRHS, else
// [Slices, Constraints]. OutVar (marginal variances), OutCov (the full Σ̃, exactly symmetric)
// and OutEnsemble (a square-root transform of U, ensemble form only) are optional; negative
// variances from rounding are clamped to 0. Status (Int32, [Slices]) receives each slice's
// outcome, ConserveOK or why it failed; a failed slice's outputs are left as they were.
// Outputs must not overlap inputs.
type Conserve struct {
	Slices, N, Constraints, Members int
	Form                            CovForm
	NoiseVar                        float64

	Mean, Var, Cov, Ensemble Buffer
	G, RHS                   Buffer
	SharedG, SharedRHS       bool

	OutMean, OutVar, OutCov, OutEnsemble Buffer
	Status                               Buffer
}

// DType is the storage type of the call's arrays (Mean's).
func (c Conserve) DType() DType {
	if c.Mean == nil {
		return 0
	}
	return c.Mean.DType()
}

// Validate checks the extents, buffers and options of c, naming the first problem.
func (c Conserve) Validate() error {
	if c.Slices <= 0 || c.N <= 0 || c.Constraints <= 0 || c.Slices > maxInt32Extent || c.N > maxInt32Extent ||
		c.Constraints > maxInt32Extent {
		return fmt.Errorf("conserve: %d slices of %d points with %d constraints: each must be 1..2³¹−1", c.Slices, c.N, c.Constraints)
	}
	if c.NoiseVar < 0 || math.IsNaN(c.NoiseVar) || math.IsInf(c.NoiseVar, 0) {
		return fmt.Errorf("conserve: constraint noise variance %v, want a finite value ≥ 0", c.NoiseVar)
	}
	dt := c.DType()
	if dt != Float32 && dt != Float64 {
		return fmt.Errorf("conserve: mean is %v, want float32 or float64", dt)
	}
	b, n, m := c.Slices, c.N, c.Constraints
	gLen, rhsLen := b*m*n, b*m
	if c.SharedG {
		gLen = m * n
	}
	if c.SharedRHS {
		rhsLen = m
	}
	type operand struct {
		name     string
		buf      Buffer
		want     int
		required bool
	}
	ops := []operand{
		{"mean", c.Mean, b * n, true}, {"G", c.G, gLen, true}, {"rhs", c.RHS, rhsLen, true},
		{"output mean", c.OutMean, b * n, true}, {"output variances", c.OutVar, b * n, false},
		{"output covariance", c.OutCov, b * n * n, false},
	}
	switch c.Form {
	case CovDiagonal:
		ops = append(ops, operand{"variances", c.Var, b * n, true})
	case CovFull:
		ops = append(ops, operand{"covariance", c.Cov, b * n * n, true})
		if c.Var != nil {
			return errors.New("conserve: variances are the diagonal form's input or an ensemble's extra diagonal, not given with a full covariance")
		}
	case CovEnsemble:
		if c.Members < 2 {
			return fmt.Errorf("conserve: an ensemble of %d members, want ≥ 2 (Σ = UUᵀ/(M−1))", c.Members)
		}
		ops = append(ops, operand{"ensemble", c.Ensemble, b * n * c.Members, true},
			operand{"extra variances", c.Var, b * n, false}, operand{"output ensemble", c.OutEnsemble, b * n * c.Members, false})
	default:
		return fmt.Errorf("conserve: unknown covariance form %v", c.Form)
	}
	if c.Form != CovEnsemble && c.OutEnsemble != nil {
		return fmt.Errorf("conserve: an output ensemble needs ensemble input, this is %v", c.Form)
	}
	for _, op := range ops {
		if op.buf == nil {
			if op.required {
				return fmt.Errorf("conserve: %s is missing", op.name)
			}
			continue
		}
		if op.buf.DType() != dt || op.buf.Len() != op.want {
			return fmt.Errorf("conserve: %s is %d %s values, want %d %s", op.name, op.buf.Len(), op.buf.DType(), op.want, dt)
		}
	}
	if c.Status == nil || c.Status.DType() != Int32 || c.Status.Len() != b {
		return fmt.Errorf("conserve: status must be %d int32 values, one per slice", b)
	}
	inputs := []Buffer{c.Mean, c.Var, c.Cov, c.Ensemble, c.G, c.RHS}
	outputs := []Buffer{c.OutMean, c.OutVar, c.OutCov, c.OutEnsemble, c.Status}
	for i, out := range outputs {
		if out == nil {
			continue
		}
		for _, in := range inputs {
			if in == out {
				return errors.New("conserve: an output aliases an input")
			}
		}
		for _, other := range outputs[i+1:] {
			if other == out {
				return errors.New("conserve: two outputs share a buffer")
			}
		}
	}
	return nil
}

// Covariance is the set of covariance-update operations.
type Covariance interface {
	// Conserve applies ProbConserv's update to a batch of slices (see Conserve).
	Conserve(ctx context.Context, c Conserve) error
	// Kalman runs one predict or update step of a batch of small filters (see Kalman).
	Kalman(ctx context.Context, k Kalman) error
}
