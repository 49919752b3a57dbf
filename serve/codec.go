package serve

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/fluxcore/fluxcore/engine/limits"
	"github.com/fluxcore/fluxcore/internal/float32le"
)

// The REST wire format of the Open Inference Protocol, with its binary-data extension.

// HeaderContentLength is the binary-data extension's header: the length of the JSON part
// of a body whose tensors follow as raw bytes.
const HeaderContentLength = "Inference-Header-Content-Length"

type jsonTensor struct {
	Name       string                     `json:"name"`
	Shape      []int64                    `json:"shape"`
	Datatype   string                     `json:"datatype"`
	Parameters map[string]json.RawMessage `json:"parameters,omitempty"`
	Data       json.RawMessage            `json:"data,omitempty"`
}

type jsonRequest struct {
	ID         string                     `json:"id,omitempty"`
	Parameters map[string]json.RawMessage `json:"parameters,omitempty"`
	Inputs     []jsonTensor               `json:"inputs"`
	Outputs    []struct {
		Name       string                     `json:"name"`
		Parameters map[string]json.RawMessage `json:"parameters,omitempty"`
	} `json:"outputs,omitempty"`
}

// restRequest is a decoded REST request with the response form it asks for.
// maxTimeoutUS bounds a request's timeout parameter (µs), well inside time.Duration.
const maxTimeoutUS = 24 * 3600 * 1e6

type restRequest struct {
	Request
	timeoutUS int64
	binary    map[string]bool // by output name: return it as raw bytes
}

// decodeREST decodes a body: JSON, or JSON of jsonLen bytes followed by the inputs that
// declare binary_data_size, in order (jsonLen < 0: no binary part). Once the JSON has
// parsed, an error comes with the request, for its id.
func decodeREST(body []byte, jsonLen int) (*restRequest, error) {
	head, blobs := body, []byte(nil)
	if jsonLen >= 0 {
		if jsonLen > len(body) {
			return nil, fmt.Errorf("%w: %s %d exceeds the body's %d bytes", ErrBadRequest, HeaderContentLength, jsonLen, len(body))
		}
		head, blobs = body[:jsonLen], body[jsonLen:]
	}
	var jr jsonRequest
	if err := json.Unmarshal(head, &jr); err != nil {
		return nil, fmt.Errorf("%w: the request is not valid JSON: %v", ErrBadRequest, err)
	}
	out := &restRequest{Request: Request{ID: jr.ID}, binary: map[string]bool{}}
	var err error
	if out.timeoutUS, err = intParam(jr.Parameters, "timeout"); err != nil {
		return out, err
	}
	if out.timeoutUS > maxTimeoutUS {
		return out, fmt.Errorf("%w: parameter timeout is %d µs, more than a day (%d)", ErrBadRequest, out.timeoutUS, int64(maxTimeoutUS))
	}
	allBinary, err := boolParam(jr.Parameters, "binary_data_output")
	if err != nil {
		return out, err
	}
	for _, t := range jr.Inputs {
		tensor, rest, err := decodeTensor(t, blobs)
		if err != nil {
			return out, err
		}
		blobs = rest
		out.Inputs = append(out.Inputs, tensor)
	}
	if len(blobs) > 0 {
		return out, fmt.Errorf("%w: %d bytes of binary data follow the inputs that declare binary_data_size", ErrBadRequest, len(blobs))
	}
	for _, o := range jr.Outputs {
		b, err := boolParam(o.Parameters, "binary_data")
		if err != nil {
			return out, err
		}
		out.Outputs = append(out.Outputs, o.Name)
		out.binary[o.Name] = b || (allBinary && o.Parameters["binary_data"] == nil)
	}
	if len(jr.Outputs) == 0 && allBinary {
		out.binary[""] = true // every output
	}
	return out, nil
}

// decodeTensor reads one input from its JSON data or from the front of blobs.
func decodeTensor(t jsonTensor, blobs []byte) (Tensor, []byte, error) {
	shape, n, err := tensorShape(t.Name, t.Shape)
	if err != nil {
		return Tensor{}, nil, err
	}
	if t.Datatype != "FP32" {
		return Tensor{}, nil, fmt.Errorf("%w: input %q has datatype %q, want FP32", ErrBadRequest, t.Name, t.Datatype)
	}
	out := Tensor{Name: t.Name, Datatype: t.Datatype, Shape: shape}
	size, err := intParam(t.Parameters, "binary_data_size")
	if err != nil {
		return Tensor{}, nil, err
	}
	if t.Parameters["binary_data_size"] == nil {
		if t.Data == nil {
			return Tensor{}, nil, fmt.Errorf("%w: input %q has neither data nor binary_data_size", ErrBadRequest, t.Name)
		}
		out.F32, err = parseNumbers(t.Data, n)
		if err != nil {
			return Tensor{}, nil, fmt.Errorf("%w: input %q: %v", ErrBadRequest, t.Name, err)
		}
		return out, blobs, nil
	}
	switch {
	case t.Data != nil:
		return Tensor{}, nil, fmt.Errorf("%w: input %q has both data and binary_data_size", ErrBadRequest, t.Name)
	case size != int64(4*n):
		return Tensor{}, nil, fmt.Errorf("%w: input %q: binary_data_size %d, shape %v of FP32 is %d bytes", ErrBadRequest, t.Name, size, t.Shape, 4*n)
	case size > int64(len(blobs)):
		return Tensor{}, nil, fmt.Errorf("%w: input %q: binary_data_size %d, %d bytes of binary data are left", ErrBadRequest, t.Name, size, len(blobs))
	}
	out.F32 = float32le.Floats(blobs[:size])
	return out, blobs[size:], nil
}

