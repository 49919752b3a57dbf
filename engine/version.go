package engine

import (
	"fmt"
	"runtime/debug"
)

// ABIVersion is the version of the C ABI, FLUXCORE_ABI_VERSION in
// bindings/include/fluxcore.h; a test in bindings/capi checks that the two agree.
const ABIVersion = 2

// BuildVersion identifies a fluxcore build.
type BuildVersion struct {
	// Module is the module version the binary was built at ("(devel)" in a checkout).
	Module string `json:"module"`
	// Revision and Time are the VCS commit and its time, when the build recorded them;
	// Modified says the tree had uncommitted changes.
	Revision string `json:"revision,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
	ABI      int    `json:"abi"`
}

// Version reads the build information Go embeds in every binary.
func Version() BuildVersion {
	v := BuildVersion{Module: "(unknown)", ABI: ABIVersion}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v.Go = info.GoVersion
	if info.Main.Version != "" {
		v.Module = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

func (v BuildVersion) String() string {
	s := "fluxcore " + v.Module
	if v.Revision != "" {
		rev := v.Revision[:min(12, len(v.Revision))]
		if v.Modified {
			rev += "+modified"
		}
		s += fmt.Sprintf(" (%s, %s)", rev, v.Time)
	}
	return s + fmt.Sprintf(", C ABI %d, %s", v.ABI, v.Go)
}
