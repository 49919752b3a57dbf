package traj

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseScenario: no input panics; an accepted scenario has finite, bounded values that the
// planner's preparation (map inflation, local path) takes without panicking.
func FuzzParseScenario(f *testing.F) {
	for _, p := range []string{"../../examples/*.json", "../../testdata/hostile/plan_[fmnc]*.json"} {
		paths, _ := filepath.Glob(p)
		for _, path := range paths {
			if raw, err := os.ReadFile(path); err == nil && len(raw) < 64<<10 {
				f.Add(raw)
			}
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := ParseScenario(bytes.NewReader(raw))
		if err != nil {
			return
		}
		if x := s.Robot.State.XM; math.IsNaN(x) || math.Abs(x) > 1e5 {
			t.Fatalf("accepted a robot at x = %v", x)
		}
		if s.Map != nil {
			radius := s.Robot.Footprint.RadiusM
			if r := s.Robot.Footprint.Rectangle; r != nil {
				radius = math.Hypot(r.LengthM, r.WidthM) / 2
			}
			if got := s.Map.inflated(radius); len(got) != s.Map.Width*s.Map.Height {
				t.Fatalf("inflated map has %d cells, want %d", len(got), s.Map.Width*s.Map.Height)
			}
		}
		localPath(s.Guidance.Path, [2]float64{s.Robot.State.XM, s.Robot.State.YM}, 10)
	})
}
