package bench

import (
	"context"
	"fmt"
	"math"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/traj"
)

// TrajCase is one planning-cycle benchmark shape: candidates, rollout steps, Gaussian
// obstacles, and whether the 6 × 6 m map at 5 cm is scored.
type TrajCase struct {
	Candidates, Steps, Obstacles int
	Map                          bool
}

func (c TrajCase) String() string {
	m := "nomap"
	if c.Map {
		m = "map"
	}
	return fmt.Sprintf("n%d/steps%d/obs%d/%s", c.Candidates, c.Steps, c.Obstacles, m)
}

// TrajGrid is the benchmark grid: 256 to 65 536 candidates (and 10⁶ with huge), 30
// and 100 steps, 0, 8 and 32 obstacles, with and without the map.
func TrajGrid(huge bool) []TrajCase {
	sizes := []int{256, 1024, 4096, 16384, 65536}
	if huge {
		sizes = append(sizes, 1_000_000)
	}
	var grid []TrajCase
	for _, n := range sizes {
		for _, steps := range []int{30, 100} {
			for _, obs := range []int{0, 8, 32} {
				for _, withMap := range []bool{false, true} {
					grid = append(grid, TrajCase{Candidates: n, Steps: steps, Obstacles: obs, Map: withMap})
				}
			}
		}
	}
	return grid
}

// TrajScenario is a room the benchmarks plan in: the robot at 0.6 m/s heading along a guidance
// path with a bend, obstacles walking across and toward it with growing uncertainty, and a
// map with a wall segment and soft costs. The horizon is Steps × 0.03 s for 100 steps (3 s)
// or Steps × 0.1 s otherwise.
func TrajScenario(c TrajCase) *traj.Scenario {
	dt := 0.1
	if c.Steps > 30 {
		dt = 3.0 / float64(c.Steps)
	}
	s := &traj.Scenario{
		Robot: traj.Robot{
			Footprint: traj.Footprint{RadiusM: 0.3},
			Limits: traj.Limits{VMinMps: 0, VMaxMps: 1.2, OmegaMaxRadps: 1.5, AccelMaxMps2: 1, AlphaMaxRadps2: 3,
				JerkMaxMps3: 4, AngularJerkMaxRadps3: 12},
			State: traj.State{VMps: 0.6},
		},
		Horizon:  traj.Horizon{DurationS: float64(c.Steps) * dt, DtS: dt},
		Guidance: traj.Guidance{Path: [][2]float64{{0, 0}, {2, 0}, {4, 1}, {8, 1}}, Goal: traj.Goal{XM: 8, YM: 1}},
	}
	w := traj.DefaultWeights
	s.Weights = &w
	for j := range c.Obstacles {
		a := 2 * math.Pi * float64(j) / float64(max(c.Obstacles, 1))
		s.Obstacles = append(s.Obstacles, traj.Obstacle{RadiusM: 0.3, ConstantVelocity: &traj.ConstantVelocity{
			PositionM:    [2]float64{2 + 1.5*math.Cos(a), 1.5 * math.Sin(a)},
			VelocityMps:  [2]float64{-0.5 * math.Cos(a+0.5), -0.5 * math.Sin(a+0.5)},
			CovarianceM2: traj.Cov2{{0.02, 0.005}, {0.005, 0.03}}, GrowthM2ps: traj.Cov2{{0.02, 0}, {0, 0.02}},
		}})
	}
	if c.Map {
		const cells = 120
		m := &traj.CostMap{ResolutionM: 0.05, Width: cells, Height: cells, OriginM: &[2]float64{-3, -3}, Cost: make([]float64, cells*cells)}
		for y := range cells {
			for x := range cells {
				px, py := -3+0.05*float64(x), -3+0.05*float64(y)
				switch {
				case px > 1.5 && px < 1.7 && py > 0.8: // a wall segment
					m.Cost[y*cells+x] = 1
				case math.Abs(py) > 2:
					m.Cost[y*cells+x] = 0.3 // soft cost near the map's edge
				}
			}
		}
		s.Map = m
	}
	return s
}

// TrajResult is the timing of one planning-cycle case on one backend.
type TrajResult struct {
	Case          string  `json:"case"`
	Collision     string  `json:"collision"`
	Backend       string  `json:"backend"`
	Iters         int     `json:"iters"`
	MedianMs      float64 `json:"median_ms_per_cycle"`
	CandidatesPer float64 `json:"candidates_per_second"`
}

// Traj times iters planning cycles of c (sample, roll out, score, select the top K, roll the
// top K out again) on e, the fast or the accurate collision form, after three cycles of warm-up. The clock is the host's: a cycle brings its choice
// back, and that wait is part of what a caller pays.
func Traj(ctx context.Context, e *engine.Engine, c TrajCase, accurate bool, iters int) (TrajResult, error) {
	if iters < 1 {
		return TrajResult{}, fmt.Errorf("bench: iters = %d, want ≥ 1", iters)
	}
	p, err := traj.NewPlanner(ctx, e.Backend(), traj.Config{Candidates: c.Candidates, Accurate: accurate})
	if err != nil {
		return TrajResult{}, err
	}
	defer p.Close()
	s := TrajScenario(c)
	median, _, err := medianTime(ctx, e.Backend(), iters, false, func(ctx context.Context) error {
		_, err := p.Plan(ctx, s)
		return err
	})
	if err != nil {
		return TrajResult{}, fmt.Errorf("bench %v: %w", c, err)
	}
	form := "fast"
	if accurate {
		form = "accurate"
	}
	return TrajResult{Case: c.String(), Collision: form, Backend: e.Backend().Name(), Iters: iters, MedianMs: median * 1e3,
		CandidatesPer: float64(c.Candidates) / median}, nil
}
