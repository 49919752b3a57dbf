package backend

import (
	"context"
	"errors"
	"fmt"
)

// CollisionForm selects how a collision probability is evaluated (kernels/include/fc_traj.h).
type CollisionForm int32

const (
	// CollisionAccurate integrates over the disk's chords by 16-point Gauss–Legendre along
	// the covariance's smaller principal axis: within 3e-4 of the exact integral for
	// standard deviations from R/20 to 5R.
	CollisionAccurate CollisionForm = 0
	// CollisionFast replaces the disk by the equal-area square in the principal axes: four
	// normal CDFs, within 0.07 when both standard deviations are ≥ R/4 and 0.33 when ≥ R/10.
	CollisionFast CollisionForm = 1
)

func (f CollisionForm) String() string {
	switch f {
	case CollisionAccurate:
		return "accurate"
	case CollisionFast:
		return "fast"
	}
	return fmt.Sprintf("CollisionForm(%d)", int32(f))
}

// CollisionProbRow is the number of float32 arrays in CollisionProb's input.
const CollisionProbRow = 6

// CollisionProb evaluates, for N cases, the probability that a Gaussian obstacle centre
// N(μ, Σ) lies within Radius of a point p:
//
//	P = ∫_{‖x − p‖ ≤ R} N(x; μ, Σ) dx
//
// In is [6, N] float32, six arrays of N values (dx, dy, Σxx, Σxy, Σyy, R), with (dx, dy) =
// p − μ in metres, Σ symmetric positive semi-definite in m² and R > 0; Out is [N] float32.
type CollisionProb struct {
	N       int
	In, Out Buffer
	Form    CollisionForm
}

// Validate checks the extents and buffers of c.
func (c CollisionProb) Validate() error {
	if c.N <= 0 || c.N > maxInt32Extent {
		return fmt.Errorf("collision probability: %d cases, want 1..%d", c.N, maxInt32Extent)
	}
	if c.Form != CollisionAccurate && c.Form != CollisionFast {
		return fmt.Errorf("collision probability: unknown form %v", c.Form)
	}
	for _, op := range []struct {
		name string
		buf  Buffer
		want int
	}{{"input", c.In, c.N * CollisionProbRow}, {"output", c.Out, c.N}} {
		if op.buf == nil || op.buf.DType() != Float32 || op.buf.Len() != op.want {
			return fmt.Errorf("collision probability: the %s must be %d float32 values", op.name, op.want)
		}
	}
	if c.In == c.Out {
		return errors.New("collision probability: the output aliases the input")
	}
	return nil
}

// Planning is the set of batched operations of the local planner (engine/traj).
type Planning interface {
	// CollisionProb evaluates Gaussian collision probabilities (see CollisionProb).
	CollisionProb(ctx context.Context, c CollisionProb) error
}
