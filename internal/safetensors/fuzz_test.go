package safetensors

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: no input panics, and every tensor of an accepted file lies within it with as
// many bytes as its shape and dtype need.
func FuzzParse(f *testing.F) {
	// Small seeds: the fuzzer mutates whole inputs, and a checkpoint of 80 kB slows it to a
	// few executions a second. A header with one small tensor, and the catalogue's headers.
	f.Add([]byte("\x48\x00\x00\x00\x00\x00\x00\x00" + `{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{}}` + "\x00\x00\x80\x3f\x00\x00\x00\x40"))
	hostile, _ := filepath.Glob("../../testdata/hostile/model_[hn]*.safetensors")
	for _, path := range hostile {
		if raw, err := os.ReadFile(path); err == nil && len(raw) < 4096 {
			f.Add(raw)
		}
	}
	f.Add([]byte("\x02\x00\x00\x00\x00\x00\x00\x00{}"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		file, err := Parse(raw)
		if err != nil {
			return
		}
		for _, name := range file.Names() {
			tn := file.Tensor(name)
			n := dtypeSizes[tn.DType]
			for _, d := range tn.Shape {
				n *= d
			}
			if n != len(tn.data) || len(tn.data) > len(raw) {
				t.Fatalf("tensor %q: shape %v of %s holds %d bytes, data %d", name, tn.Shape, tn.DType, n, len(tn.data))
			}
		}
	})
}
