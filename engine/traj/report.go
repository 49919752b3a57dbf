package traj

import (
	"embed"
	"fmt"
	"math"
)

// The versions of the planner's JSON outputs. A change that removes or renames a field, or
// changes its meaning or unit, makes a new version; adding a field does not.
const (
	PlanSchema = "fluxcore.plan/v1"
	SimSchema  = "fluxcore.plan-sim/v1"
)

// schemaFiles are the JSON Schemas (draft 2020-12) of the scenario and of both outputs.
//
//go:embed schema/*.schema.json
var schemaFiles embed.FS

// JSONSchema is the JSON Schema of "scenario", "plan" (PlanSchema) or "plan-sim" (SimSchema).
func JSONSchema(name string) ([]byte, error) {
	raw, err := schemaFiles.ReadFile("schema/" + name + ".schema.json")
	if err != nil {
		return nil, fmt.Errorf("traj: no JSON Schema %q; there are scenario, plan and plan-sim", name)
	}
	return raw, nil
}

// StateReport is one instant of a trajectory in the reports, SI units.
type StateReport struct {
	TS          float64 `json:"t_s"`
	XM          float64 `json:"x_m"`
	YM          float64 `json:"y_m"`
	ThetaRad    float64 `json:"theta_rad"`
	VMps        float64 `json:"v_mps"`
	OmegaRadps  float64 `json:"omega_radps"`
	AccelMps2   float64 `json:"accel_mps2"`
	AlphaRadps2 float64 `json:"alpha_radps2"`
}

// CostsReport is a candidate's weighted cost terms (the README's cost section).
type CostsReport struct {
	Total                float64 `json:"total"`
	Progress             float64 `json:"progress"`
	PathDistance         float64 `json:"path_distance"`
	Smoothness           float64 `json:"smoothness"`
	Goal                 float64 `json:"goal"`
	Heading              float64 `json:"heading"`
	Reverse              float64 `json:"reverse"`
	Map                  float64 `json:"map"`
	Collision            float64 `json:"collision"`
	Caution              float64 `json:"caution"`
	CollisionProbability float64 `json:"collision_probability"`
	Feasible             bool    `json:"feasible"`
}

// CandidateReport is one of the top candidates: its index in the cycle, its controls (jerk
// fractions in [−1, 1] per segment) and its costs.
type CandidateReport struct {
	Index               int         `json:"index"`
	LinearJerkFraction  []float64   `json:"linear_jerk_fraction"`
	AngularJerkFraction []float64   `json:"angular_jerk_fraction"`
	Costs               CostsReport `json:"costs"`
}

// PlanReport is one planning cycle as `fluxcore plan --out` writes it (PlanSchema).
type PlanReport struct {
	Schema           string            `json:"schema"`
	Backend          string            `json:"backend"`
	CollisionForm    string            `json:"collision_form"`
	Mode             string            `json:"mode"`
	CandidatesScored int               `json:"candidates_scored"`
	StartS           float64           `json:"start_s"`
	BestTrajectory   []StateReport     `json:"best_trajectory"`
	BestCosts        CostsReport       `json:"best_costs"`
	Top              []CandidateReport `json:"top"`
	TimingsS         TimingsReport     `json:"timings_s"`
}

// TimingsReport is a cycle's stages in seconds.
type TimingsReport struct {
	Sample  float64 `json:"sample"`
	Score   float64 `json:"score"`
	Refine  float64 `json:"refine"`
	Select  float64 `json:"select"`
	Rollout float64 `json:"rollout"`
}

// Report is r in the PlanSchema layout, planned on backendName with cfg.
func (r *Result) Report(cfg Config, backendName string) PlanReport {
	rep := PlanReport{Schema: PlanSchema, Backend: backendName, CollisionForm: cfg.form().String(), Mode: r.Mode.String(),
		CandidatesScored: r.Scored, StartS: r.StartS, BestCosts: r.BestCosts.report(), Top: []CandidateReport{}}
	for _, p := range r.Best {
		rep.BestTrajectory = append(rep.BestTrajectory, p.report())
	}
	for _, c := range r.Top {
		segs := len(c.Controls) / 2
		rep.Top = append(rep.Top, CandidateReport{Index: c.Index, LinearJerkFraction: float64s(c.Controls[:segs]),
			AngularJerkFraction: float64s(c.Controls[segs:]), Costs: c.Costs.report()})
	}
	t := r.Timings
	rep.TimingsS = TimingsReport{Sample: t.Sample.Seconds(), Score: t.Score.Seconds(), Refine: t.Refine.Seconds(),
		Select: t.Select.Seconds(), Rollout: t.Rollout.Seconds()}
	return rep
}

// SimReport is a closed-loop run as `fluxcore plan sim --out` writes it (SimSchema). A
// distance to no obstacle at all is null.
type SimReport struct {
	Schema           string          `json:"schema"`
	Backend          string          `json:"backend"`
	Hz               float64         `json:"hz"`
	Collisions       int             `json:"collisions"`
	ClosestApproachM *float64        `json:"closest_approach_m"`
	SafetyBrakes     int             `json:"safety_brakes"`
	Steps            []SimStepReport `json:"steps"`
}

// SimStepReport is one cycle of a SimReport.
type SimStepReport struct {
	TS         float64     `json:"t_s"`
	Mode       string      `json:"mode"`
	State      StateReport `json:"state"`
	Costs      CostsReport `json:"costs"`
	Braked     bool        `json:"braked"`
	ClearanceM *float64    `json:"clearance_m"`
}

// Report is l in the SimSchema layout, run at hz on backendName.
func (l *SimLog) Report(hz float64, backendName string) SimReport {
	rep := SimReport{Schema: SimSchema, Backend: backendName, Hz: hz, Collisions: l.Collisions,
		ClosestApproachM: finiteOrNil(l.ClosestApproachM), SafetyBrakes: l.SafetyBrakes, Steps: []SimStepReport{}}
	for _, s := range l.Steps {
		rep.Steps = append(rep.Steps, SimStepReport{TS: s.TS, Mode: s.Mode.String(), State: s.Robot.report(),
			Costs: s.Costs.report(), Braked: s.Braked, ClearanceM: finiteOrNil(s.ClearanceM)})
	}
	return rep
}

// report is p with its JSON names: the same fields, so a conversion (a field added to Point
// fails to compile here until StateReport has it too).
func (p Point) report() StateReport { return StateReport(p) }

func (c Costs) report() CostsReport {
	return CostsReport{Total: c.Total, Progress: c.Progress, PathDistance: c.PathDistance, Smoothness: c.Smoothness,
		Goal: c.Goal, Heading: c.Heading, Reverse: c.Forward, Map: c.Map, Collision: c.Collision, Caution: c.Caution,
		CollisionProbability: c.CollisionProb, Feasible: c.Feasible}
}

// finiteOrNil is v, or nil where v is not finite (a distance to nothing is +Inf).
func finiteOrNil(v float64) *float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return &v
}

func float64s(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}
