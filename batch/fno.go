package batch

import (
	"context"
	"fmt"

	"github.com/fluxcore/fluxcore/engine/fno"
)

// FNO is the Worker of `batch fno`: it runs a runner over a chunk in batches of
// BatchSize (at most the runner's MaxBatch), each with its samples' boundary data.
type FNO struct {
	Runner *fno.Runner
	// Boundary holds the faces of every sample of the input; nil enforces nothing extra.
	Boundary  *fno.Boundary
	Grid      []int
	BatchSize int
}

func (w *FNO) Forward(ctx context.Context, lo, hi int, input, out []float32) error {
	n := hi - lo
	if n < 1 || len(input)%n != 0 || len(out)%n != 0 {
		return fmt.Errorf("batch: fno: %d input and %d output values for %d samples", len(input), len(out), n)
	}
	inPer, outPer := len(input)/n, len(out)/n
	for a := 0; a < n; a += w.BatchSize {
		b := min(a+w.BatchSize, n)
		bc := w.Boundary.Samples(w.Grid, lo+a, lo+b)
		if err := w.Runner.ForwardInto(ctx, out[a*outPer:b*outPer], input[a*inPer:b*inPer], b-a, bc); err != nil {
			return err
		}
	}
	return nil
}
