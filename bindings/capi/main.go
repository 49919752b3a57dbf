// Command capi is fluxcore's C ABI, built with -buildmode=c-shared or c-archive into
// libfluxcore. bindings/include/fluxcore.h is its hand-written, versioned header; the C entry
// points (entry_gen.c, generated from the header) check for a forked child and call the Go
// functions exported here as fcgo_<name>. Every one of those recovers from panics and turns
// its error into a status and the calling thread's last-error message.
package main

/*
#include "capi.h"
*/
import "C"

import (
	"sync"

	"github.com/fluxcore/fluxcore/engine"
)

// abiVersion is FLUXCORE_ABI_VERSION in fluxcore.h (capi_test.go checks it).
const abiVersion = engine.ABIVersion

// exportsMap is set by the Makefile's link flags to the export map's checksum, only so that
// an edit to the map relinks the library.
var exportsMap string

func main() {}

var versionOnce = sync.OnceValue(func() *C.char { return C.CString(engine.Version().String()) })

// fcgo_version is called once, by fluxcore_version; the string lives as long as the process.
//
//export fcgo_version
func fcgo_version() *C.char { return versionOnce() }
