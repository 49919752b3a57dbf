package batch

import (
	"context"
	"fmt"
	"slices"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/kalman"
)

// OpenKalmanInput opens an .npz of a Kalman step, its arrays named as kalman.ArrayNames:
// F, Q, H and R of rank 2 are shared by every filter, every other array is per filter.
func OpenKalmanInput(ctx context.Context, path string) (*Archive, error) {
	return OpenArchive(ctx, path, func(name string, shape []int) bool {
		return slices.Contains([]string{"F", "Q", "H", "R"}, name) && len(shape) == 2
	})
}

// Kalman is the Worker of `batch kalman`: one step of each chunk's filters
// (engine/kalman), which are independent, so that the chunks together compute what
// `fluxcore kalman` does on the whole input. Its outputs are x, P and status.
type Kalman struct {
	Input   *Archive
	Backend backend.Backend
	// AllowFailed keeps a chunk whose filters failed, with their status; otherwise such a
	// chunk is an error, as `fluxcore kalman` refuses to write them without --allow-failed.
	AllowFailed bool
	// Failed, NotPositiveDefinite and NonFinite count this run's failed filters.
	Failed, NotPositiveDefinite, NonFinite int
}

// KalmanOutputs checks the input's step on its first filter and describes x, P and status.
func KalmanOutputs(ctx context.Context, in *Archive) ([]ArraySpec, error) {
	step, err := firstSample(ctx, in, kalman.NewStep)
	if err != nil {
		return nil, err
	}
	dtype := resultDType(in.AllFloat32())
	return []ArraySpec{{Name: "x", DType: dtype, Shape: []int{step.NX}}, {Name: "P", DType: dtype, Shape: []int{step.NX, step.NX}},
		{Name: "status", DType: "<i4", Shape: []int{}}}, nil
}

func (w *Kalman) Forward(ctx context.Context, lo, hi int, in, outs []Values) error {
	step, err := kalman.NewStep(w.Input.Arrays(lo, hi, in))
	if err != nil {
		return err
	}
	res, err := step.Run(ctx, w.Backend)
	if err != nil {
		return err
	}
	if failed := res.Failed(); failed > 0 {
		notPD, nonFinite := res.Count(backend.KalmanNotPD), res.Count(backend.KalmanNonFinite)
		if !w.AllowFailed {
			return fmt.Errorf("%d of %d filters failed: %d with S not positive definite, %d non-finite; pass --allow-failed to keep them with their status",
				failed, hi-lo, notPD, nonFinite)
		}
		w.Failed, w.NotPositiveDefinite, w.NonFinite = w.Failed+failed, w.NotPositiveDefinite+notPD, w.NonFinite+nonFinite
	}
	if err := outs[0].setFloat(res.X); err != nil {
		return fmt.Errorf("x: %w", err)
	}
	if err := outs[1].setFloat(res.P); err != nil {
		return fmt.Errorf("covariances P: %w", err)
	}
	copy(outs[2].I32, res.Status)
	return nil
}
