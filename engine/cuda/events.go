//go:build cuda

package cuda

// The mumax bindings have no event API; these few calls fill that gap and return
// CUresult like the driver does, so they need no guard.

// #include <cuda.h>
import "C"

import (
	"time"
	"unsafe"

	"github.com/mumax/3/cuda/cu"
)

// event wraps a driver event handle; the zero value is no event.
type event struct{ h C.CUevent }

func check(op string, r C.CUresult) error {
	if r != C.CUDA_SUCCESS {
		return &Error{Op: op, Result: cu.Result(r).String()}
	}
	return nil
}

func newEvent() (event, error) {
	var e event
	err := check("cuEventCreate", C.cuEventCreate(&e.h, C.CU_EVENT_DEFAULT))
	return e, err
}

func (e event) record(s cu.Stream) error {
	// cu.Stream is the CUstream handle's bits held in a uintptr.
	return check("cuEventRecord", C.cuEventRecord(e.h, *(*C.CUstream)(unsafe.Pointer(&s))))
}

func (e event) synchronize() error {
	return check("cuEventSynchronize", C.cuEventSynchronize(e.h))
}

// destroy releases the event; destroying the zero event does nothing.
func (e event) destroy() error {
	if e.h == nil {
		return nil
	}
	return check("cuEventDestroy", C.cuEventDestroy(e.h))
}

// elapsed is the device time from start to end, both recorded and complete.
func elapsed(start, end event) (time.Duration, error) {
	var ms C.float
	if err := check("cuEventElapsedTime", C.cuEventElapsedTime(&ms, start.h, end.h)); err != nil {
		return 0, err
	}
	return time.Duration(float64(ms) * float64(time.Millisecond)), nil
}

// driverVersion is the CUDA version the installed driver supports, as "major.minor".
func driverVersion() (string, error) {
	var v C.int
	if err := check("cuDriverGetVersion", C.cuDriverGetVersion(&v)); err != nil {
		return "", err
	}
	return formatVersion(int(v)), nil
}
