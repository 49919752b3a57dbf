package trajplot

import (
	"bytes"
	"context"
	"image/png"
	"testing"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/traj"
)

// A sim frame renders as a 7-inch PNG, and the scene bounds, fixed for every frame, hold
// the start, the goal, the path and the person's whole walk on equal scales.
func TestFrameAndBounds(t *testing.T) {
	s, err := traj.LoadScenario("../../examples/crossing.json")
	if err != nil {
		t.Fatal(err)
	}
	b := SceneBounds(s, 20)
	if b.XMax-b.XMin != b.YMax-b.YMin {
		t.Errorf("bounds %+v are not square", b)
	}
	inside := func(x, y float64) bool { return x > b.XMin && x < b.XMax && y > b.YMin && y < b.YMax }
	g := s.Guidance.Goal
	end, _ := s.Obstacles[0].At(20, s.Horizon.DtS)
	if !inside(0, 0) || !inside(g.XM, g.YM) || !inside(end[0], end[1]) {
		t.Errorf("bounds %+v miss the start, the goal (%v, %v) or the person's end %v", b, g.XM, g.YM, end)
	}
	e, err := engine.Open(engine.Options{Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	p, err := traj.NewPlanner(context.Background(), e.Backend(), traj.Config{Candidates: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r, err := p.Plan(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	write, err := Render(context.Background(), p, s, r, Frame{Label: true, TimeS: 1.5, Bounds: &b})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if size := img.Bounds().Size(); size.X < 500 || size.X != size.Y {
		t.Errorf("image %v, want a square of at least 500 pixels", size)
	}
}
