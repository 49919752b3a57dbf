package fno

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/fluxcore/fluxcore/engine/limits"
	"github.com/fluxcore/fluxcore/npy"
)

// EnvTransform picks RunnerConfig's transform method when it is empty: auto, dft or fft.
const EnvTransform = "FLUXCORE_FFT"

// ReadConfig reads a checkpoint's JSON hyper-parameter file: padding (9, "0,9" or [0, 9]),
// grid_lb, grid_ub, grid_endpoint and bc. Unknown keys are an error, so a typo is not
// silently ignored.
func ReadConfig(path string) (Overrides, error) {
	raw, err := limits.ReadSmallFile(path, limits.MaxJSONBytes)
	if err != nil {
		return Overrides{}, fmt.Errorf("fno: config: %w", err)
	}
	var c struct {
		Padding      json.RawMessage `json:"padding"`
		GridLB       *float64        `json:"grid_lb"`
		GridUB       *float64        `json:"grid_ub"`
		GridEndpoint *bool           `json:"grid_endpoint"`
		BC           *string         `json:"bc"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Overrides{}, fmt.Errorf("fno: config %q: %w", path, err)
	}
	o := Overrides{GridLB: c.GridLB, GridUB: c.GridUB, GridEndpoint: c.GridEndpoint}
	if c.Padding != nil {
		p, err := paddingSpec(c.Padding)
		if err != nil {
			return Overrides{}, fmt.Errorf("fno: config %q: padding: %w", path, err)
		}
		o.Padding = &p
	}
	if c.BC != nil {
		k, err := ParseBoundaryKind(*c.BC)
		if err != nil {
			return Overrides{}, fmt.Errorf("fno: config %q: %w", path, err)
		}
		o.BC = &k
	}
	return o, nil
}

// paddingSpec turns a config file's padding (a number, a string, or a list of numbers) into
// the "9" or "0,9" form of Overrides.Padding.
func paddingSpec(raw json.RawMessage) (string, error) {
	var n int
	if json.Unmarshal(raw, &n) == nil {
		return strconv.Itoa(n), nil
	}
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return str, nil
	}
	var list []int
	if err := json.Unmarshal(raw, &list); err != nil {
		return "", fmt.Errorf("%s: want a count, \"0,9\" or [0, 9]", raw)
	}
	parts := make([]string, len(list))
	for i, v := range list {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, ","), nil
}

// CheckInput checks a channels-last input shape, [samples, grid..., InChannels], against the
// model and returns its grid.
//
// The errors format a copy of shape, so that a caller's shape array stays on its stack (the
// C ABI's calls allocate nothing).
func (m *Model) CheckInput(shape []int) (grid []int, err error) {
	if len(shape) != m.Dims+2 || shape[len(shape)-1] != m.InChannels {
		return nil, fmt.Errorf("fno: input shape %v, want [batch, %s, %d] for this %d-D model",
			slices.Clone(shape), strings.Repeat("n, ", m.Dims-1)+"n", m.InChannels, m.Dims)
	}
	if shape[0] < 1 {
		return nil, fmt.Errorf("fno: input shape %v has no samples", slices.Clone(shape))
	}
	return shape[1 : len(shape)-1], nil
}

// BoundarySource says where a run's boundary data comes from. Kind "" takes the condition a
// BOON checkpoint was trained with, and no condition for a plain one.
type BoundarySource struct {
	Kind       BoundaryKind
	OutputOnly bool
	// Dirichlet: .npy files of the values on the first axis' faces, [samples, grid[1:]...]
	// ([samples] in 1-D), and for a 3-D model on the second axis' faces, [samples, n1, n3].
	Left, Right, Top, Down string
	// Neumann: the fluxes on the first axis' faces, each a number (the same at every point)
	// or an .npy shaped like Left; "" is 0.
	FluxLeft, FluxRight string
	// Neumann: the normalized one-sided stencils; nil takes NeumannStencils.
	StencilLeft, StencilRight []float64
}

// Resolve reads the boundary data for samples inputs of the given grid; it returns nil when
// no condition applies.
func (s BoundarySource) Resolve(ctx context.Context, m *Model, samples int, grid []int) (*Boundary, error) {
	kind := m.BOON
	if s.Kind != "" {
		kind = s.Kind
	}
	if kind == "" {
		return nil, nil
	}
	bc := &Boundary{Kind: kind, OutputOnly: s.OutputOnly, StencilLeft: s.StencilLeft, StencilRight: s.StencilRight}
	xFace, yFace := FacePoints(grid, 0), FacePoints(grid, 1)
	var err error
	switch kind {
	case Dirichlet:
		if s.Left == "" || s.Right == "" {
			return nil, fmt.Errorf("fno: a dirichlet condition needs the left and right face values")
		}
		if bc.Left, err = readFaces(ctx, "left", s.Left, samples, xFace); err != nil {
			return nil, err
		}
		if bc.Right, err = readFaces(ctx, "right", s.Right, samples, xFace); err != nil {
			return nil, err
		}
		if m.Dims == 3 {
			if s.Top == "" || s.Down == "" {
				return nil, fmt.Errorf("fno: a dirichlet condition on a 3-D model needs the top and down face values too")
			}
			if bc.Top, err = readFaces(ctx, "top", s.Top, samples, yFace); err != nil {
				return nil, err
			}
			if bc.Down, err = readFaces(ctx, "down", s.Down, samples, yFace); err != nil {
				return nil, err
			}
		}
	case Neumann:
		if bc.Left, err = fluxFaces(ctx, "left flux", s.FluxLeft, samples, xFace); err != nil {
			return nil, err
		}
		if bc.Right, err = fluxFaces(ctx, "right flux", s.FluxRight, samples, xFace); err != nil {
			return nil, err
		}
	}
	return bc, nil
}

func readFaces(ctx context.Context, what, path string, samples, perSample int) ([]float32, error) {
	a, err := npy.Read(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("fno: %s face values: %w", what, err)
	}
	if len(a.Data) != samples*perSample {
		return nil, fmt.Errorf("fno: %s face values %s: shape %v holds %d values, want %d per sample × %d samples",
			what, path, a.Shape, len(a.Data), perSample, samples)
	}
	return a.Data, nil
}

// fluxFaces is a number for every face point, or the faces of an .npy file.
func fluxFaces(ctx context.Context, what, v string, samples, perSample int) ([]float32, error) {
	if v == "" {
		v = "0"
	}
	if g, err := strconv.ParseFloat(v, 64); err == nil {
		if math.IsNaN(g) || math.IsInf(g, 0) {
			return nil, fmt.Errorf("fno: %s %s: want a finite number", what, v)
		}
		return UniformFaces(samples*perSample, float32(g)), nil
	}
	return readFaces(ctx, what, v, samples, perSample)
}

// FacePoints is the number of points per sample on a face of the given axis.
func FacePoints(grid []int, axis int) int {
	n := 1
	for _, d := range FaceShape(grid, 1, axis) {
		n *= d
	}
	return n
}

// Samples is the boundary data of samples [lo, hi) of bc, for inputs of the given grid.
func (bc *Boundary) Samples(grid []int, lo, hi int) *Boundary {
	if bc == nil {
		return nil
	}
	c := *bc
	x, y := FacePoints(grid, 0), FacePoints(grid, 1)
	for _, face := range []struct {
		data      *[]float32
		perSample int
	}{{&c.Left, x}, {&c.Right, x}, {&c.Top, y}, {&c.Down, y}} {
		if *face.data != nil {
			*face.data = (*face.data)[lo*face.perSample : hi*face.perSample]
		}
	}
	return &c
}

// ForwardAll runs every sample of input ([samples, grid..., in], channels-last) in batches
// of the runner's MaxBatch, bc's faces sliced to each batch, and returns the outputs
// ([samples, grid..., out]). progress, when set, is called after each batch with the
// samples done so far.
func (r *Runner) ForwardAll(ctx context.Context, input []float32, samples int, bc *Boundary, progress func(done int)) ([]float32, error) {
	if samples < 1 || len(input)%samples != 0 {
		return nil, fmt.Errorf("fno: %d input values do not split into %d samples", len(input), samples)
	}
	per := len(input) / samples
	out := make([]float32, 0, samples*r.points()*r.m.OutChannels)
	for lo := 0; lo < samples; lo += r.maxBatch {
		hi := min(lo+r.maxBatch, samples)
		y, err := r.Forward(ctx, input[lo*per:hi*per], hi-lo, bc.Samples(r.grid, lo, hi))
		if err != nil {
			return nil, fmt.Errorf("fno: samples %d..%d: %w", lo, hi-1, err)
		}
		out = append(out, y...)
		if progress != nil {
			progress(hi)
		}
	}
	return out, nil
}
