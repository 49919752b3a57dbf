package engine

import (
	"slices"
	"testing"

	"github.com/fluxcore/fluxcore/engine/backend"
)

// A domain lists the ops among its own that fall back, and only those.
func TestDomainFallbacks(t *testing.T) {
	d := Domain{Name: "two-ops", Ops: []backend.Op{backend.OpSpectralMix, backend.OpKalman}}
	got := describeDomains([]Domain{d}, "dev", map[backend.Op]string{backend.OpKalman: "lacks it", backend.OpTrajScore: "lacks it"})
	if len(got) != 1 || !slices.Equal(got[0].Fallback, []backend.Op{backend.OpKalman}) || got[0].Device != "dev" {
		t.Errorf("got %+v, want two-ops on dev with Kalman falling back", got)
	}
}

// Registering one name twice, or an op that does not exist, is a programming error.
func TestRegisterDomainRefusesMistakes(t *testing.T) {
	RegisterDomain(Domain{Name: "registered-by-test", Entry: "none"})
	defer func() {
		domainsMu.Lock()
		delete(domains, "registered-by-test")
		domainsMu.Unlock()
	}()
	for _, d := range []Domain{{Name: "registered-by-test"}, {Name: "no-such-op", Ops: []backend.Op{"Teleport"}}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("RegisterDomain(%+v) did not panic", d)
				}
			}()
			RegisterDomain(d)
		}()
	}
}
