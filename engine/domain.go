package engine

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/fluxcore/fluxcore/engine/backend"
)

// Domain is one of fluxcore's capabilities as the engine knows it: its name, the Go entry
// points a caller uses, and the backend ops it runs. Each domain package registers itself
// when it is linked in, so that Info, the CLI and the other front ends list the same
// domains, and can tell whether each runs wholly on the chosen device.
//
// Every domain follows one convention: constructors and calls take a context.Context, the
// backend (Engine.Backend) and a config struct; long-lived objects have a Close that waits
// for calls in flight, after which calls fail with ErrClosed.
type Domain struct {
	Name, Summary string
	// Entry names the Go entry points, for people reading Info.
	Entry string
	// Ops are the backend ops the domain runs.
	Ops []backend.Op
}

var (
	domainsMu sync.Mutex
	domains   = map[string]Domain{}
)

// RegisterDomain adds d to the domains every Engine reports. Domain packages call it from
// init; registering a name twice panics, as a duplicate flag definition does.
func RegisterDomain(d Domain) {
	domainsMu.Lock()
	defer domainsMu.Unlock()
	if _, dup := domains[d.Name]; dup {
		panic(fmt.Sprintf("engine: domain %q registered twice", d.Name))
	}
	for _, op := range d.Ops {
		if !slices.Contains(backend.AllOps, op) {
			panic(fmt.Sprintf("engine: domain %q runs unknown op %q", d.Name, op))
		}
	}
	domains[d.Name] = d
}

// Domains lists the registered domains by name.
func Domains() []Domain {
	domainsMu.Lock()
	defer domainsMu.Unlock()
	out := make([]Domain, 0, len(domains))
	for _, d := range domains {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b Domain) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// DomainInfo is where a domain runs: on Device, except for the ops listed in Fallback,
// which run on the host because the device lacks them.
type DomainInfo struct {
	Name     string       `json:"name"`
	Summary  string       `json:"summary"`
	Entry    string       `json:"entry"`
	Device   string       `json:"device"`
	Fallback []backend.Op `json:"fallback,omitempty"`
}

func describeDomains(list []Domain, device string, fallbacks map[backend.Op]string) []DomainInfo {
	var out []DomainInfo
	for _, d := range list {
		info := DomainInfo{Name: d.Name, Summary: d.Summary, Entry: d.Entry, Device: device}
		for _, op := range d.Ops {
			if _, ok := fallbacks[op]; ok {
				info.Fallback = append(info.Fallback, op)
			}
		}
		out = append(out, info)
	}
	return out
}
