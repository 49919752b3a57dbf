package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fluxcore/fluxcore/engine/backend"
)

// DeviceSpec is a parsed device request: Kind is empty for auto; Ordinal is -1 unless a
// specific CUDA device was named.
type DeviceSpec struct {
	Kind    backend.Kind
	Ordinal int
}

func (s DeviceSpec) String() string {
	switch {
	case s.Kind == "":
		return "auto"
	case s.Ordinal >= 0:
		return fmt.Sprintf("%s:%d", s.Kind, s.Ordinal)
	}
	return string(s.Kind)
}

// ParseDevice reads auto, cpu, cuda or cuda:N.
func ParseDevice(s string) (DeviceSpec, error) {
	switch name := strings.ToLower(strings.TrimSpace(s)); {
	case name == "auto":
		return DeviceSpec{Ordinal: -1}, nil
	case name == "cpu":
		return DeviceSpec{Kind: backend.KindCPU, Ordinal: -1}, nil
	case name == "cuda":
		return DeviceSpec{Kind: backend.KindCUDA, Ordinal: -1}, nil
	case strings.HasPrefix(name, "cuda:"):
		n, err := strconv.Atoi(name[len("cuda:"):])
		if err != nil || n < 0 {
			return DeviceSpec{}, fmt.Errorf("engine: device %q: want cuda:N with N a device ordinal ≥ 0", s)
		}
		return DeviceSpec{Kind: backend.KindCUDA, Ordinal: n}, nil
	}
	return DeviceSpec{}, fmt.Errorf("engine: device %q: want auto, cpu, cuda or cuda:N", s)
}
