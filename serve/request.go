package serve

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/fluxcore/fluxcore/engine/fno"
	"github.com/fluxcore/fluxcore/engine/limits"
	"github.com/fluxcore/fluxcore/internal/finite"
)

// Tensor is a named tensor of a request or a response, in float32 (the protocol's FP32).
type Tensor struct {
	Name     string
	Datatype string
	Shape    []int
	F32      []float32
}

// Request is one inference request, decoded from REST or gRPC.
type Request struct {
	ID     string
	Inputs []Tensor
	// Outputs are the outputs asked for; none asks for every output.
	Outputs []string
}

// Response is a request's result.
type Response struct {
	Model, Version, ID string
	Outputs            []Tensor
}

// admit checks a request against the model and queues nothing yet: the input's shape, the
// grid, the batch axis, the boundary inputs and the outputs asked for.
func (m *Model) admit(req *Request) (*request, error) {
	inputs := map[string]*Tensor{}
	for i := range req.Inputs {
		t := &req.Inputs[i]
		if !slices.ContainsFunc(m.Inputs, func(s TensorSpec) bool { return s.Name == t.Name }) {
			return nil, fmt.Errorf("%w: model %q has no input %q (its inputs: %s)", ErrBadRequest, m.Name, t.Name, specNames(m.Inputs))
		}
		if inputs[t.Name] != nil {
			return nil, fmt.Errorf("%w: input %q is given twice", ErrBadRequest, t.Name)
		}
		if err := checkValues(t); err != nil {
			return nil, err
		}
		inputs[t.Name] = t
	}
	for _, name := range req.Outputs {
		if name != m.Config.Output {
			return nil, fmt.Errorf("%w: model %q has no output %q (its output: %q)", ErrBadRequest, m.Name, name, m.Config.Output)
		}
	}
	main := inputs[m.Config.Input]
	if main == nil {
		return nil, fmt.Errorf("%w: input %q is missing", ErrBadRequest, m.Config.Input)
	}
	r, err := m.checkMain(main)
	if err != nil {
		return nil, err
	}
	if err := m.checkFaces(r, inputs); err != nil {
		return nil, err
	}
	if n := m.queued.Add(1); n > int64(m.opts.MaxQueue) {
		m.queued.Add(-1)
		return nil, fmt.Errorf("%w: model %q: the queue holds %d requests (--max-queue)", ErrUnavailable, m.Name, m.opts.MaxQueue)
	}
	r.out = make([]float32, r.samples*product(r.grid)*m.fno.OutChannels)
	r.enqueued, r.done = time.Now(), make(chan struct{})
	return r, nil
}

// checkMain checks the model's input: [batch, grid..., channels] with the batch within
// max_batch_size and a grid the model serves or may build.
func (m *Model) checkMain(t *Tensor) (*request, error) {
	dims, c := m.fno.Dims, m.fno.InChannels
	if len(t.Shape) != dims+2 || t.Shape[dims+1] != c {
		return nil, fmt.Errorf("%w: input %q has shape %v, want [batch, %d grid axes, %d]", ErrBadRequest, t.Name, t.Shape, dims, c)
	}
	samples := t.Shape[0]
	if samples < 1 || samples > m.Config.MaxBatchSize {
		return nil, fmt.Errorf("%w: input %q has a batch of %d, want 1..%d (max_batch_size)", ErrBadRequest, t.Name, samples, m.Config.MaxBatchSize)
	}
	grid := slices.Clone(t.Shape[1 : dims+1])
	key, err := m.admitGrid(grid)
	if err != nil {
		return nil, err
	}
	return &request{samples: samples, grid: grid, key: key, input: t.F32}, nil
}

// checkFaces takes the boundary inputs the condition needs, each [batch, face...], and
// fills a Neumann flux left out with zeros.
func (m *Model) checkFaces(r *request, inputs map[string]*Tensor) error {
	names, optional := m.faceInputs()
	for k, name := range names {
		want := fno.FaceShape(r.grid, r.samples, k/2)
		t := inputs[name]
		switch {
		case t == nil && optional:
			r.faces[k] = make([]float32, product(want))
		case t == nil:
			return fmt.Errorf("%w: a %s condition needs input %q, shape %v", ErrBadRequest, m.kind, name, want)
		case len(t.Shape) == 0 || t.Shape[0] != r.samples || product(t.Shape[1:]) != product(want[1:]):
			return fmt.Errorf("%w: input %q has shape %v, want %v (from input %q)", ErrBadRequest, name, t.Shape, want, m.Config.Input)
		default:
			r.faces[k] = t.F32
		}
	}
	return nil
}

// checkValues refuses data that does not fill the shape, and NaN or Inf: one request's bad
// values must not fail the others in its batch.
func checkValues(t *Tensor) error {
	if n, err := limits.Product("input "+strconv.Quote(t.Name)+" shape", limits.MaxArrayElements, t.Shape...); err != nil || n != len(t.F32) {
		return fmt.Errorf("%w: input %q has %d values for shape %v", ErrBadRequest, t.Name, len(t.F32), t.Shape)
	}
	if i, _ := finite.First(context.Background(), t.F32); i >= 0 {
		return fmt.Errorf("%w: input %q: element %d (flat index) is %v", ErrBadRequest, t.Name, i, t.F32[i])
	}
	return nil
}

func specNames(specs []TensorSpec) string {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = fmt.Sprintf("%q", s.Name)
	}
	return fmt.Sprint(names)
}

func product(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}
