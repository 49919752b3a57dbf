package backend

import (
	"context"
	"errors"
	"fmt"
	"math"
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
	// TrajSample writes a batch of candidate controls (see TrajSample).
	TrajSample(ctx context.Context, s TrajSample) error
	// TrajScore rolls out and scores a batch of candidate trajectories (see TrajScore).
	TrajScore(ctx context.Context, s TrajScore) error
	// TrajSelect finds the best candidates and gathers their controls (see TrajSelect).
	TrajSelect(ctx context.Context, s TrajSelect) error
}

// TrajLaneMultiple divides every candidate count and offset of TrajScore: the CPU's block
// of candidates (two AVX-512 vectors of floats, four AVX2), so that every block is full.
//
//fc:c FC_TRAJ_ Traj
const TrajLaneMultiple = 32

// TrajSample writes candidates First .. First+Count−1 of Controls ([2·Segments, N] float32
// jerk fractions, linear segments first) as kernels/include/fc_traj_score.h's
// fc_traj_sample_control does for sample index i = 0 .. Count−1: the first Extremes (at most
// TrajExtremes) are the fixed extreme manoeuvres; sample i ≥ Extremes takes row
// (i − Extremes) mod rows of Points ([rows, 2·Segments] float32 in [−1, 1]) as
// clamp(center + scale·point, −1, 1), with group 0's center and scale for the first Warm of
// them and group 1's for the rest. Groups holds center₀, scale₀, center₁ and scale₁,
// 2·Segments values each.
type TrajSample struct {
	N, First, Count, Segments int
	Extremes, Warm            int
	Groups                    []float32
	Points, Controls          Buffer
}

// TrajExtremes is the number of fixed extreme manoeuvres TrajSample can write.
//
//fc:c FC_TRAJ_ Traj
const TrajExtremes = 7

// Validate checks the extents and buffers of s.
func (s TrajSample) Validate() error {
	dims := 2 * s.Segments
	switch {
	case s.Segments < 1 || s.Segments > 64:
		return fmt.Errorf("trajectory sample: %d segments, want 1..64", s.Segments)
	case s.N <= 0 || s.N > maxInt32Extent || s.First < 0 || s.Count < 1 || s.First+s.Count > s.N:
		return fmt.Errorf("trajectory sample: candidates [%d, %d) of %d", s.First, s.First+s.Count, s.N)
	case s.Extremes < 0 || s.Extremes > TrajExtremes || s.Warm < 0:
		return fmt.Errorf("trajectory sample: %d extremes (want 0..%d) and %d warm samples", s.Extremes, TrajExtremes, s.Warm)
	case len(s.Groups) != 4*dims:
		return fmt.Errorf("trajectory sample: %d group values, want %d", len(s.Groups), 4*dims)
	case s.Points == nil || s.Points.DType() != Float32 || s.Points.Len() < dims || s.Points.Len()%dims != 0:
		return fmt.Errorf("trajectory sample: the points must be a positive multiple of %d float32 values", dims)
	case s.Controls == nil || s.Controls.DType() != Float32 || s.Controls.Len() != dims*s.N:
		return fmt.Errorf("trajectory sample: controls must be %d float32 values", dims*s.N)
	}
	for i, v := range s.Groups {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("trajectory sample: group value %d is %v", i, v)
		}
	}
	return nil
}

// TrajSelectMax bounds TrajSelect's K: one CUDA block sorts the selection in shared memory.
//
//fc:c FC_TRAJ_ Traj
const TrajSelectMax = 1024

// TrajSelect finds the K best of candidates [0, Count) of arrays of stride N — feasible
// before infeasible, then the lower total, then the lower index, so the choice is
// deterministic — and writes their indices, best first, to Index ([K] Int32). With Selected
// set it also gathers their controls from Controls ([2·Segments, N]) into Selected
// ([2·Segments, S] with S = Selected.Len()/(2·Segments) ≥ K); columns K .. S−1 repeat
// column K−1, so that Selected can be scored as it is with S padded to TrajLaneMultiple.
type TrajSelect struct {
	N, Count, K, Segments int

	Total, Feasible, Controls Buffer
	Index, Selected           Buffer
}

