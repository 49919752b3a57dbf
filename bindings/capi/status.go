package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"unsafe"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/limits"
	"github.com/fluxcore/fluxcore/internal/lifetime"
)

// Errors that choose a status other than invalid argument. Functions wrap them with %w.
var (
	errUnsupported = errors.New("unsupported")
	errBusy        = errors.New("busy")
	errInternal    = errors.New("internal error")
	errNoMemory    = errors.New("out of memory")
)

// call runs f as the body of an exported function: a panic becomes FLUXCORE_ERR_INTERNAL,
// and an error becomes its status and the calling thread's last-error message.
func call(name string, f func() error) (status C.int) {
	defer func() {
		if r := recover(); r != nil {
			status = fail(fmt.Errorf("fluxcore_%s: %w: panic: %v", name, errInternal, r))
		}
	}()
	if err := f(); err != nil {
		return fail(fmt.Errorf("fluxcore_%s: %w", name, err))
	}
	return C.FLUXCORE_OK
}

// fail stores err's message in the calling thread's last error (the exported functions run
// on the C thread that called them) and returns err's status.
func fail(err error) C.int {
	msg := err.Error()
	C.fc_set_error((*C.char)(unsafe.Pointer(unsafe.StringData(msg))), C.size_t(len(msg)))
	return C.int(statusOf(err))
}

// statusOf classifies err: the first sentinel found in its chain decides.
func statusOf(err error) C.fluxcore_status {
	var pathErr *fs.PathError
	switch {
	case err == nil:
		return C.FLUXCORE_OK
	case errors.Is(err, errInternal):
		return C.FLUXCORE_ERR_INTERNAL
	case errors.Is(err, limits.ErrBudget), errors.Is(err, errNoMemory):
		return C.FLUXCORE_ERR_OUT_OF_MEMORY
	case errors.Is(err, errBusy), errors.Is(err, lifetime.ErrBusy):
		return C.FLUXCORE_ERR_BUSY
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return C.FLUXCORE_ERR_CANCELLED
	case errors.Is(err, errUnsupported), errors.Is(err, engine.ErrVariantUnavailable):
		return C.FLUXCORE_ERR_UNSUPPORTED
	case errors.Is(err, engine.ErrDeviceUnavailable):
		return C.FLUXCORE_ERR_DEVICE
	case errors.As(err, &pathErr):
		return C.FLUXCORE_ERR_IO
	}
	return C.FLUXCORE_ERR_INVALID_ARGUMENT
}

// copyJSON writes data into the caller's buffer under fluxcore's buffer rules: NUL
// terminated, the length (without the NUL) in *lenOut, too small a buffer an error.
func copyJSON(data []byte, buf *C.char, bufLen C.size_t, lenOut *C.size_t) error {
	if lenOut != nil {
		*lenOut = C.size_t(len(data))
	}
	if buf == nil || uint64(bufLen) < uint64(len(data))+1 {
		return fmt.Errorf("buffer of %d bytes, need %d", bufLen, len(data)+1)
	}
	dst := unsafe.Slice((*byte)(unsafe.Pointer(buf)), len(data)+1)
	copy(dst, data)
	dst[len(data)] = 0
	return nil
}
