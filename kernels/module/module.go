// Package module embeds the CUDA module generated from kernels/cuda by `make kernels`.
package module

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/fluxcore/fluxcore/kernels"
)

// Fatbin is the CUDA module: SASS for each target architecture plus PTX for newer ones.
//
//go:embed fluxcore.fatbin
var Fatbin []byte

// ManifestJSON is the manifest committed beside the fatbin.
//
//go:embed manifest.json
var ManifestJSON []byte

// Manifest decodes ManifestJSON.
func Manifest() (kernels.Manifest, error) {
	var m kernels.Manifest
	if err := json.Unmarshal(ManifestJSON, &m); err != nil {
		return m, fmt.Errorf("kernels/module: manifest.json: %w", err)
	}
	return m, nil
}
