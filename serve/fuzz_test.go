package serve

import (
	"encoding/binary"
	"testing"

	"github.com/fluxcore/fluxcore/engine/limits"
)

// FuzzDecodeREST: no body or header length makes the REST decoder panic, and every input
// it accepts holds exactly the values its shape declares.
func FuzzDecodeREST(f *testing.F) {
	f.Add([]byte(`{"id":"a","inputs":[{"name":"input","datatype":"FP32","shape":[1,4,1],"data":[[1],[2],[3],[4]]}]}`), -1)
	f.Add([]byte(`{"inputs":[{"name":"x","datatype":"FP32","shape":[2],"data":[1e39,-0]}],"outputs":[{"name":"y","parameters":{"binary_data":true}}]}`), -1)
	head := []byte(`{"parameters":{"binary_data_output":true,"timeout":5},"inputs":[{"name":"input","datatype":"FP32","shape":[2,1],"parameters":{"binary_data_size":8}}]}`)
	f.Add(binary.LittleEndian.AppendUint64(head[:len(head):len(head)], 0x3f8000003f800000), len(head))
	f.Fuzz(func(t *testing.T, body []byte, jsonLen int) {
		req, err := decodeREST(body, jsonLen)
		if err != nil {
			return
		}
		for _, in := range req.Inputs {
			n, err := limits.Product("shape", limits.MaxArrayElements, in.Shape...)
			if err != nil || n != len(in.F32) {
				t.Fatalf("input %q: shape %v, %d values", in.Name, in.Shape, len(in.F32))
			}
		}
	})
}
