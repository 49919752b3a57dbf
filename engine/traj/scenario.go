// Package traj is fluxcore's local planner in the style of Amazon Astro's: it samples smooth,
// jerk-limited candidate trajectories, rolls them out, and scores each with one continuous
// cost in which progress along a guidance path is weighed by the probability of not having
// collided with Gaussian obstacle predictions. The formulas live in kernels/include/fc_traj.h.
//
// A Scenario is the planner's input, read from JSON by ParseScenario, which rejects unknown
// fields and names the JSON path of every value it refuses.
package traj

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/fluxcore/fluxcore/engine/limits"
)

// Scenario is one planning problem. Units are SI and named in the JSON keys; angles are
// radians, counter-clockwise from the x axis.
type Scenario struct {
	Robot     Robot      `json:"robot"`
	Horizon   Horizon    `json:"horizon"`
	Map       *CostMap   `json:"map,omitempty"`
	Guidance  Guidance   `json:"guidance"`
	Obstacles []Obstacle `json:"obstacles,omitempty"`
	Caution   *Caution   `json:"caution,omitempty"`
	Weights   *Weights   `json:"weights,omitempty"`
	// LatencyS is the time from the state's measurement to the command taking effect; the
	// planner then plans from the state predicted for that moment (Planner.Plan).
	LatencyS float64 `json:"latency_s,omitempty"`
}

// MaxLatencyS bounds Scenario.LatencyS.
const MaxLatencyS = 1.0

// Caution is the speed people expect of a robot beside them: within DistanceM (edge to
// edge) of an obstacle's predicted position, speed above SpeedMps costs
// Weights.Caution·(|v| − SpeedMps)² per second. Obstacles are moving agents, people
// mostly; a static object belongs in the map, where caution does not apply. A DistanceM of
// 0 turns it off; a scenario without "caution" takes DefaultCaution.
type Caution struct {
	SpeedMps  float64 `json:"speed_mps"`
	DistanceM float64 `json:"distance_m"`
}

// DefaultCaution: at most 0.4 m/s within 0.5 m of a person.
var DefaultCaution = Caution{SpeedMps: 0.4, DistanceM: 0.5}

// Robot is the footprint, the limits and the current state.
type Robot struct {
	Footprint Footprint `json:"footprint"`
	Limits    Limits    `json:"limits"`
	State     State     `json:"state"`
	// PositionCovarianceM2 is the robot's own position uncertainty, added to every
	// obstacle's covariance; nil for none.
	PositionCovarianceM2 *Cov2 `json:"position_covariance_m2,omitempty"`
}

// Footprint is a disk, or a rectangle covered by Circles equal circles along its length.
type Footprint struct {
	RadiusM   float64    `json:"radius_m,omitempty"`
	Rectangle *Rectangle `json:"rectangle,omitempty"`
}

// Rectangle is a footprint centred on the robot's reference point, length along its heading.
type Rectangle struct {
	LengthM float64 `json:"length_m"`
	WidthM  float64 `json:"width_m"`
	Circles int     `json:"circles"`
}

// Limits bound the rolled-out motion. VMinMps may be negative to allow reversing. The wheel
// limit |v| + |ω|·b/2 ≤ WheelSpeedMaxMps applies when WheelSpeedMaxMps > 0, with the track
// width b.
type Limits struct {
	VMinMps              float64 `json:"v_min_mps"`
	VMaxMps              float64 `json:"v_max_mps"`
	OmegaMaxRadps        float64 `json:"omega_max_radps"`
	AccelMaxMps2         float64 `json:"accel_max_mps2"`
	AlphaMaxRadps2       float64 `json:"alpha_max_radps2"`
	JerkMaxMps3          float64 `json:"jerk_max_mps3"`
	AngularJerkMaxRadps3 float64 `json:"angular_jerk_max_radps3"`
	WheelSpeedMaxMps     float64 `json:"wheel_speed_max_mps,omitempty"`
	TrackWidthM          float64 `json:"track_width_m,omitempty"`
}

// State is a pose with its velocities and accelerations.
type State struct {
	XM          float64 `json:"x_m"`
	YM          float64 `json:"y_m"`
	ThetaRad    float64 `json:"theta_rad"`
	VMps        float64 `json:"v_mps"`
	OmegaRadps  float64 `json:"omega_radps"`
	AccelMps2   float64 `json:"accel_mps2"`
	AlphaRadps2 float64 `json:"alpha_radps2"`
}

// Horizon is the planning window, DurationS long in steps of DtS (defaults 3 s and 0.1 s).
type Horizon struct {
	DurationS float64 `json:"duration_s"`
	DtS       float64 `json:"dt_s"`
}

// Steps is the number of rollout steps.
func (h Horizon) Steps() int { return int(math.Round(h.DurationS / h.DtS)) }

// CostMap is an occupancy/cost grid of Width × Height cells of ResolutionM, row-major from
// its lower-left corner at OriginM (default: centred on the robot). Values are in [0, 1];
// a cell ≥ 1 is lethal.
type CostMap struct {
	ResolutionM float64     `json:"resolution_m,omitempty"`
	Width       int         `json:"width,omitempty"`
	Height      int         `json:"height,omitempty"`
	OriginM     *[2]float64 `json:"origin_m,omitempty"`
	Cost        []float64   `json:"cost"`
}

// Guidance is the global path (followed loosely, not tracked) and the goal pose.
type Guidance struct {
	Path [][2]float64 `json:"path"`
	Goal Goal         `json:"goal"`
}

