// Package engine chooses where fluxcore computes, once, at Open: a usable CUDA device if
// there is one (when the build has CUDA), else the CPU at the fastest ISA variant the
// processor supports. The domain packages (FNO inference, conservation updates, trajectory
// scoring) run on an Engine's Backend, so they never choose a device themselves.
package engine

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/cpu"
	"github.com/fluxcore/fluxcore/engine/cuda"
	"github.com/fluxcore/fluxcore/engine/limits"
	"github.com/fluxcore/fluxcore/internal/lifetime"
)

// Environment variables read by Open when the matching option is empty.
const (
	EnvDevice = "FLUXCORE_DEVICE" // auto | cpu | cuda | cuda:N
	EnvCPU    = "FLUXCORE_CPU"    // generic | avx2 | avx512
	EnvMemory = cpu.EnvMemory     // go | guard-end | guard-start | c: see cpu.Memory
)

// Options configure Open. Each empty field falls back to its environment variable, then to
// automatic choice; a field that is set wins over the environment.
type Options struct {
	// Device is auto, cpu, cuda (the best CUDA device) or cuda:N. An explicit cuda that
	// cannot be had is an error, never a silent fall-back.
	Device string
	// CPUVariant pins the CPU kernels' ISA level: generic, avx2 or avx512 (or auto).
	// Pinning one the processor lacks is an error.
	CPUVariant string
	// CPUWorkers is the number of goroutines of a CPU operation; 0 means GOMAXPROCS.
	CPUWorkers int
	// CPUMemory places the CPU backend's buffers: go (the default), or guard-end,
	// guard-start or c to track down out-of-bounds accesses (see cpu.Memory).
	CPUMemory string
	// Budget bounds the bytes of the buffers the engine holds at once, on the device or the
	// host; nil is a budget of limits.DefaultBudgetBytes (2 GiB). Share it with the
	// context of a request (limits.WithBudget) to bound what is read and built on the host
	// for it too, as the CLI's --mem-budget does.
	Budget *limits.Budget
}

// Errors every fluxcore object returns for misuse of its lifetime; test with errors.Is.
var (
	// ErrClosed: a call on an Engine, a Runner or a Planner after its Close.
	ErrClosed = lifetime.ErrClosed
	// ErrBusy: a second goroutine entered an object made for one caller at a time.
	ErrBusy = lifetime.ErrBusy
)

// Engine is an opened backend with the record of why it was chosen. Its methods are safe
// for concurrent use, Close included: after Close, Backend still returns the (closed)
// backend, whose operations fail with ErrClosed.
type Engine struct {
	backend backend.Backend
	info    Info
	budget  *limits.Budget
	closed  atomic.Bool
}

// Open chooses and opens a backend.
func Open(opts Options) (*Engine, error) {
	spec, err := ParseDevice(firstSet(opts.Device, os.Getenv(EnvDevice), "auto"))
	if err != nil {
		return nil, err
	}
	variantName := firstSet(opts.CPUVariant, os.Getenv(EnvCPU), "auto")
	memory, err := cpu.ParseMemory(opts.CPUMemory) // "" leaves it to $FLUXCORE_CPU_MEMORY
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	budget := opts.Budget
	if budget == nil {
		budget, _ = limits.NewBudget(0)
	}
	cpuOpts := cpu.Options{Workers: opts.CPUWorkers, Memory: memory, Budget: budget}
	if variantName != "auto" {
		v, err := cpu.ParseVariant(variantName)
		if err != nil {
			return nil, fmt.Errorf("engine: %w", err)
		}
		if err := v.Check(); err != nil {
			return nil, marked{fmt.Errorf("engine: %s=%s: %w", EnvCPU, variantName, err), ErrVariantUnavailable}
		}
		cpuOpts.Variant = &v
	}
	// The CPU backend is opened whatever the device, so that a pinned variant the processor
	// lacks is reported even when CUDA is chosen, and Info always describes the CPU.
	host, err := cpu.New(cpuOpts)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	probe := cuda.Probe()
	info := Info{CPU: describeCPU(host), CUDA: probe}

	chosen, reason, err := choose(spec, probe, host, budget)
	if err != nil {
		return nil, err
	}
	info.Backend = chosen.Kind()
	info.Device = chosen.Name()
	info.Reason = reason
	b, fallbacks := route(chosen, host)
	info.Ops = describeOps(chosen, host, fallbacks)
	info.Domains = describeDomains(Domains(), chosen.Name(), fallbacks)
	return &Engine{backend: b, info: info, budget: budget}, nil
}

