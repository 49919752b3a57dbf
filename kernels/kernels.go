// Package kernels holds fluxcore's numerical kernels and what is generated from them.
//
//   - include/*.h: the formulas, as FC_HD static inline C that nvcc and cgo both compile;
//   - cuda/*.cu: the __global__ entry points (thread mapping, reductions);
//   - cpu/*.c: the CPU loops, compiled per ISA variant by engine/cpu;
//   - module/: the fatbin nvcc made from cuda/*.cu and a manifest recording the hash of the
//     sources it came from. Both are committed, so `go build -tags cuda` needs no nvcc.
//
// This package holds the generator's pure-Go half (source hashing, signature parsing,
// launcher rendering, the freshness check). `make kernels` (go run ./kernels/gen)
// regenerates module/ and engine/cuda's typed launchers; `go test ./kernels` fails when the
// sources changed and the outputs did not.
package kernels

// Manifest records how module/ was produced.
type Manifest struct {
	SourcesSHA256 string   `json:"sources_sha256"`
	NVCCVersion   string   `json:"nvcc_version"`
	Architectures []string `json:"architectures"`
	Kernels       []string `json:"kernels"`
}
