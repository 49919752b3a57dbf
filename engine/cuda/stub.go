//go:build !cuda

package cuda

import (
	"errors"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/limits"
)

// Compiled reports whether this build contains the CUDA backend.
const Compiled = false

var errNotCompiled = errors.New("cuda: not compiled in (build with -tags cuda)")

// Probe reports that this build has no CUDA backend.
func Probe() ProbeResult {
	return ProbeResult{Reason: errNotCompiled.Error(), Devices: []Device{}}
}

// Open fails: this build has no CUDA backend.
func Open(ordinal int, budget *limits.Budget) (backend.Backend, error) { return nil, errNotCompiled }
