// Package cuda is fluxcore's CUDA backend, built on the mumax driver-API bindings. It is
// compiled with the `cuda` build tag; without it, the package only reports that CUDA is not
// compiled in, so the default build needs nothing from the CUDA toolkit.
//
// The mumax bindings panic on every CUDA error. Every call into them here goes through
// guard, which turns the panic into an error, so nothing panics across this package's API.
package cuda

import "fmt"

// Device describes one CUDA device as the driver reports it.
type Device struct {
	Ordinal           int    `json:"ordinal"`
	Name              string `json:"name"`
	ComputeCapability string `json:"compute_capability"`
	Multiprocessors   int    `json:"multiprocessors"`
	MemoryBytes       int64  `json:"memory_bytes"`
}

// ID is the name FLUXCORE_DEVICE uses for the device, "cuda:N".
func (d Device) ID() string { return fmt.Sprintf("cuda:%d", d.Ordinal) }

// ProbeResult is what the driver said when asked, once per process, which devices exist.
type ProbeResult struct {
	// Compiled reports whether this build contains the CUDA backend.
	Compiled bool `json:"compiled"`
	// Available is true when the driver initialized and reported at least one device.
	Available bool `json:"available"`
	// Reason says, in words, why CUDA is unavailable, or which devices were found.
	Reason string `json:"reason"`
	// DriverVersion is the CUDA version the driver supports, e.g. "12.4"; empty if unknown.
	DriverVersion string   `json:"driver_version,omitempty"`
	Devices       []Device `json:"devices"`
}
