package engine

import (
	"slices"
	"strings"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/cuda"
	"github.com/klauspost/cpuid/v2"
)

// Info is what fluxcore knows about the machine and what Open chose, as `fluxcore info`
// prints it.
type Info struct {
	// Backend is "cpu" or "cuda"; Device names the instance, e.g. "cpu/avx2" or "cuda:0".
	Backend backend.Kind `json:"backend"`
	Device  string       `json:"device"`
	// Reason says in words why this backend was chosen.
	Reason string           `json:"reason"`
	CPU    CPUInfo          `json:"cpu"`
	CUDA   cuda.ProbeResult `json:"cuda"`
	// Ops says where each op runs: on the chosen backend, or on the host CPU where the
	// chosen backend lacks it (Fallback then gives the reason).
	Ops []OpInfo `json:"ops"`
	// Domains are the domains linked into this program (RegisterDomain) and where they run.
	Domains []DomainInfo `json:"domains"`
}

// OpInfo is where one op runs.
type OpInfo struct {
	Op       backend.Op `json:"op"`
	Device   string     `json:"device"`
	Fallback string     `json:"fallback,omitempty"`
}

func describeOps(chosen backend.Backend, host backend.Backend, fallbacks map[backend.Op]string) []OpInfo {
	var ops []OpInfo
	for _, op := range backend.AllOps {
		info := OpInfo{Op: op, Device: chosen.Name()}
		if reason, ok := fallbacks[op]; ok {
			info.Device, info.Fallback = host.Name(), reason
		}
		ops = append(ops, info)
	}
	return ops
}

// CPUInfo describes the processor and the CPU backend's configuration.
type CPUInfo struct {
	Model string `json:"model"`
	// Variant is the ISA level the CPU kernels run at; Supported lists every level this
	// build and processor can run, from the most portable.
	Variant   string   `json:"variant"`
	Supported []string `json:"supported_variants"`
	Features  []string `json:"features"`
	Workers   int      `json:"workers"`
	Threads   int      `json:"threads"`
	// Memory is where the CPU backend places buffers: go, or a checking placement
	// (guard-end, guard-start, c) chosen through FLUXCORE_CPU_MEMORY.
	Memory string `json:"memory"`
}

func cpuModel() string {
	if m := strings.TrimSpace(cpuid.CPU.BrandName); m != "" {
		return m
	}
	return cpuid.CPU.VendorString
}

// cpuFeatures lists the SIMD features relevant to fluxcore's kernels, lower-case.
func cpuFeatures() []string {
	relevant := []cpuid.FeatureID{
		cpuid.SSE2, cpuid.SSE3, cpuid.SSSE3, cpuid.SSE4, cpuid.SSE42, cpuid.AVX, cpuid.AVX2, cpuid.FMA3,
		cpuid.F16C, cpuid.BMI1, cpuid.BMI2, cpuid.AVX512F, cpuid.AVX512DQ, cpuid.AVX512CD,
		cpuid.AVX512BW, cpuid.AVX512VL, cpuid.AVX512VNNI, cpuid.AVX512BF16, cpuid.AVX512FP16,
	}
	feats := []string{}
	for _, f := range relevant {
		if cpuid.CPU.Supports(f) {
			feats = append(feats, strings.ToLower(f.String()))
		}
	}
	slices.Sort(feats)
	return feats
}
