package backend

import (
	"reflect"
	"slices"
	"testing"
)

// The op list (kernels/ops.go, generated into AllOps) names exactly the Backend methods
// that are operations: everything but memory, identity and lifetime.
func TestAllOpsAreTheBackendMethods(t *testing.T) {
	notOps := []string{"Kind", "Name", "Alloc", "Free", "Upload", "Download", "Synchronize", "Close"}
	typ := reflect.TypeFor[Backend]()
	var methods []string
	for i := range typ.NumMethod() {
		if m := typ.Method(i).Name; !slices.Contains(notOps, m) {
			methods = append(methods, m)
		}
	}
	var listed []string
	for _, op := range AllOps {
		listed = append(listed, string(op))
	}
	slices.Sort(methods)
	slices.Sort(listed)
	if !slices.Equal(methods, listed) {
		t.Errorf("Backend's op methods %v, kernels/ops.go lists %v", methods, listed)
	}
}
