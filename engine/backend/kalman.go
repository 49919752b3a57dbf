package backend

import (
	"errors"
	"fmt"
)

// Limits of the Kalman step, FC_KALMAN_MAX_NX and FC_KALMAN_MAX_NZ: the matrices of one
// filter live in one GPU thread's registers.
//
//fc:c FC_KALMAN_ Kalman
const (
	KalmanMaxNX = 16
	KalmanMaxNZ = 8
)

// Per-filter outcomes of a Kalman update, in its Status buffer (FC_KALMAN_*).
//
//fc:c FC_KALMAN_ Kalman
const (
	KalmanOK = 0
	// KalmanNotPD: the innovation covariance S = HPHᵀ + R is not positive definite; the
	// filter was left as it was.
	KalmanNotPD = 1
	// KalmanNonFinite: the step overflowed the storage type (or met NaN) and left a
	// non-finite value in the filter's x or P. The kernels never write it; the domain code
	// that checks their output does.
	KalmanNonFinite = 2
)

// Kalman is one step of Filters independent Kalman filters with NX states and NZ
// measurements (see kernels/include/fc_kalman.h), in place on X and P, computed in float64
// whatever the storage type:
//
//	predict (Update false): x = F·x, P = F·P·Fᵀ + Q
//	update  (Update true):  S = HPHᵀ + R, K = PHᵀS⁻¹ by Cholesky, x += K(z − Hx),
//	                        P = (I − KH)P(I − KH)ᵀ + KRKᵀ (Joseph form), exactly symmetric
//
// Every buffer has one dtype, Float32 or Float64, and is batch-innermost: element (i, j) of
// filter b's r×c matrix is at (i·c + j)·Filters + b (X is [NX, Filters], Z [NZ, Filters], P
// [NX, NX, Filters]). F, Q, H and R are either per filter in that layout or, when their
// Shared flag is set, one row-major matrix for all. Status (Int32, [Filters]) receives each
// filter's KalmanOK or KalmanNotPD on an update.
type Kalman struct {
	Filters, NX, NZ int
	Update          bool

	X, P    Buffer
	F, Q    Buffer // predict
	H, R, Z Buffer // update
	Status  Buffer // update
	SharedF bool
	SharedQ bool
	SharedH bool
	SharedR bool
}

// DType is the storage type of the step's arrays (X's).
func (k Kalman) DType() DType {
	if k.X == nil {
		return 0
	}
	return k.X.DType()
}

// Validate checks the extents and buffers of k, naming the first problem.
func (k Kalman) Validate() error {
	if k.Filters <= 0 || k.Filters > maxInt32Extent {
		return fmt.Errorf("kalman: %d filters, want 1..%d", k.Filters, maxInt32Extent)
	}
	if k.NX < 1 || k.NX > KalmanMaxNX {
		return fmt.Errorf("kalman: state dimension %d, want 1..%d", k.NX, KalmanMaxNX)
	}
	dt := k.DType()
	if dt != Float32 && dt != Float64 {
		return fmt.Errorf("kalman: state is %v, want float32 or float64", dt)
	}
	b, nx, nz := k.Filters, k.NX, k.NZ
	size := func(shared bool, rows, cols int) int {
		if shared {
			return rows * cols
		}
		return rows * cols * b
	}
	type operand struct {
		name string
		buf  Buffer
		want int
	}
	ops := []operand{{"x", k.X, nx * b}, {"P", k.P, nx * nx * b}}
	if k.Update {
		if k.NZ < 1 || k.NZ > KalmanMaxNZ {
			return fmt.Errorf("kalman: measurement dimension %d, want 1..%d", k.NZ, KalmanMaxNZ)
		}
		ops = append(ops, operand{"H", k.H, size(k.SharedH, nz, nx)}, operand{"R", k.R, size(k.SharedR, nz, nz)},
			operand{"z", k.Z, nz * b})
		if k.Status == nil || k.Status.DType() != Int32 || k.Status.Len() != b {
			return fmt.Errorf("kalman: status must be %d int32 values, one per filter", b)
		}
	} else {
		ops = append(ops, operand{"F", k.F, size(k.SharedF, nx, nx)}, operand{"Q", k.Q, size(k.SharedQ, nx, nx)})
	}
	for _, op := range ops {
		if op.buf == nil {
			return fmt.Errorf("kalman: %s is missing", op.name)
		}
		if op.buf.DType() != dt || op.buf.Len() != op.want {
			return fmt.Errorf("kalman: %s is %d %s values, want %d %s", op.name, op.buf.Len(), op.buf.DType(), op.want, dt)
		}
	}
	if k.X == k.P {
		return errors.New("kalman: x and P share a buffer")
	}
	for _, in := range []Buffer{k.F, k.Q, k.H, k.R, k.Z} {
		if in != nil && (in == k.X || in == k.P) {
			return errors.New("kalman: a model matrix or the measurements alias the state")
		}
	}
	return nil
}
