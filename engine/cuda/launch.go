//go:build cuda

package cuda

import (
	"unsafe"

	"github.com/mumax/3/cuda/cu"
)

// launchConfig is the geometry and stream of one launch. It travels with each call, so
// launches from different goroutines share no state.
type launchConfig struct {
	grid, block [3]int
	sharedBytes int
	stream      cu.Stream
}

// launch enqueues f. Each argument is one 64-bit word that the generated launchers filled
// with the parameter's bits; cuLaunchKernel reads only as many bytes as the parameter has.
func launch(f cu.Function, cfg launchConfig, words []uint64) {
	params := make([]unsafe.Pointer, len(words))
	for i := range words {
		params[i] = unsafe.Pointer(&words[i])
	}
	cu.LaunchKernel(f, cfg.grid[0], cfg.grid[1], cfg.grid[2], cfg.block[0], cfg.block[1], cfg.block[2],
		cfg.sharedBytes, cfg.stream, params)
}
