package conserve

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/npy"
)

// Files names the .npy arrays of a problem in the natural layout, as `fluxcore conserve`
// takes them: Mean [B, n] (required); one covariance form, Var [B, n], Cov [B, n, n] or
// Ensemble [B, n, M] (with Var as an extra diagonal); G [m, n] (shared by every slice) or
// [B, m, n]; RHS [m] or [B, m].
type Files struct {
	Mean, Var, Cov, Ensemble, G, RHS string
}

// Arrays is a problem read from Files, its shapes checked against each other.
type Arrays struct {
	Slices, N, Constraints, Members  int
	Mean, Var, Cov, Ensemble, G, RHS *npy.Array64 // nil when not given
}

// ArrayNames are the roles of a problem's arrays, as NewArrays takes them.
var ArrayNames = []string{"mean", "var", "cov", "ensemble", "G", "rhs"}

// Read loads and checks the arrays.
func (f Files) Read(ctx context.Context) (*Arrays, error) {
	arrays := map[string]*npy.Array64{}
	paths := map[string]string{}
	for i, path := range []string{f.Mean, f.Var, f.Cov, f.Ensemble, f.G, f.RHS} {
		if path == "" {
			continue
		}
		arr, err := npy.Read64(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("conserve: %s: %w", ArrayNames[i], err)
		}
		arrays[ArrayNames[i]], paths[ArrayNames[i]] = arr, path
	}
	return newArrays(arrays, func(name string) string { return name + " " + paths[name] })
}

// NewArrays checks a problem's arrays, keyed by their ArrayNames, against each other.
func NewArrays(arrays map[string]*npy.Array64) (*Arrays, error) {
	for name := range arrays {
		if !slices.Contains(ArrayNames, name) {
			return nil, fmt.Errorf("conserve: unknown array %q, want %s", name, strings.Join(ArrayNames, ", "))
		}
	}
	return newArrays(arrays, func(name string) string { return name })
}

// newArrays checks arrays, naming each in errors as label does.
func newArrays(arrays map[string]*npy.Array64, label func(string) string) (*Arrays, error) {
	a := &Arrays{Mean: arrays["mean"], Var: arrays["var"], Cov: arrays["cov"], Ensemble: arrays["ensemble"],
		G: arrays["G"], RHS: arrays["rhs"]}
	if a.Mean == nil || a.G == nil || a.RHS == nil {
		return nil, fmt.Errorf("conserve: the mean, G and the right-hand side are required")
	}
	if len(a.Mean.Shape) != 2 {
		return nil, fmt.Errorf("conserve: %s: shape %v, want [B, n]", label("mean"), a.Mean.Shape)
	}
	a.Slices, a.N = a.Mean.Shape[0], a.Mean.Shape[1]
	if len(a.G.Shape) >= 2 {
		a.Constraints = a.G.Shape[len(a.G.Shape)-2]
	}
	if a.Ensemble != nil && len(a.Ensemble.Shape) == 3 {
		a.Members = a.Ensemble.Shape[2]
	}
	return a, a.checkShapes(label)
}

// checkShapes checks every array against the mean's [B, n] and G's m.
func (a *Arrays) checkShapes(label func(string) string) error {
	b, n, m := a.Slices, a.N, a.Constraints
	for _, c := range []struct {
		name   string
		arr    *npy.Array64
		shapes [][]int
	}{{"var", a.Var, [][]int{{b, n}}}, {"cov", a.Cov, [][]int{{b, n, n}}},
		{"ensemble", a.Ensemble, [][]int{{b, n, a.Members}}},
		{"G", a.G, [][]int{{m, n}, {b, m, n}}}, {"rhs", a.RHS, [][]int{{m}, {b, m}}}} {
		if c.arr == nil || slices.ContainsFunc(c.shapes, func(s []int) bool { return slices.Equal(s, c.arr.Shape) }) {
			continue
		}
		choices := make([]string, len(c.shapes))
		for i, s := range c.shapes {
			choices[i] = fmt.Sprint(s)
		}
		note := ""
		if c.name == "rhs" {
			note = fmt.Sprintf(" and m = %d rows of G", m)
		}
		return fmt.Errorf("conserve: %s: shape %v, want %s (from the mean's %v%s)", label(c.name), c.arr.Shape,
			strings.Join(choices, " or "), a.Mean.Shape, note)
	}
	return nil
}

// ArraysResult holds the requested outputs in the natural layout, float32 when every input
// was.
type ArraysResult struct {
	Mean, Var, Cov, Ensemble *npy.Array64
	Form                     backend.CovForm
}

// Update runs the update on b with constraint noise variance noiseVar, in float64 if any
// array is stored so, else in float32.
func (a *Arrays) Update(ctx context.Context, b backend.Backend, noiseVar float64, want Want) (*ArraysResult, error) {
	for _, arr := range []*npy.Array64{a.Mean, a.Var, a.Cov, a.Ensemble, a.G, a.RHS} {
		if arr != nil && !arr.Float32 {
			return updateArrays[float64](ctx, b, a, noiseVar, want)
		}
	}
	return updateArrays[float32](ctx, b, a, noiseVar, want)
}

func updateArrays[T Float](ctx context.Context, b backend.Backend, a *Arrays, noiseVar float64, want Want) (*ArraysResult, error) {
	p := Problem[T]{
		Slices: a.Slices, N: a.N, Constraints: a.Constraints, Members: a.Members,
		Mean: values[T](a.Mean), Var: values[T](a.Var), Cov: values[T](a.Cov), Ensemble: values[T](a.Ensemble),
		G: values[T](a.G), RHS: values[T](a.RHS), NoiseVar: noiseVar,
	}
	form, err := p.Form()
	if err != nil {
		return nil, err
	}
	res, err := Update(ctx, b, p, want)
	if err != nil {
		return nil, err
	}
	_, isF32 := any(T(0)).(float32)
	array := func(data []T, shape ...int) *npy.Array64 {
		if data == nil {
			return nil
		}
		out := &npy.Array64{Shape: shape, Data: make([]float64, len(data)), Float32: isF32}
		for i, v := range data {
			out.Data[i] = float64(v)
		}
		return out
	}
	s, n := a.Slices, a.N
	return &ArraysResult{Form: form, Mean: array(res.Mean, s, n), Var: array(res.Var, s, n), Cov: array(res.Cov, s, n, n),
		Ensemble: array(res.Ensemble, s, n, a.Members)}, nil
}

func values[T Float](a *npy.Array64) []T {
	if a == nil {
		return nil
	}
	out := make([]T, len(a.Data))
	for i, v := range a.Data {
		out[i] = T(v)
	}
	return out
}

// Array is the result named as the output of its input role (mean, var, cov, ensemble),
// nil when it was not computed or there is no such output.
func (r *ArraysResult) Array(name string) *npy.Array64 {
	return map[string]*npy.Array64{"mean": r.Mean, "var": r.Var, "cov": r.Cov, "ensemble": r.Ensemble}[name]
}
