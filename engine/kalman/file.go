package kalman

import (
	"context"
	"fmt"
	"slices"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/internal/finite"
	"github.com/fluxcore/fluxcore/npy"
)

// ArrayNames are the arrays of a Step, in the natural layout with the filter first:
//
//	x  [B, nx]                     state means (required)
//	P  [B, nx, nx]                 state covariances (required)
//	F  [nx, nx] or [B, nx, nx]     transition: x = F·x, P = F·P·Fᵀ + Q
//	Q  [nx, nx] or [B, nx, nx]     process noise (required with F)
//	z  [B, nz]                     measurements
//	H  [nz, nx] or [B, nz, nx]     measurement model (required with z)
//	R  [nz, nz] or [B, nz, nz]     measurement noise (required with z)
//
// A model matrix of the first shape is shared by every filter.
var ArrayNames = []string{"x", "P", "F", "Q", "z", "H", "R"}

// Step is one predict (when F is given) and/or update (when z is given) of a batch of
// filters, as arrays in the natural layout: what `fluxcore kalman` reads from an .npz.
type Step struct {
	Filters, NX, NZ int

	arrays map[string]*npy.Array64
	shared map[string]bool
}

// ReadStep reads a step from an .npz archive (np.savez or np.savez_compressed).
func ReadStep(ctx context.Context, path string) (*Step, error) {
	arrays, err := npy.ReadNPZ(ctx, path)
	if err != nil {
		return nil, err
	}
	s, err := NewStep(arrays)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// NewStep checks every array against x's and z's extents.
func NewStep(arrays map[string]*npy.Array64) (*Step, error) {
	for name := range arrays {
		if !slices.Contains(ArrayNames, name) {
			return nil, fmt.Errorf("kalman: unknown array %q, want x, P, F, Q, z, H, R", name)
		}
	}
	x := arrays["x"]
	if x == nil || arrays["P"] == nil {
		return nil, fmt.Errorf("kalman: arrays x and P are required")
	}
	if len(x.Shape) != 2 || x.Shape[0] < 1 || x.Shape[1] < 1 || x.Shape[1] > backend.KalmanMaxNX {
		return nil, fmt.Errorf("kalman: x has shape %v, want [B, nx] with B ≥ 1 and nx 1..%d", x.Shape, backend.KalmanMaxNX)
	}
	s := &Step{Filters: x.Shape[0], NX: x.Shape[1], arrays: arrays, shared: map[string]bool{}}
	if z := arrays["z"]; z != nil {
		if len(z.Shape) != 2 || z.Shape[0] != s.Filters || z.Shape[1] < 1 || z.Shape[1] > backend.KalmanMaxNZ {
			return nil, fmt.Errorf("kalman: z has shape %v, want [%d, nz] (B from x) with nz 1..%d", z.Shape, s.Filters, backend.KalmanMaxNZ)
		}
		s.NZ = z.Shape[1]
	}
	for _, p := range [][2]string{{"F", "Q"}, {"Q", "F"}, {"H", "z"}, {"R", "z"}, {"z", "H"}, {"z", "R"}} {
		if arrays[p[0]] != nil && arrays[p[1]] == nil {
			return nil, fmt.Errorf("kalman: array %s needs %s", p[0], p[1])
		}
	}
	if arrays["F"] == nil && arrays["z"] == nil {
		return nil, fmt.Errorf("kalman: nothing to do: give F and Q to predict, z, H and R to update, or both")
	}
	return s, s.checkMatrices(x.Shape)
}

// checkMatrices checks P and the model matrices, per filter or shared.
func (s *Step) checkMatrices(xShape []int) error {
	b, nx, nz := s.Filters, s.NX, s.NZ
	want := map[string][2]int{"P": {nx, nx}, "F": {nx, nx}, "Q": {nx, nx}, "H": {nz, nx}, "R": {nz, nz}}
	for _, name := range []string{"P", "F", "Q", "H", "R"} {
		a := s.arrays[name]
		if a == nil {
			continue
		}
		r, c := want[name][0], want[name][1]
		switch {
		case slices.Equal(a.Shape, []int{b, r, c}):
		case name != "P" && slices.Equal(a.Shape, []int{r, c}):
			s.shared[name] = true
		case name == "P":
			return fmt.Errorf("kalman: P has shape %v, want [%d, %d, %d] (from x %v)", a.Shape, b, r, c, xShape)
		default:
			return fmt.Errorf("kalman: %s has shape %v, want [%d, %d] (shared) or [%d, %d, %d] (from x %v and z)", name, a.Shape, r, c, b, r, c, xShape)
		}
	}
	return nil
}

// StepResult is a step's outcome in the natural layout: X [B, nx], P [B, nx, nx], each
// filter's status (KalmanOK; KalmanNotPD where the update left it as predicted;
// KalmanNonFinite where the step overflowed the storage type), and whether it was stored as
// float32.
type StepResult struct {
	Filters, NX                 int
	Predicted, Updated, Float32 bool
	X, P                        []float64
	Status                      []int32
}

// Failed counts the filters whose step did not succeed.
func (r *StepResult) Failed() int {
	n := 0
	for _, st := range r.Status {
		if st != backend.KalmanOK {
			n++
		}
	}
	return n
}

// Count is the number of filters of status st.
func (r *StepResult) Count(st int32) int {
	n := 0
	for _, s := range r.Status {
		if s == st {
			n++
		}
	}
	return n
}

// flagNonFinite marks every filter whose x or P holds a NaN or an infinity.
func (r *StepResult) flagNonFinite(ctx context.Context) error {
	nx := r.NX
	for b := range r.Filters {
		x, p := r.X[b*nx:(b+1)*nx], r.P[b*nx*nx:(b+1)*nx*nx]
		ix, err := finite.First(ctx, x)
		if err != nil {
			return err
		}
		ip, err := finite.First(ctx, p)
		if err != nil {
			return err
		}
		if ix >= 0 || ip >= 0 {
			r.Status[b] = backend.KalmanNonFinite
		}
	}
	return nil
}

// NPZ encodes the result as `fluxcore kalman` writes it: x, P and status.
func (r *StepResult) NPZ() map[string][]byte {
	return map[string][]byte{
		"x":      npy.Encode64(&npy.Array64{Shape: []int{r.Filters, r.NX}, Data: r.X, Float32: r.Float32}),
		"P":      npy.Encode64(&npy.Array64{Shape: []int{r.Filters, r.NX, r.NX}, Data: r.P, Float32: r.Float32}),
		"status": npy.EncodeInt32([]int{r.Filters}, r.Status),
	}
}

// Run applies the step on b, in float64 if any array is stored so, else in float32.
func (s *Step) Run(ctx context.Context, b backend.Backend) (*StepResult, error) {
	for _, a := range s.arrays {
		if !a.Float32 {
			return runStep[float64](ctx, b, s)
		}
	}
	return runStep[float32](ctx, b, s)
}

func runStep[T Float](ctx context.Context, b backend.Backend, s *Step) (*StepResult, error) {
	batch := &Batch[T]{Filters: s.Filters, NX: s.NX, X: inner[T](s, "x"), P: inner[T](s, "P")}
	_, isF32 := any(T(0)).(float32)
	res := &StepResult{Filters: s.Filters, NX: s.NX, Float32: isF32, Status: make([]int32, s.Filters)}
	if s.arrays["F"] != nil {
		if err := Predict(ctx, b, batch, inner[T](s, "F"), inner[T](s, "Q")); err != nil {
			return nil, err
		}
		res.Predicted = true
	}
	if s.arrays["z"] != nil {
		st, err := Update(ctx, b, batch, s.NZ, inner[T](s, "H"), inner[T](s, "R"), inner[T](s, "z"))
		if err != nil {
			return nil, err
		}
		res.Status, res.Updated = st, true
	}
	res.X, res.P = natural(batch.X, s.Filters), natural(batch.P, s.Filters)
	return res, res.flagNonFinite(ctx)
}

// inner is an array in the backend's layout: shared matrices as they are, per-filter
// arrays batch-innermost.
func inner[T Float](s *Step, name string) []T {
	a := s.arrays[name]
	if a == nil {
		return nil
	}
	v := make([]T, len(a.Data))
	for i, x := range a.Data {
		v[i] = T(x)
	}
	if s.shared[name] {
		return v
	}
	return ToBatchInner(v, s.Filters)
}

func natural[T Float](v []T, filters int) []float64 {
	out := make([]float64, len(v))
	for i, x := range FromBatchInner(v, filters) {
		out[i] = float64(x)
	}
	return out
}
