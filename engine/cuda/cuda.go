//go:build cuda

package cuda

import (
	"fmt"
	"sync"

	"github.com/mumax/3/cuda/cu"
)

// Compiled reports whether this build contains the CUDA backend.
const Compiled = true

var (
	probeOnce sync.Once
	probed    ProbeResult
)

// Probe initializes the driver once per process and lists the devices. It never panics:
// a missing driver library fails at link time, and every driver error is a Reason.
func Probe() ProbeResult {
	probeOnce.Do(func() { probed = probe() })
	r := probed
	r.Devices = append(make([]Device, 0, len(probed.Devices)), probed.Devices...)
	return r
}

func probe() ProbeResult {
	r := ProbeResult{Compiled: true, Devices: []Device{}}
	if err := guard("cuInit", func() { cu.Init(0) }); err != nil {
		r.Reason = err.Error()
		return r
	}
	if v, err := driverVersion(); err == nil {
		r.DriverVersion = v
	}
	var count int
	if err := guard("cuDeviceGetCount", func() { count = cu.DeviceGetCount() }); err != nil {
		r.Reason = err.Error()
		return r
	}
	for i := range count {
		d, err := describe(i)
		if err != nil {
			r.Reason = err.Error()
			return r
		}
		r.Devices = append(r.Devices, d)
	}
	if count == 0 {
		r.Reason = "cuda: the driver reports no devices"
		return r
	}
	r.Available = true
	r.Reason = fmt.Sprintf("cuda: %d device(s), driver supports CUDA %s", count, r.DriverVersion)
	return r
}

func describe(ordinal int) (Device, error) {
	d := Device{Ordinal: ordinal}
	err := guard(fmt.Sprintf("describe device %d", ordinal), func() {
		dev := cu.DeviceGet(ordinal)
		major, minor := dev.ComputeCapability()
		d.Name = dev.Name()
		d.ComputeCapability = fmt.Sprintf("%d.%d", major, minor)
		d.MemoryBytes = dev.TotalMem()
		d.Multiprocessors = dev.Attribute(cu.MULTIPROCESSOR_COUNT)
	})
	return d, err
}
