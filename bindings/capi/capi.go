// Command capi is fluxcore's C ABI, built with -buildmode=c-shared or c-archive into
// libfluxcore; bindings/include/fluxcore.h is its hand-written, versioned header. Each
// exported function recovers from panics, so none crosses into C.
package main

/*
#include <stddef.h>
#include <stdint.h>
*/
import "C"

import (
	"context"
	"encoding/json"
	"fmt"
	"unsafe"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/backend"
)

// abiVersion is FLUXCORE_ABI_VERSION in fluxcore.h (capi_test.go checks it).
const abiVersion = engine.ABIVersion

type C_int = C.int

func main() {}

// guarded runs f and turns a panic into an error, so that a bug never unwinds into C.
func guarded(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("fluxcore: internal error: %v", r)
		}
	}()
	return f()
}

//export fluxcore_abi_version
func fluxcore_abi_version() C.int { return abiVersion }

//export fluxcore_open
func fluxcore_open(device, cpuVariant *C.char, out *C.int64_t) C.int {
	return status(0, guarded(func() error {
		if out == nil {
			return fmt.Errorf("fluxcore_open: out is NULL")
		}
		opts := engine.Options{}
		if device != nil {
			opts.Device = C.GoString(device)
		}
		if cpuVariant != nil {
			opts.CPUVariant = C.GoString(cpuVariant)
		}
		e, err := engine.Open(opts)
		if err != nil {
			return err
		}
		*out = C.int64_t(register(e))
		return nil
	}))
}

//export fluxcore_close
func fluxcore_close(h C.int64_t) C.int {
	return status(int64(h), guarded(func() error {
		e, err := unregister(int64(h))
		if err != nil {
			return err
		}
		return e.Close()
	}))
}

//export fluxcore_set_memory_budget
func fluxcore_set_memory_budget(h C.int64_t, bytes C.int64_t) C.int {
	return status(int64(h), guarded(func() error {
		e, err := lookup(int64(h))
		if err != nil {
			return err
		}
		return e.Budget().SetLimit(int64(bytes))
	}))
}

//export fluxcore_info_json
func fluxcore_info_json(h C.int64_t, buf *C.char, bufLen C.size_t, lenOut *C.size_t) C.int {
	return status(int64(h), guarded(func() error {
		e, err := lookup(int64(h))
		if err != nil {
			return err
		}
		data, err := json.Marshal(e.Info())
		if err != nil {
			return err
		}
		if lenOut != nil {
			*lenOut = C.size_t(len(data))
		}
		if buf == nil || int(bufLen) < len(data)+1 {
			return fmt.Errorf("fluxcore_info_json: buffer of %d bytes, need %d", bufLen, len(data)+1)
		}
		copyToC(buf, bufLen, string(data))
		return nil
	}))
}

//export fluxcore_spectral_mix
func fluxcore_spectral_mix(h C.int64_t, in, w, out *C.float, batch, nIn, nOut, nModes C.int32_t) C.int {
	return status(int64(h), guarded(func() error {
		e, err := lookup(int64(h))
		if err != nil {
			return err
		}
		s := backend.MixShape{Batch: int(batch), In: int(nIn), Out: int(nOut), Modes: int(nModes)}
		if err := s.Validate(); err != nil {
			return err
		}
		for name, p := range map[string]*C.float{"in": in, "w": w, "out": out} {
			if p == nil {
				return fmt.Errorf("fluxcore_spectral_mix: %s is NULL", name)
			}
		}
		return backend.SpectralMixHost(context.Background(), e.Backend(), s,
			complexSlice(out, s.OutLen()), complexSlice(in, s.InLen()), complexSlice(w, s.WeightLen()))
	}))
}

// complexSlice views caller-owned interleaved floats as complex64 values.
func complexSlice(p *C.float, n int) []complex64 {
	return unsafe.Slice((*complex64)(unsafe.Pointer(p)), n)
}

//export fluxcore_errmsg
func fluxcore_errmsg(h C.int64_t, buf *C.char, bufLen C.size_t) C.size_t {
	msg := lastError(int64(h))
	if buf != nil && bufLen > 0 {
		copyToC(buf, bufLen, msg)
	}
	return C.size_t(len(msg))
}

// copyToC writes s into buf, truncated to fit with its NUL terminator.
func copyToC(buf *C.char, bufLen C.size_t, s string) {
	n := min(len(s), int(bufLen)-1)
	dst := unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(bufLen))
	copy(dst, s[:n])
	dst[n] = 0
}