// Open's errors for what the caller asked for by name and this machine cannot give; test with
// errors.Is (the C ABI reports them as a device error and as unsupported).
var (
	ErrDeviceUnavailable  = errors.New("requested device unavailable")
	ErrVariantUnavailable = errors.New("requested CPU variant unavailable")
)

// marked is an error that errors.Is also matches to mark, its message unchanged.
type marked struct {
	error
	mark error
}

func (m marked) Is(target error) bool { return target == m.mark }
func (m marked) Unwrap() error        { return m.error }

// choose applies the device request to what the probe found.
func choose(spec DeviceSpec, probe cuda.ProbeResult, host *cpu.Backend, budget *limits.Budget) (backend.Backend, string, error) {
	switch spec.Kind {
	case backend.KindCPU:
		return host, "cpu requested", nil
	case backend.KindCUDA:
		if !probe.Available {
			return nil, "", marked{fmt.Errorf("engine: device %q requested but CUDA is unavailable: %s", spec, probe.Reason), ErrDeviceUnavailable}
		}
		ordinal := spec.Ordinal
		if ordinal < 0 {
			ordinal = bestDevice(probe.Devices)
		}
		b, err := cuda.Open(ordinal, budget)
		if err != nil {
			return nil, "", marked{fmt.Errorf("engine: device %q requested but cannot be opened: %w", spec, err), ErrDeviceUnavailable}
		}
		return b, fmt.Sprintf("%s requested", spec), nil
	}
	// auto
	if !probe.Available {
		return host, fmt.Sprintf("cpu: CUDA unavailable (%s)", probe.Reason), nil
	}
	ordinal := bestDevice(probe.Devices)
	b, err := cuda.Open(ordinal, budget)
	if err != nil {
		return host, fmt.Sprintf("cpu: CUDA device %d failed to open (%v)", ordinal, err), nil
	}
	return b, fmt.Sprintf("cuda:%d: best of %d CUDA device(s)", ordinal, len(probe.Devices)), nil
}

// bestDevice scores devices by compute capability, then multiprocessors, then memory, the
// way ggml ranks its backends; the lowest ordinal wins ties.
func bestDevice(devs []cuda.Device) int {
	best := 0
	for i, d := range devs {
		b := devs[best]
		if d.ComputeCapability != b.ComputeCapability {
			if versionLess(b.ComputeCapability, d.ComputeCapability) {
				best = i
			}
			continue
		}
		if d.Multiprocessors > b.Multiprocessors || (d.Multiprocessors == b.Multiprocessors && d.MemoryBytes > b.MemoryBytes) {
			best = i
		}
	}
	return devs[best].Ordinal
}

func versionLess(a, b string) bool {
	var amaj, amin, bmaj, bmin int
	fmt.Sscanf(a, "%d.%d", &amaj, &amin)
	fmt.Sscanf(b, "%d.%d", &bmaj, &bmin)
	return amaj < bmaj || (amaj == bmaj && amin < bmin)
}

func firstSet(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// Backend is the chosen backend, on which every operation runs. Every domain constructor
// (fno.Model.NewRunner, traj.NewPlanner) and call (conserve.Update, kalman.Predict) takes it.
func (e *Engine) Backend() backend.Backend { return e.backend }

// Err is ErrClosed (wrapped) once Close has begun, else nil.
func (e *Engine) Err() error {
	if e.closed.Load() {
		return fmt.Errorf("engine: %w", ErrClosed)
	}
	return nil
}

// Budget is what the engine's buffers are charged to.
func (e *Engine) Budget() *limits.Budget { return e.budget }

// Info describes the machine and the choice Open made.
func (e *Engine) Info() Info { return e.info }

// Close releases the backend; a second Close returns ErrClosed.
func (e *Engine) Close() error {
	if e == nil || e.backend == nil {
		return errors.New("engine: Close of an engine that is not open")
	}
	if e.closed.Swap(true) {
		return fmt.Errorf("engine: Close: %w", ErrClosed)
	}
	return e.backend.Close()
}

func describeCPU(host *cpu.Backend) CPUInfo {
	info := CPUInfo{
		Model:    cpuModel(),
		Variant:  host.Variant().String(),
		Features: cpuFeatures(),
		Workers:  host.Workers(),
		Threads:  runtime.NumCPU(),
		Memory:   host.Memory().String(),
	}
	for _, v := range cpu.Supported() {
		info.Supported = append(info.Supported, v.String())
	}
	return info
}
