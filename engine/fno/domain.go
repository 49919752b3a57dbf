package fno

import (
	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/backend"
)

func init() {
	engine.RegisterDomain(engine.Domain{
		Name:    "fno",
		Summary: "Fourier Neural Operator inference from PyTorch checkpoints, with BOON boundary corrections",
		Entry:   "fno.Load, Model.NewRunner, Runner.Forward/ForwardAll, fno.BoundarySource",
		Ops: []backend.Op{backend.OpSpectralMix, backend.OpGemm, backend.OpMLP, backend.OpComplexCombine, backend.OpCopyBox,
			backend.OpActivate, backend.OpNewFFT, backend.OpGatherModes, backend.OpFaces, backend.OpAddScaled},
	})
}
