package enginetest

import "testing"

// TestConformance runs the suite on every backend this machine has.
func TestConformance(t *testing.T) { ForEachBackend(t, Run) }
