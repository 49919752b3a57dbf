package traj

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
)

func loadRaw(t *testing.T, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// get walks a decoded JSON value by keys and indices.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v
}

func TestParseScenarioDefaults(t *testing.T) {
	s, err := LoadScenario("testdata/corridor.json")
	if err != nil {
		t.Fatal(err)
	}
	if s.Horizon.Steps() != 30 || *s.Weights != DefaultWeights {
		t.Errorf("steps %d, weights %+v; want 30 and the defaults", s.Horizon.Steps(), *s.Weights)
	}
	// A map with only its cost: 6 m at 5 cm, centred on the robot.
	m := loadRaw(t, "testdata/corridor.json")
	m["map"] = map[string]any{"cost": make([]float64, 120*120)}
	m["weights"] = map[string]any{"smoothness": 0}
	s = parse(t, m)
	if s.Map.Width != 120 || s.Map.Height != 120 || s.Map.OriginM[0] != -3 || s.Map.OriginM[1] != -3 {
		t.Errorf("map %d × %d at %v, want 120 × 120 at [-3 -3]", s.Map.Width, s.Map.Height, *s.Map.OriginM)
	}
	if s.Weights.Smoothness != 0 || s.Weights.Progress != DefaultWeights.Progress {
		t.Errorf("weights %+v: want smoothness 0 as given and the rest defaults", *s.Weights)
	}
}

func parse(t *testing.T, m map[string]any) *Scenario {
	t.Helper()
	raw, _ := json.Marshal(m)
	s, err := ParseScenario(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Every refusal names the JSON path and the constraint.
func TestParseScenarioErrors(t *testing.T) {
	cases := []struct {
		name   string
		change func(m map[string]any)
		want   string
	}{
		{"negative limit", func(m map[string]any) { get(m, "robot", "limits").(map[string]any)["accel_max_mps2"] = -1 },
			"robot.limits.accel_max_mps2: -1, want > 0"},
		{"dt not dividing", func(m map[string]any) { get(m, "horizon").(map[string]any)["dt_s"] = 0.07 },
			"horizon.dt_s: 0.07 does not divide the duration 3 s"},
		{"short path", func(m map[string]any) { get(m, "guidance").(map[string]any)["path"] = []any{[]any{0, 0}} },
			"guidance.path: 1 points, want ≥ 2"},
		{"non-PSD covariance", func(m map[string]any) {
			get(m, "obstacles", 0, "constant_velocity").(map[string]any)["covariance_m2"] = []any{[]any{0.01, 0.2}, []any{0.2, 0.01}}
		}, "obstacles[0].constant_velocity.covariance_m2: not positive semi-definite"},
		{"asymmetric covariance", func(m map[string]any) {
			get(m, "obstacles", 0, "constant_velocity").(map[string]any)["growth_m2ps"] = []any{[]any{0.01, 0.001}, []any{0, 0.01}}
		}, "obstacles[0].constant_velocity.growth_m2ps: not symmetric"},
		{"unknown field", func(m map[string]any) { get(m, "robot").(map[string]any)["speed"] = 1 }, `unknown field "speed"`},
		{"state over limit", func(m map[string]any) { get(m, "robot", "state").(map[string]any)["v_mps"] = 1.5 },
			"robot.state.v_mps: 1.5, outside the limits [0, 1]"},
		{"wheel limit", func(m map[string]any) { get(m, "robot", "limits").(map[string]any)["wheel_speed_max_mps"] = 0.5 },
			"robot.state: wheel speed"},
		{"two footprints", func(m map[string]any) {
			get(m, "robot", "footprint").(map[string]any)["rectangle"] = map[string]any{"length_m": 0.6, "width_m": 0.4, "circles": 3}
		}, "robot.footprint: give radius_m or rectangle, not both"},
		{"track length", func(m map[string]any) {
			m["obstacles"] = []any{map[string]any{"radius_m": 0.3, "track": []any{map[string]any{"mean_m": []any{1, 1}, "covariance_m2": []any{[]any{0.1, 0}, []any{0, 0.1}}}}}}
		}, "obstacles[0].track: 1 points, want one per rollout step (30)"},
		{"map values", func(m map[string]any) {
			cost := make([]float64, 4)
			cost[2] = 1.5
			m["map"] = map[string]any{"resolution_m": 0.5, "width": 2, "height": 2, "cost": cost}
		}, "map.cost[2]: 1.5, want a value in [0, 1]"},
		{"map size", func(m map[string]any) { m["map"] = map[string]any{"width": 3, "height": 2, "cost": []float64{0}} },
			"map.cost: 1 values, want width × height = 3 × 2 = 6"},
		{"negative weight", func(m map[string]any) { m["weights"] = map[string]any{"progress": -1} }, "weights.progress: -1, want ≥ 0"},
	}
	for _, c := range cases {
		m := loadRaw(t, "testdata/corridor.json")
		c.change(m)
		raw, _ := json.Marshal(m)
		_, err := ParseScenario(bytes.NewReader(raw))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want one containing %q", c.name, err, c.want)
		}
	}
	if _, err := ParseScenario(strings.NewReader(`{"robot": {}} {}`)); err == nil {
		t.Error("trailing data accepted")
	}
}

// TestInflationMatchesBruteForce checks the distance transform against the definition:
// a cell is lethal when some lethal cell lies within the radius.
func TestInflationMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 40 {
		m := randomCostMap(rng, 1+rng.IntN(40), 1+rng.IntN(40), 0.03*float64(trial%4))
		radius := 0.3 * rng.Float64()
		if got, want := m.inflated(radius), bruteInflated(m, radius); !slices.Equal(got, want) {
			t.Fatalf("trial %d: %d×%d map, radius %v: %v, want %v", trial, m.Width, m.Height, radius, got, want)
		}
	}
}