// Goal is the pose the robot is heading for. Within ToleranceM of it the planner stops and
// holds (Mode ModeHold), and drives again only once the robot is more than ResumeM away; 0
// takes DefaultGoalToleranceM, and ResumeM 2·ToleranceM (DefaultGoalResumeM by default).
type Goal struct {
	XM         float64 `json:"x_m"`
	YM         float64 `json:"y_m"`
	ThetaRad   float64 `json:"theta_rad"`
	ToleranceM float64 `json:"tolerance_m,omitempty"`
	ResumeM    float64 `json:"resume_m,omitempty"`
}

// Cov2 is a 2×2 covariance [[xx, xy], [xy, yy]] in m² (or m²/s for a growth rate).
type Cov2 [2][2]float64

// Obstacle is a predicted track: per-step means and covariances (Track, one entry per
// rollout step, the first at t = dt), or a constant-velocity model.
type Obstacle struct {
	RadiusM          float64           `json:"radius_m"`
	Track            []TrackPoint      `json:"track,omitempty"`
	ConstantVelocity *ConstantVelocity `json:"constant_velocity,omitempty"`
}

// TrackPoint is an obstacle's predicted position at one step.
type TrackPoint struct {
	MeanM        [2]float64 `json:"mean_m"`
	CovarianceM2 Cov2       `json:"covariance_m2"`
}

// ConstantVelocity predicts mean(t) = PositionM + t·VelocityMps and
// Σ(t) = CovarianceM2 + t·GrowthM2ps.
type ConstantVelocity struct {
	PositionM    [2]float64 `json:"position_m"`
	VelocityMps  [2]float64 `json:"velocity_mps"`
	CovarianceM2 Cov2       `json:"covariance_m2"`
	GrowthM2ps   Cov2       `json:"growth_m2ps"`
}

// Weights of the cost terms (see the README's cost section); a field the JSON leaves out
// keeps its DefaultWeights value.
type Weights struct {
	Progress   float64 `json:"progress"`
	Smoothness float64 `json:"smoothness"`
	PathDist   float64 `json:"path_distance"`
	Goal       float64 `json:"goal"`
	Heading    float64 `json:"heading"`
	Forward    float64 `json:"forward"`
	Map        float64 `json:"map"`
	Collision  float64 `json:"collision"`
	Caution    float64 `json:"caution"`
}

// DefaultWeights balance one metre of survival-weighted progress against the other terms: a
// certain collision within the horizon costs as much as 5 m of progress.
// Caution's weight makes passing a person at 1.2 m/s for a second cost as much as 64 m of
// progress, and 0.1 m/s over the caution speed for a second as much as 1 m: nearly a limit,
// yet soft, so that a robot pulling away from a person may speed up a little early.
var DefaultWeights = Weights{Progress: 1, Smoothness: 0.01, PathDist: 0.5, Goal: 1, Heading: 0.2, Forward: 0.5, Map: 1,
	Collision: 5, Caution: 100}

// Defaults of the horizon and the local map.
const (
	DefaultDurationS   = 3.0
	DefaultDtS         = 0.1
	DefaultMapSizeM    = 6.0
	DefaultResolutionM = 0.05
	// The goal's arrival tolerance and the distance that ends holding there.
	DefaultGoalToleranceM = 0.25
	DefaultGoalResumeM    = 0.5
)

// Tolerances are the goal's arrival tolerance and resume distance with the defaults filled in.
func (g Goal) Tolerances() (toleranceM, resumeM float64) {
	toleranceM, resumeM = g.ToleranceM, g.ResumeM
	if toleranceM == 0 {
		toleranceM = DefaultGoalToleranceM
	}
	if resumeM == 0 {
		resumeM = 2 * toleranceM
	}
	return toleranceM, resumeM
}

// LoadScenario reads and validates the scenario in the JSON file path.
func LoadScenario(path string) (*Scenario, error) {
	raw, err := limits.ReadSmallFile(path, limits.MaxJSONBytes)
	if err != nil {
		return nil, fmt.Errorf("traj: %w", err)
	}
	s, err := ParseScenario(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("traj: %s: %w", path, err)
	}
	return s, nil
}

// ParseScenario decodes a scenario, fills the defaults and validates it. Unknown fields and
// trailing data are errors; a bad value is an error naming its JSON path and the constraint.
func ParseScenario(r io.Reader) (*Scenario, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	// Decoding over the defaults keeps every field the JSON leaves out, and lets a weight be
	// set to zero.
	w := DefaultWeights
	s := Scenario{Horizon: Horizon{DurationS: DefaultDurationS, DtS: DefaultDtS}, Weights: &w}
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	if dec.More() {
		return nil, errors.New("scenario: data after the JSON object")
	}
	s.fillDefaults()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

func (s *Scenario) fillDefaults() {
	if m := s.Map; m != nil {
		if m.ResolutionM == 0 {
			m.ResolutionM = DefaultResolutionM
		}
		if m.Width == 0 && m.Height == 0 {
			cells := int(math.Round(DefaultMapSizeM / m.ResolutionM))
			m.Width, m.Height = cells, cells
		}
		if m.OriginM == nil {
			st := s.Robot.State
			m.OriginM = &[2]float64{st.XM - float64(m.Width)*m.ResolutionM/2, st.YM - float64(m.Height)*m.ResolutionM/2}
		}
	}
	// Spelled out, so that the parsed scenario shows what it plans with.
	c, w := s.caution(), s.weights()
	s.Caution, s.Weights = &c, &w
}

// weights is s.Weights, or DefaultWeights where a scenario built in Go has none.
func (s *Scenario) weights() Weights {
	if s.Weights == nil {
		return DefaultWeights
	}
	return *s.Weights
}

// caution is s.Caution, or DefaultCaution where the scenario has none.
func (s *Scenario) caution() Caution {
	if s.Caution == nil {
		return DefaultCaution
	}
	return *s.Caution
}
