package batch

import (
	"context"
	"fmt"
	"slices"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/conserve"
	"github.com/fluxcore/fluxcore/npy"
)

// ConserveOutputNames are the outputs `batch conserve` can write: the updated means, their
// marginal variances, full covariances, and ensemble deviations (from an ensemble input).
var ConserveOutputNames = []string{"mean", "var", "cov", "ensemble"}

// OpenConserveInput opens an .npz of a ProbConserv problem, its arrays named as
// conserve.ArrayNames: G of shape [m, n] and rhs of shape [m] are shared by every slice,
// every other array is per slice.
func OpenConserveInput(ctx context.Context, path string) (*Archive, error) {
	return OpenArchive(ctx, path, func(name string, shape []int) bool {
		return name == "G" && len(shape) == 2 || name == "rhs" && len(shape) == 1
	})
}

// Conserve is the Worker of `batch conserve`: ProbConserv's update (engine/conserve) of
// each chunk's slices, which are independent, so that the chunks together compute what
// `fluxcore conserve` does on the whole input.
type Conserve struct {
	Input    *Archive
	Backend  backend.Backend
	NoiseVar float64
	Outputs  []ArraySpec // from ConserveOutputs
}

// ConserveOutputs checks the input's problem on its first slice and describes the outputs
// that names asks for, of the input's precision.
func ConserveOutputs(ctx context.Context, in *Archive, names []string) ([]ArraySpec, error) {
	a, err := firstSample(ctx, in, conserve.NewArrays)
	if err != nil {
		return nil, err
	}
	shapes := map[string][]int{"mean": {a.N}, "var": {a.N}, "cov": {a.N, a.N}}
	if a.Ensemble != nil {
		shapes["ensemble"] = []int{a.N, a.Members}
	}
	var out []ArraySpec
	for _, name := range names {
		shape, ok := shapes[name]
		switch {
		case !ok && name == "ensemble":
			return nil, fmt.Errorf("batch conserve: output ensemble needs an ensemble array in the input")
		case !ok:
			return nil, fmt.Errorf("batch conserve: unknown output %q, want some of %v", name, ConserveOutputNames)
		case slices.ContainsFunc(out, func(s ArraySpec) bool { return s.Name == name }):
			return nil, fmt.Errorf("batch conserve: output %q named twice", name)
		}
		out = append(out, ArraySpec{Name: name, DType: resultDType(in.AllFloat32()), Shape: shape})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("batch conserve: no outputs asked for, want some of %v", ConserveOutputNames)
	}
	return out, nil
}

// firstSample reads the input's first sample and checks it as check does.
func firstSample[T any](ctx context.Context, in *Archive, check func(map[string]*npy.Array64) (T, error)) (T, error) {
	bufs := allocate(in.Specs(), 1)
	if err := in.Read(ctx, 0, 1, bufs); err != nil {
		var zero T
		return zero, err
	}
	return check(in.Arrays(0, 1, bufs))
}

func (w *Conserve) Forward(ctx context.Context, lo, hi int, in, outs []Values) error {
	arrays, err := conserve.NewArrays(w.Input.Arrays(lo, hi, in))
	if err != nil {
		return err
	}
	want := conserve.Want{}
	for _, spec := range w.Outputs {
		want.Var = want.Var || spec.Name == "var"
		want.Cov = want.Cov || spec.Name == "cov"
		want.Ensemble = want.Ensemble || spec.Name == "ensemble"
	}
	res, err := arrays.Update(ctx, w.Backend, w.NoiseVar, want)
	if err != nil {
		return err
	}
	for i, spec := range w.Outputs {
		if err := outs[i].setFloat(res.Array(spec.Name).Data); err != nil {
			return fmt.Errorf("%s: %w", spec.Name, err)
		}
	}
	return nil
}
