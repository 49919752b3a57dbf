package engine_test

import (
	"slices"
	"testing"

	"github.com/fluxcore/fluxcore/engine"
	_ "github.com/fluxcore/fluxcore/engine/conserve"
	_ "github.com/fluxcore/fluxcore/engine/fno"
	_ "github.com/fluxcore/fluxcore/engine/kalman"
	_ "github.com/fluxcore/fluxcore/engine/traj"
)

// The four domains register themselves, and Info says where each runs.
func TestDomainsRegistered(t *testing.T) {
	e, err := engine.Open(engine.Options{Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var names []string
	for _, d := range e.Info().Domains {
		names = append(names, d.Name)
		if d.Device != e.Info().Device || len(d.Fallback) != 0 || d.Entry == "" {
			t.Errorf("domain %+v: want it on %s, with its entry points, without fallback", d, e.Info().Device)
		}
	}
	for _, want := range []string{"conserve", "fno", "kalman", "traj"} {
		if !slices.Contains(names, want) {
			t.Errorf("domain %q is not registered (have %v)", want, names)
		}
	}
}
