package cpu

// #include "dispatch_gen.h"
import "C"

import (
	"fmt"
	"strings"

	"github.com/klauspost/cpuid/v2"
)

// Variant is an ISA level that the CPU kernels are compiled for.
type Variant int

const (
	Generic Variant = C.FC_CPU_GENERIC // baseline x86-64
	AVX2    Variant = C.FC_CPU_AVX2    // x86-64-v3: AVX2 + FMA
	AVX512  Variant = C.FC_CPU_AVX512  // x86-64-v4: AVX-512 F/VL/BW/DQ/CD
)

// AllVariants lists every variant from the most portable to the fastest.
var AllVariants = []Variant{Generic, AVX2, AVX512}

func (v Variant) String() string {
	switch v {
	case Generic:
		return "generic"
	case AVX2:
		return "avx2"
	case AVX512:
		return "avx512"
	}
	return fmt.Sprintf("Variant(%d)", int(v))
}

// ParseVariant reads a variant name as FLUXCORE_CPU spells it.
func ParseVariant(name string) (Variant, error) {
	for _, v := range AllVariants {
		if strings.EqualFold(name, v.String()) {
			return v, nil
		}
	}
	return 0, fmt.Errorf("cpu: unknown variant %q (want generic, avx2 or avx512)", name)
}

// Compiled reports whether this build contains code for v.
func (v Variant) Compiled() bool { return C.fc_cpu_variant_compiled(C.int(v)) != 0 }

// Check reports why v cannot run on this machine, or nil if it can.
func (v Variant) Check() error {
	if !v.Compiled() {
		return fmt.Errorf("cpu: variant %s is not compiled into this build (compiler or architecture lacks it)", v)
	}
	var need []cpuid.FeatureID
	switch v {
	case AVX2:
		need = []cpuid.FeatureID{cpuid.AVX, cpuid.AVX2, cpuid.FMA3, cpuid.BMI1, cpuid.BMI2, cpuid.F16C, cpuid.LZCNT, cpuid.MOVBE, cpuid.POPCNT}
	case AVX512:
		need = []cpuid.FeatureID{cpuid.AVX2, cpuid.FMA3, cpuid.AVX512F, cpuid.AVX512VL, cpuid.AVX512BW, cpuid.AVX512DQ, cpuid.AVX512CD}
	}
	var missing []string
	for _, f := range need {
		if !cpuid.CPU.Supports(f) {
			missing = append(missing, f.String())
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("cpu: variant %s needs %s, which this CPU (%s) lacks", v, strings.Join(missing, ", "), cpuid.CPU.BrandName)
	}
	return nil
}

// Supported lists the variants that both this build and this CPU can run.
func Supported() []Variant {
	var vs []Variant
	for _, v := range AllVariants {
		if v.Check() == nil {
			vs = append(vs, v)
		}
	}
	return vs
}

// Best is the fastest supported variant.
func Best() Variant {
	vs := Supported()
	return vs[len(vs)-1]
}
