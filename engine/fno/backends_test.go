//go:build !cuda

package fno_test

import (
	"testing"

	"github.com/fluxcore/fluxcore/engine/backend"
)

func extraBackends(t *testing.T) []backend.Backend { return nil }