// tensorShape is a protocol shape as ints, with its element count within
// limits.MaxArrayElements: an error names the input.
func tensorShape(name string, dims []int64) ([]int, int, error) {
	shape := make([]int, len(dims))
	for i, d := range dims {
		if d < 0 || d > math.MaxInt32 {
			return nil, 0, fmt.Errorf("%w: input %q has shape %v: extent %d", ErrBadRequest, name, dims, d)
		}
		shape[i] = int(d)
	}
	n, err := limits.Product("input "+strconv.Quote(name)+" shape", limits.MaxArrayElements, shape...)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	return shape, n, nil
}

// parseNumbers reads a JSON array of exactly n numbers, flat or nested (row-major), as
// float32, refusing values outside float32's range.
func parseNumbers(raw []byte, n int) ([]float32, error) {
	out := make([]float32, 0, min(n, len(raw)/2+1)) // a number and a comma take ≥ 2 bytes
	depth := 0
	for i := 0; i < len(raw); {
		switch c := raw[i]; {
		case c == '[':
			depth++
			i++
		case c == ']':
			if depth--; depth < 0 {
				return nil, fmt.Errorf("data has an unmatched ]")
			}
			i++
		case c == ',' || c == ' ' || c == '\n' || c == '\t' || c == '\r':
			i++
		case c == '-' || (c >= '0' && c <= '9'):
			j := i + 1
			for j < len(raw) && (raw[j] >= '0' && raw[j] <= '9' || raw[j] == '.' || raw[j] == 'e' || raw[j] == 'E' || raw[j] == '+' || raw[j] == '-') {
				j++
			}
			v, err := strconv.ParseFloat(string(raw[i:j]), 32)
			if err != nil {
				return nil, fmt.Errorf("data element %d, %s: want a finite float32", len(out), raw[i:j])
			}
			if len(out) == n {
				return nil, fmt.Errorf("data holds more than the %d values of the shape", n)
			}
			out = append(out, float32(v))
			i = j
		default:
			return nil, fmt.Errorf("data element %d is not a number (%q)", len(out), raw[i:min(i+16, len(raw))])
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("data has an unmatched [")
	}
	if len(out) != n {
		return nil, fmt.Errorf("data holds %d values, the shape %d", len(out), n)
	}
	return out, nil
}

func intParam(params map[string]json.RawMessage, name string) (int64, error) {
	raw := params[name]
	if raw == nil {
		return 0, nil
	}
	var v int64
	if err := json.Unmarshal(raw, &v); err != nil || v < 0 {
		return 0, fmt.Errorf("%w: parameter %s is %s, want a non-negative integer", ErrBadRequest, name, raw)
	}
	return v, nil
}

func boolParam(params map[string]json.RawMessage, name string) (bool, error) {
	raw := params[name]
	if raw == nil {
		return false, nil
	}
	var v bool
	if err := json.Unmarshal(raw, &v); err != nil {
		return false, fmt.Errorf("%w: parameter %s is %s, want true or false", ErrBadRequest, name, raw)
	}
	return v, nil
}

// encodeREST writes a response: JSON with the outputs' data inline, or with binary
// outputs' binary_data_size and their bytes after the JSON (the returned JSON length ≥ 0).
func encodeREST(resp *Response, binaryOut map[string]bool) (body []byte, jsonLen int, err error) {
	type out struct {
		Name       string          `json:"name"`
		Datatype   string          `json:"datatype"`
		Shape      []int           `json:"shape"`
		Parameters map[string]any  `json:"parameters,omitempty"`
		Data       json.RawMessage `json:"data,omitempty"`
	}
	doc := struct {
		ModelName    string `json:"model_name"`
		ModelVersion string `json:"model_version"`
		ID           string `json:"id,omitempty"`
		Outputs      []out  `json:"outputs"`
	}{ModelName: resp.Model, ModelVersion: resp.Version, ID: resp.ID}
	var blobs [][]byte
	for _, t := range resp.Outputs {
		o := out{Name: t.Name, Datatype: t.Datatype, Shape: t.Shape}
		if binaryOut[t.Name] || binaryOut[""] {
			b := float32le.Bytes(t.F32)
			o.Parameters = map[string]any{"binary_data_size": len(b)}
			blobs = append(blobs, b)
		} else if o.Data, err = jsonNumbers(t); err != nil {
			return nil, 0, err
		}
		doc.Outputs = append(doc.Outputs, o)
	}
	head, err := json.Marshal(doc)
	if err != nil || len(blobs) == 0 {
		return head, -1, err
	}
	body = head
	for _, b := range blobs {
		body = append(body, b...)
	}
	return body, len(head), nil
}

// jsonNumbers is a flat JSON array of t's values, each the shortest that reads back as the
// same float32.
func jsonNumbers(t Tensor) (json.RawMessage, error) {
	buf := make([]byte, 0, 12*len(t.F32)+2)
	buf = append(buf, '[')
	for i, v := range t.F32 {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("output %q: element %d is %v, which JSON cannot carry (ask for binary_data)", t.Name, i, v)
		}
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = strconv.AppendFloat(buf, float64(v), 'g', -1, 32)
	}
	return append(buf, ']'), nil
}
