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
	// TrajScore rolls out and scores a batch of candidate trajectories (see TrajScore).
	TrajScore(ctx context.Context, s TrajScore) error
}

// Indices of TrajScore's parameter array, the kernel's FC_TP_* (engine/cpu checks that they
// agree).
const (
	TrajParamSteps = iota
	TrajParamSegments
	TrajParamDt
	TrajParamVMin
	TrajParamVMax
	TrajParamOmegaMax
	TrajParamAccelMax
	TrajParamAlphaMax
	TrajParamJerkMax
	TrajParamAngularJerkMax
	TrajParamX0
	TrajParamY0
	TrajParamTheta0
	TrajParamV0
	TrajParamOmega0
	TrajParamAccel0
	TrajParamAlpha0
	TrajParamObstacles
	TrajParamFast
	TrajParamPathPoints
	TrajParamGoalX
	TrajParamGoalY
	TrajParamGoalTheta
	TrajParamMapWidth
	TrajParamMapHeight
	TrajParamMapX0
	TrajParamMapY0
	TrajParamMapResolution
	TrajParamWeightProgress
	TrajParamWeightPath
	TrajParamWeightSmooth
	TrajParamWeightGoal
	TrajParamWeightHeading
	TrajParamWeightForward
	TrajParamWeightMap
	TrajParamWeightCollision
	TrajParamCircles
	// TrajParamCircle0 starts (offset along the heading, radius) per footprint circle.
	TrajParamCircle0
)

// Extents of TrajScore's arrays.
const (
	TrajMaxCircles  = 8
	TrajParamCount  = TrajParamCircle0 + 2*TrajMaxCircles
	TrajTerms       = 9 // progress, path, smoothness, goal, heading, forward, map, collision; the collision probability
	TrajStateValues = 7 // x, y, θ, v, ω, a, α
	TrajTrackValues = 6 // μx, μy, Σxx, Σxy, Σyy, obstacle radius
)

// TrajScore rolls out and scores N candidate trajectories (kernels/include/fc_traj_score.h
// has the rollout and the cost). Params is the scalar input (TrajParam* indices), placed on
// the backend by the call. The arrays, all float32 but Feasible (Int32):
//
//	Controls  [2·Segments, N]            jerk fractions in [−1, 1], linear segments first
//	Tracks    [Obstacles, Steps, 6]      per-step obstacle Gaussians (nil with no obstacles)
//	Path      [PathPoints, 2]            the guidance polyline, ≥ 2 points
//	Map       [MapHeight, MapWidth]      cost in [0, 1] (nil when MapWidth is 0)
//	Total     [N]                        the cost
//	Feasible  [N]                        1, or 0 where a footprint circle met a lethal cell
//	Terms     [9, N]                     the weighted terms and the collision probability (optional)
//	States    [N, Steps, 7]              the rolled-out states (optional)
type TrajScore struct {
	N, Steps, Segments, Obstacles, PathPoints, MapWidth, MapHeight int

	Params                         []float32
	Controls, Tracks, Path, Map    Buffer
	Total, Feasible, Terms, States Buffer
}

// Validate checks the extents and buffers of s, naming the first problem.
func (s TrajScore) Validate() error {
	switch {
	case s.N <= 0 || s.N > maxInt32Extent:
		return fmt.Errorf("trajectory score: %d candidates, want 1..%d", s.N, maxInt32Extent)
	case s.Steps < 1 || s.Segments < 1 || s.Segments > s.Steps:
		return fmt.Errorf("trajectory score: %d steps in %d segments, want 1 ≤ segments ≤ steps", s.Steps, s.Segments)
	case s.PathPoints < 2:
		return fmt.Errorf("trajectory score: a path of %d points, want ≥ 2", s.PathPoints)
	case s.Obstacles < 0 || s.MapWidth < 0 || s.MapHeight < 0:
		return fmt.Errorf("trajectory score: %d obstacles, a %d × %d map", s.Obstacles, s.MapWidth, s.MapHeight)
	case len(s.Params) != TrajParamCount:
		return fmt.Errorf("trajectory score: %d parameters, want %d", len(s.Params), TrajParamCount)
	}
	for _, p := range []struct {
		name string
		at   int
		want int
	}{{"steps", TrajParamSteps, s.Steps}, {"segments", TrajParamSegments, s.Segments}, {"obstacles", TrajParamObstacles, s.Obstacles},
		{"path points", TrajParamPathPoints, s.PathPoints}, {"map width", TrajParamMapWidth, s.MapWidth},
		{"map height", TrajParamMapHeight, s.MapHeight}} {
		if s.Params[p.at] != float32(p.want) {
			return fmt.Errorf("trajectory score: the parameters say %v %s, the call %d", s.Params[p.at], p.name, p.want)
		}
	}
	if c := s.Params[TrajParamCircles]; c < 1 || c > TrajMaxCircles {
		return fmt.Errorf("trajectory score: %v footprint circles, want 1..%d", c, TrajMaxCircles)
	}
	operands := []struct {
		name     string
		buf      Buffer
		dt       DType
		want     int
		optional bool
	}{
		{"controls", s.Controls, Float32, 2 * s.Segments * s.N, false},
		{"tracks", s.Tracks, Float32, s.Obstacles * s.Steps * TrajTrackValues, s.Obstacles == 0},
		{"path", s.Path, Float32, 2 * s.PathPoints, false},
		{"map", s.Map, Float32, s.MapWidth * s.MapHeight, s.MapWidth == 0},
		{"total", s.Total, Float32, s.N, false},
		{"feasible", s.Feasible, Int32, s.N, false},
		{"terms", s.Terms, Float32, TrajTerms * s.N, true},
		{"states", s.States, Float32, s.N * s.Steps * TrajStateValues, true},
	}
	for _, op := range operands {
		if op.buf == nil && op.optional {
			continue
		}
		if op.buf == nil || op.buf.DType() != op.dt || op.buf.Len() != op.want {
			return fmt.Errorf("trajectory score: %s must be %d %v values", op.name, op.want, op.dt)
		}
	}
	return nil
}
