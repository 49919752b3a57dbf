// Package kalman runs very many small Kalman filters at once: B independent filters with up
// to 16 states and 8 measurements each, one predict or update step per call, on any backend.
//
// Arrays are batch-innermost: element (i, j) of filter f's r×c matrix is at (i·c + j)·B + f,
// so the filters' copies of one element sit side by side, which is what a GPU thread per
// filter reads coalesced and a CPU loop reads unit-stride. ToBatchInner and FromBatchInner
// convert from and to the natural [B, r, c] layout. A model matrix (F, Q, H, R) is either one
// row-major matrix shared by every filter or one per filter in the batch-innermost layout;
// its length says which.
package kalman

import (
	"context"
	"fmt"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/internal/finite"
)

// Float is a storage type the filters accept; the arithmetic is float64 either way.
type Float interface{ float32 | float64 }

// Batch is the state of Filters filters with NX states each: X [NX, Filters] and the
// covariances P [NX, NX, Filters], batch-innermost.
type Batch[T Float] struct {
	Filters, NX int
	X, P        []T
}

// Predict advances every filter: x = F·x, P = F·P·Fᵀ + Q, with F and Q NX×NX each, shared
// or per filter.
func Predict[T Float](ctx context.Context, b backend.Backend, s *Batch[T], f, q []T) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	step := backend.Kalman{Filters: s.Filters, NX: s.NX}
	var err error
	if step.SharedF, err = s.model(ctx, "F", f, s.NX, s.NX); err != nil {
		return err
	}
	if step.SharedQ, err = s.model(ctx, "Q", q, s.NX, s.NX); err != nil {
		return err
	}
	_, err = run(ctx, b, s, &step, map[*backend.Buffer][]T{&step.F: f, &step.Q: q})
	return err
}

// Update folds the measurements z ([NZ, Filters]) into every filter with the Joseph form,
// H NZ×NX and R NZ×NZ shared or per filter. It returns each filter's status:
// backend.KalmanOK, or backend.KalmanNotPD where S = HPHᵀ + R was not positive definite and
// the filter was left as it was; those do not make the call fail.
func Update[T Float](ctx context.Context, b backend.Backend, s *Batch[T], nz int, h, r, z []T) ([]int32, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	if nz < 1 || nz > backend.KalmanMaxNZ {
		return nil, fmt.Errorf("kalman: measurement dimension %d, want 1..%d", nz, backend.KalmanMaxNZ)
	}
	step := backend.Kalman{Filters: s.Filters, NX: s.NX, NZ: nz, Update: true}
	var err error
	if step.SharedH, err = s.model(ctx, "H", h, nz, s.NX); err != nil {
		return nil, err
	}
	if step.SharedR, err = s.model(ctx, "R", r, nz, nz); err != nil {
		return nil, err
	}
	if len(z) != nz*s.Filters {
		return nil, fmt.Errorf("kalman: z has %d values, want [%d, %d] = %d", len(z), nz, s.Filters, nz*s.Filters)
	}
	if err := checkFinite(ctx, "z", z, s.Filters); err != nil {
		return nil, err
	}
	return run(ctx, b, s, &step, map[*backend.Buffer][]T{&step.H: h, &step.R: r, &step.Z: z})
}

