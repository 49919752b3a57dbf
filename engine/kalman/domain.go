package kalman

import (
	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/backend"
)

func init() {
	engine.RegisterDomain(engine.Domain{
		Name:    "kalman",
		Summary: "one predict and/or update step of many small Kalman filters",
		Entry:   "kalman.Predict, kalman.Update, kalman.ReadStep",
		Ops:     []backend.Op{backend.OpKalman},
	})
}
