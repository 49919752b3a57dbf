package conserve

import (
	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/backend"
)

func init() {
	engine.RegisterDomain(engine.Domain{
		Name:    "conserve",
		Summary: "ProbConserv's conservation-constrained update of Gaussian predictions",
		Entry:   "conserve.Update, conserve.Files",
		Ops:     []backend.Op{backend.OpConserve},
	})
}
