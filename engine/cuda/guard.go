//go:build cuda

package cuda

import (
	"fmt"

	"github.com/mumax/3/cuda/cu"
	"github.com/mumax/3/cuda/cufft"
)

// Error is a CUDA driver or cuFFT failure, with the operation that hit it.
type Error struct {
	Op     string
	Result string // e.g. "CUDA_ERROR_NO_DEVICE"
}

func (e *Error) Error() string { return fmt.Sprintf("cuda: %s: %s", e.Op, e.Result) }

// guard runs f, which calls the mumax bindings, and turns their panics into an *Error.
func guard(op string, f func()) (err error) {
	defer func() {
		switch r := recover().(type) {
		case nil:
		case cu.Result:
			err = &Error{Op: op, Result: r.String()}
		case cufft.Result:
			err = &Error{Op: op, Result: r.String()}
		case error:
			err = fmt.Errorf("cuda: %s: %w", op, r)
		default:
			err = fmt.Errorf("cuda: %s: %v", op, r)
		}
	}()
	f()
	return nil
}