// Validate checks the extents and buffers of s.
func (s TrajSelect) Validate() error {
	dims := 2 * s.Segments
	switch {
	case s.N <= 0 || s.N > maxInt32Extent || s.Count < 1 || s.Count > s.N:
		return fmt.Errorf("trajectory select: %d candidates of %d", s.Count, s.N)
	case s.K < 1 || s.K > s.Count || s.K > TrajSelectMax:
		return fmt.Errorf("trajectory select: the best %d of %d candidates, want 1..min(%d, candidates)", s.K, s.Count, TrajSelectMax)
	case s.Total == nil || s.Total.DType() != Float32 || s.Total.Len() != s.N:
		return fmt.Errorf("trajectory select: total must be %d float32 values", s.N)
	case s.Feasible == nil || s.Feasible.DType() != Int32 || s.Feasible.Len() != s.N:
		return fmt.Errorf("trajectory select: feasible must be %d int32 values", s.N)
	case s.Index == nil || s.Index.DType() != Int32 || s.Index.Len() != s.K:
		return fmt.Errorf("trajectory select: index must be %d int32 values", s.K)
	}
	if s.Selected == nil {
		return nil
	}
	switch {
	case s.Segments < 1 || s.Segments > 64:
		return fmt.Errorf("trajectory select: %d segments, want 1..64", s.Segments)
	case s.Controls == nil || s.Controls.DType() != Float32 || s.Controls.Len() != dims*s.N:
		return fmt.Errorf("trajectory select: controls must be %d float32 values", dims*s.N)
	case s.Selected.DType() != Float32 || s.Selected.Len()%dims != 0 || s.Selected.Len() < dims*s.K:
		return fmt.Errorf("trajectory select: selected must be %d·S float32 values with S ≥ %d, not %d", dims, s.K, s.Selected.Len())
	case s.Selected == s.Controls:
		return errors.New("trajectory select: the selection aliases the controls")
	}
	return nil
}

// Indices of TrajScore's parameter array; the kernels see them as FC_TP_*.
//
//fc:c FC_TP_ TrajParam
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
	// TrajParamHold, when not 0, rolls every candidate out as a stop and hold instead of
	// its controls (fc_traj_hold_axis): the planner's settle behaviour at the goal.
	TrajParamHold
	// TrajParamCautionSpeed and TrajParamCautionDistance: within the distance (m, edge to
	// edge) of an obstacle's predicted mean, speed above the caution speed (m/s) costs
	// TrajParamWeightCaution·(|v| − speed)² per second.
	TrajParamCautionSpeed
	TrajParamCautionDistance
	TrajParamWeightCaution
	TrajParamCircles
	// TrajParamCircle0 starts (offset along the heading, radius) per footprint circle.
	TrajParamCircle0
)

// Rows of TrajScore's terms output ([TrajTerms, N]): the weighted cost terms, then the
// collision probability 1 − S_T, reported but not added. The kernels see them as FC_TT_*.
//
//fc:c FC_TT_ TrajTerm
const (
	TrajTermProgress = iota
	TrajTermPath
	TrajTermSmooth
	TrajTermGoal
	TrajTermHeading
	TrajTermForward
	TrajTermMap
	TrajTermCollision
	TrajTermCaution
	TrajTermProbability
)

// Extents of TrajScore's arrays (FC_TRAJ_*).
//
//fc:c FC_TRAJ_ Traj
const (
	TrajMaxCircles  = 8
	TrajParamCount  = TrajParamCircle0 + 2*TrajMaxCircles
	TrajTerms       = TrajTermProbability + 1
	TrajStateValues = 7 // x, y, θ, v, ω, a, α
	TrajTrackValues = 6 // μx, μy, Σxx, Σxy, Σyy, obstacle radius
)

// TrajScore rolls out and scores candidates [First, First+Count) of arrays of stride N
// (kernels/include/fc_traj_score.h has the rollout and the cost); a zero Count means up to
// N. N, First and Count are multiples of TrajLaneMultiple. Params is the scalar input
// (TrajParam* indices), placed on the backend by the call. The arrays, all float32 but
// Feasible (Int32):
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
	N, First, Count                                             int
	Steps, Segments, Obstacles, PathPoints, MapWidth, MapHeight int

	Params                         []float32
	Controls, Tracks, Path, Map    Buffer
	Total, Feasible, Terms, States Buffer
}

// Validate checks the extents and buffers of s, naming the first problem.
func (s TrajScore) Validate() error {
	switch {
	case s.N <= 0 || s.N > maxInt32Extent || s.N%TrajLaneMultiple != 0:
		return fmt.Errorf("trajectory score: %d candidates, want a multiple of %d up to %d", s.N, TrajLaneMultiple, maxInt32Extent)
	case s.First < 0 || s.Count < 0 || s.First+s.Count > s.N || s.First%TrajLaneMultiple != 0 || s.Count%TrajLaneMultiple != 0 ||
		(s.Count == 0 && s.First == s.N):
		return fmt.Errorf("trajectory score: candidates from %d, %d of them, of %d: want multiples of %d within the arrays",
			s.First, s.Count, s.N, TrajLaneMultiple)
	case s.Steps < 1 || s.Segments < 1:
		// Step k uses segment ⌊k·segments/steps⌋; with more segments than steps some go unused.
		return fmt.Errorf("trajectory score: %d steps in %d segments, want both ≥ 1", s.Steps, s.Segments)
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

// Span is the candidates [first, first+count) that s scores, a zero Count resolved.
func (s TrajScore) Span() (first, count int) {
	if s.Count == 0 {
		return s.First, s.N - s.First
	}
	return s.First, s.Count
}