// run places the state and the step's inputs (into the fields of step they are keyed by) on
// b, runs the step and reads the state back.
func run[T Float](ctx context.Context, b backend.Backend, s *Batch[T], step *backend.Kalman, inputs map[*backend.Buffer][]T) ([]int32, error) {
	var bufs []backend.Buffer
	defer func() { backend.FreeAll(b, bufs...) }()
	place := func(dst *backend.Buffer, host []T) error {
		buf, err := backend.FromHost(ctx, b, host)
		if err != nil {
			return fmt.Errorf("kalman: place on %s: %w", b.Name(), err)
		}
		bufs = append(bufs, buf)
		*dst = buf
		return nil
	}
	if err := place(&step.X, s.X); err != nil {
		return nil, err
	}
	if err := place(&step.P, s.P); err != nil {
		return nil, err
	}
	for dst, host := range inputs {
		if err := place(dst, host); err != nil {
			return nil, err
		}
	}
	if step.Update {
		st, err := b.Alloc(backend.Int32, s.Filters)
		if err != nil {
			return nil, fmt.Errorf("kalman: %w", err)
		}
		bufs = append(bufs, st)
		step.Status = st
	}
	if err := b.Kalman(ctx, *step); err != nil {
		return nil, err
	}
	if err := backend.Download(ctx, b, s.X, step.X); err != nil {
		return nil, fmt.Errorf("kalman: %w", err)
	}
	if err := backend.Download(ctx, b, s.P, step.P); err != nil {
		return nil, fmt.Errorf("kalman: %w", err)
	}
	if !step.Update {
		return nil, nil
	}
	status := make([]int32, s.Filters)
	if err := backend.Download(ctx, b, status, step.Status); err != nil {
		return nil, fmt.Errorf("kalman: %w", err)
	}
	return status, nil
}

func (s *Batch[T]) check(ctx context.Context) error {
	if s.Filters < 1 {
		return fmt.Errorf("kalman: %d filters, want ≥ 1", s.Filters)
	}
	if s.NX < 1 || s.NX > backend.KalmanMaxNX {
		return fmt.Errorf("kalman: state dimension %d, want 1..%d", s.NX, backend.KalmanMaxNX)
	}
	if len(s.X) != s.NX*s.Filters {
		return fmt.Errorf("kalman: x has %d values, want [%d, %d] = %d", len(s.X), s.NX, s.Filters, s.NX*s.Filters)
	}
	if len(s.P) != s.NX*s.NX*s.Filters {
		return fmt.Errorf("kalman: P has %d values, want [%d, %d, %d] = %d", len(s.P), s.NX, s.NX, s.Filters, s.NX*s.NX*s.Filters)
	}
	if err := checkFinite(ctx, "x", s.X, s.Filters); err != nil {
		return err
	}
	return checkFinite(ctx, "P", s.P, s.Filters)
}

// model checks a model matrix of rows×cols and says whether it is shared.
func (s *Batch[T]) model(ctx context.Context, name string, m []T, rows, cols int) (shared bool, err error) {
	switch len(m) {
	case rows * cols:
		shared = true
	case rows * cols * s.Filters:
	default:
		return false, fmt.Errorf("kalman: %s has %d values, want [%d, %d] = %d (shared) or [%d, %d, %d] = %d (per filter)",
			name, len(m), rows, cols, rows*cols, rows, cols, s.Filters, rows*cols*s.Filters)
	}
	filters := s.Filters
	if shared {
		filters = 1
	}
	return shared, checkFinite(ctx, name, m, filters)
}

// checkFinite rejects NaN and Inf in a batch-innermost array, naming the filter and the
// element.
func checkFinite[T Float](ctx context.Context, name string, v []T, filters int) error {
	i, err := finite.First(ctx, v)
	if err != nil || i < 0 {
		return err
	}
	return fmt.Errorf("kalman: filter %d: %s element %d is %v", i%filters, name, i/filters, v[i])
}

// ToBatchInner reorders filters' matrices from the natural layout [B, r, c] (or [B, n]) to
// the batch-innermost [r, c, B].
func ToBatchInner[T Float](natural []T, filters int) []T {
	per := len(natural) / filters
	out := make([]T, len(natural))
	for f := range filters {
		for e := range per {
			out[e*filters+f] = natural[f*per+e]
		}
	}
	return out
}

// FromBatchInner is the inverse of ToBatchInner: the same transposition, with the roles of
// the filters and the elements swapped.
func FromBatchInner[T Float](inner []T, filters int) []T {
	return ToBatchInner(inner, len(inner)/filters)
}
