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
	return ParseConfig(path, raw)
}

// ParseConfig is ReadConfig for JSON already in memory (a section of another file, say);
// name labels its errors.
func ParseConfig(path string, raw []byte) (Overrides, error) {
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

// Resolve reads the boundary data for samples inputs of the given grid, charging it to
// ctx's memory budget; it returns nil when no condition applies.
func (s BoundarySource) Resolve(ctx context.Context, m *Model, samples int, grid []int) (*Boundary, error) {
	return s.resolve(ctx, m, samples, grid, 0, samples, true)
}

// ResolveRange is the boundary data of samples [lo, hi) of an input of samples samples: the
// face files are checked whole, but only the rows of that range are read, so that memory
// follows the range and not the input (the batch runner's chunks). It charges no budget.
func (s BoundarySource) ResolveRange(ctx context.Context, m *Model, samples int, grid []int, lo, hi int) (*Boundary, error) {
	if lo < 0 || lo > hi || hi > samples {
		return nil, fmt.Errorf("fno: boundary data for samples [%d, %d) of %d", lo, hi, samples)
	}
	return s.resolve(ctx, m, samples, grid, lo, hi, false)
}

func (s BoundarySource) resolve(ctx context.Context, m *Model, samples int, grid []int, lo, hi int, charge bool) (*Boundary, error) {
	kind := m.BOON
	if s.Kind != "" {
		kind = s.Kind
	}
	if kind == "" {
		return nil, nil
	}
	bc := &Boundary{Kind: kind, OutputOnly: s.OutputOnly, StencilLeft: s.StencilLeft, StencilRight: s.StencilRight}
	faces := faceReader{ctx: ctx, samples: samples, lo: lo, hi: hi, charge: charge}
	xFace, yFace := FacePoints(grid, 0), FacePoints(grid, 1)
	var err error
	switch kind {
	case Dirichlet:
		if s.Left == "" || s.Right == "" {
			return nil, fmt.Errorf("fno: a dirichlet condition needs the left and right face values")
		}
		if bc.Left, err = faces.read("left", s.Left, xFace); err != nil {
			return nil, err
		}
		if bc.Right, err = faces.read("right", s.Right, xFace); err != nil {
			return nil, err
		}
		if m.Dims == 3 {
			if s.Top == "" || s.Down == "" {
				return nil, fmt.Errorf("fno: a dirichlet condition on a 3-D model needs the top and down face values too")
			}
			if bc.Top, err = faces.read("top", s.Top, yFace); err != nil {
				return nil, err
			}
			if bc.Down, err = faces.read("down", s.Down, yFace); err != nil {
				return nil, err
			}
		}
	case Neumann:
		if bc.Left, err = faces.flux("left flux", s.FluxLeft, xFace); err != nil {
			return nil, err
		}
		if bc.Right, err = faces.flux("right flux", s.FluxRight, xFace); err != nil {
			return nil, err
		}
	}
	return bc, nil
}

// faceReader reads the faces of samples [lo, hi) of an input of samples samples.
type faceReader struct {
	ctx             context.Context
	samples, lo, hi int
	charge          bool
}

// read reads the range's values from a face file: [samples, face...] (any shape whose rows
// are samples of perSample values), or a flat [samples·perSample].
func (r faceReader) read(what, path string, perSample int) ([]float32, error) {
	f, err := npy.Open(path)
	if err != nil {
		return nil, fmt.Errorf("fno: %s face values: %w", what, err)
	}
	defer f.Close()
	rowsPerSample := 1
	switch {
	case f.Rows() == r.samples && f.RowElements() == perSample:
	case len(f.Shape()) == 1 && f.Rows() == r.samples*perSample:
		rowsPerSample = perSample
	default:
		return nil, fmt.Errorf("fno: %s face values %s: shape %v holds %d values, want %d per sample × %d samples",
			what, path, f.Shape(), f.Rows()*f.RowElements(), perSample, r.samples)
	}
	n := (r.hi - r.lo) * perSample
	if r.charge {
		if err := limits.From(r.ctx).Charge(what+" face values", n, 4); err != nil {
			return nil, fmt.Errorf("fno: %w", err)
		}
	}
	data := make([]float32, n)
	if err := f.ReadRows(r.ctx, data, r.lo*rowsPerSample, r.hi*rowsPerSample); err != nil {
		return nil, fmt.Errorf("fno: %s face values: %w", what, err)
	}
	return data, nil
}

// flux is a number for every face point of the range, or the range of an .npy file's faces.
func (r faceReader) flux(what, v string, perSample int) ([]float32, error) {
	if v == "" {
		v = "0"
	}
	if g, err := strconv.ParseFloat(v, 64); err == nil {
		if math.IsNaN(g) || math.IsInf(g, 0) {
			return nil, fmt.Errorf("fno: %s %s: want a finite number", what, v)
		}
		return UniformFaces((r.hi-r.lo)*perSample, float32(g)), nil
	}
	return r.read(what, v, perSample)
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
