package batch

import (
	"context"
	"fmt"

	"github.com/fluxcore/fluxcore/engine/fno"
)

// FNO is the Worker of `batch fno`: it runs a runner over a chunk in batches of
// BatchSize (at most the runner's MaxBatch), each with its samples' boundary data, which
// it reads a chunk at a time.
type FNO struct {
	Runner    *fno.Runner
	Model     *fno.Model
	Boundary  fno.BoundarySource
	Samples   int // in the whole input, which the face files cover
	Grid      []int
	BatchSize int
}

func (w *FNO) Forward(ctx context.Context, lo, hi int, in, outs []Values) error {
	input, out := in[0].F32, outs[0].F32
	n := hi - lo
	if n < 1 || len(input)%n != 0 || len(out)%n != 0 {
		return fmt.Errorf("batch: fno: %d input and %d output values for %d samples", len(input), len(out), n)
	}
	inPer, outPer := len(input)/n, len(out)/n
	faces, err := w.Boundary.ResolveRange(ctx, w.Model, w.Samples, w.Grid, lo, hi)
	if err != nil {
		return err
	}
	for a := 0; a < n; a += w.BatchSize {
		b := min(a+w.BatchSize, n)
		bc := faces.Samples(w.Grid, a, b)
		if err := w.Runner.ForwardInto(ctx, out[a*outPer:b*outPer], input[a*inPer:b*inPer], b-a, bc); err != nil {
			return err
		}
	}
	return nil
}