// The planner's cache of the inflated map reuses it only while the map and radius are
// unchanged: an edit in place, another radius or another size inflates again.
func TestInflationCacheSeesEveryChange(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	m := randomCostMap(rng, 30, 20, 0.05)
	var c inflationCache
	check := func(step string, radius float64) []float32 {
		t.Helper()
		got := c.inflated(m, radius)
		if want := bruteInflated(m, radius); !slices.Equal(got, want) {
			t.Fatalf("%s: the cached inflation differs from the definition", step)
		}
		return got
	}
	first := check("first call", 0.12)
	if again := check("same map", 0.12); &again[0] != &first[0] {
		t.Error("the same map and radius were inflated again")
	}
	for i := range m.Cost { // a lethal cell where there was none, edited in place
		if m.Cost[i] < 1 {
			m.Cost[i] = 1
			break
		}
	}
	check("edited in place", 0.12)
	check("another radius", 0.2)
	*m = *randomCostMap(rng, 20, 30, 0.05)
	check("another size", 0.2)
}

// randomCostMap is a w × h map at 5 cm whose cells are lethal with probability pLethal and
// otherwise cost up to 0.5.
func randomCostMap(rng *rand.Rand, w, h int, pLethal float64) *CostMap {
	m := &CostMap{Width: w, Height: h, ResolutionM: 0.05, Cost: make([]float64, w*h)}
	for i := range m.Cost {
		if rng.Float64() < pLethal {
			m.Cost[i] = 1
		} else {
			m.Cost[i] = 0.5 * rng.Float64()
		}
	}
	return m
}

// bruteInflated is the inflation by its definition, every cell against every lethal one.
func bruteInflated(m *CostMap, radius float64) []float32 {
	w, h := m.Width, m.Height
	out := make([]float32, w*h)
	for y := range h {
		for x := range w {
			out[y*w+x] = float32(m.Cost[y*w+x])
			for yy := range h {
				for xx := range w {
					if m.Cost[yy*w+xx] >= 1 && math.Hypot(float64(x-xx), float64(y-yy))*m.ResolutionM <= radius {
						out[y*w+x] = 1
					}
				}
			}
		}
	}
	return out
}

// A scenario built in Go without weights or caution plans as one parsed from JSON, which
// spells out the defaults: it used to dereference the nil weights.
func TestScenarioDefaultsResolveInGo(t *testing.T) {
	parsed, err := LoadScenario("../../examples/crossing.json")
	if err != nil {
		t.Fatal(err)
	}
	built := *parsed
	built.Weights, built.Caution = nil, nil
	e := openCPU(t)
	want := planOnce(t, e, Config{Candidates: 256}, parsed)
	got := planOnce(t, e, Config{Candidates: 256}, &built)
	if got.Top[0].Index != want.Top[0].Index || got.BestCosts != want.BestCosts {
		t.Errorf("built in Go: best %d, costs %+v; parsed: %d, %+v", got.Top[0].Index, got.BestCosts, want.Top[0].Index, want.BestCosts)
	}
}
