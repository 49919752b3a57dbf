package kernels

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
)

// CheckFresh reports whether the committed manifest and launchers were generated from the
// sources in dir: the manifest's hash must match and the launchers must be what the
// generator would write now. It needs no nvcc.
func CheckFresh(dir fs.FS, manifestJSON, launchers []byte) error {
	var m Manifest
	if err := json.Unmarshal(manifestJSON, &m); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	hash, err := SourcesHash(dir)
	if err != nil {
		return err
	}
	if hash != m.SourcesSHA256 {
		return fmt.Errorf("kernel sources changed since the fatbin was built (sources %s, manifest %s)", hash[:12], m.SourcesSHA256[:min(12, len(m.SourcesSHA256))])
	}
	ks, err := ParseKernels(dir)
	if err != nil {
		return err
	}
	want, err := RenderLaunchers(ks)
	if err != nil {
		return err
	}
	if !bytes.Equal(want, launchers) {
		return fmt.Errorf("engine/cuda/launch_gen.go differs from what the kernel signatures generate")
	}
	return nil
}
