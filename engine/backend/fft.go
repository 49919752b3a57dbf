package backend

import (
	"context"
	"errors"
	"fmt"
)

// FFTShape describes a batched real FFT: Batch grids with extents Dims (1 to 3 axes, the last
// one real). The spectrum is complex64 [Batch, Dims[0], …, Dims[d−2], Columns]: the first
// Columns of the last axis's n/2+1 rfft modes, over the full complex transform of every
// outer axis.
type FFTShape struct {
	Batch   int
	Dims    []int
	Columns int
}

// Half is n/2+1 for the last axis, the most Columns can be.
func (s FFTShape) Half() int { return s.Dims[len(s.Dims)-1]/2 + 1 }

// GridLen and SpectrumLen are the element counts of the two sides.
func (s FFTShape) GridLen() int {
	n := s.Batch
	for _, d := range s.Dims {
		n *= d
	}
	return n
}

func (s FFTShape) SpectrumLen() int {
	n := s.Batch * s.Columns
	for _, d := range s.Dims[:len(s.Dims)-1] {
		n *= d
	}
	return n
}

// Validate names the first thing wrong with s.
func (s FFTShape) Validate() error {
	if len(s.Dims) < 1 || len(s.Dims) > 3 {
		return fmt.Errorf("fft: %d dimensions %v, want 1, 2 or 3", len(s.Dims), s.Dims)
	}
	if s.Batch < 1 || s.Batch > maxInt32Extent {
		return fmt.Errorf("fft: batch %d, want 1..%d", s.Batch, maxInt32Extent)
	}
	for a, n := range s.Dims {
		if n < 1 || n > maxInt32Extent {
			return fmt.Errorf("fft: axis %d has extent %d, want 1..%d", a, n, maxInt32Extent)
		}
	}
	if s.Columns < 1 || s.Columns > s.Half() {
		return fmt.Errorf("fft: %d columns of a last axis of %d points, want 1..%d", s.Columns, s.Dims[len(s.Dims)-1], s.Half())
	}
	return nil
}

// FFT is a planned transform on one backend. Its buffers are the backend's; it is safe for
// concurrent use only where the backend says so (each executor should plan its own).
type FFT interface {
	// Shape is the layout the plan computes. A backend may widen Columns to Half (cuFFT
	// always produces every column); callers must read it rather than assume their request.
	Shape() FFTShape
	// Forward is the unnormalized rfftn of Batch grids (float32) into the spectrum
	// (complex64), as numpy.fft.rfftn.
	Forward(ctx context.Context, spectrum, grid Buffer) error
	// Inverse is the unnormalized irfftn (without numpy's 1/N) of the spectrum, whose
	// columns past Columns are zero, into Batch grids. Like numpy it ignores the imaginary
	// parts of the DC and Nyquist columns after the outer axes are inverted, so spectra
	// that are not Hermitian come back as numpy would return them. It overwrites spectrum.
	Inverse(ctx context.Context, grid, spectrum Buffer) error
	// SetRows makes the calls that follow transform at least the first rows grids
	// (1..Batch; all of them until it is called). The CPU transforms exactly those, since it
	// pairs lines and a stale line must not meet a live one; cuFFT's plans are made for
	// Batch, and its grids do not mix, so it transforms them all.
	SetRows(rows int) error
	Close() error
}

// CheckRows validates a SetRows count for a transform of batch grids.
func CheckRows(rows, batch int) error {
	if rows < 1 || rows > batch {
		return fmt.Errorf("fft: %d rows, the plan is made for 1..%d", rows, batch)
	}
	return nil
}

// CheckFFT validates the operands of a transform with shape s.
func CheckFFT(s FFTShape, spectrum, grid Buffer) error {
	if grid == nil || grid.DType() != Float32 || grid.Len() != s.GridLen() {
		return fmt.Errorf("fft: grid must be %d float32 values (batch %d × %v)", s.GridLen(), s.Batch, s.Dims)
	}
	if spectrum == nil || spectrum.DType() != Complex64 || spectrum.Len() != s.SpectrumLen() {
		return fmt.Errorf("fft: spectrum must be %d complex64 values (batch %d × %v with %d columns)",
			s.SpectrumLen(), s.Batch, s.Dims[:len(s.Dims)-1], s.Columns)
	}
	return nil
}

// Gather moves complex values between two row layouts: for every one of Rows rows,
//
//	dst[r][j] = Scale · src[r][Index[j]]   (0 where Index[j] < 0)
//
// with rows of SrcLen and DstLen values. Index is an Int32 buffer of DstLen entries. It picks
// the kept modes out of a spectrum and puts them back. The buffers may hold more rows than
// Rows: the first Rows are moved.
type Gather struct {
	Rows, SrcLen, DstLen int
	Index                Buffer
	Scale                float32
}

// CheckGather validates a GatherModes call. The index values themselves are checked where
// the index is built (they live on the device).
func CheckGather(dst, src Buffer, g Gather) error {
	if g.Rows < 1 || g.SrcLen < 1 || g.DstLen < 1 {
		return fmt.Errorf("gather modes: %d rows of %d → %d values, want all ≥ 1", g.Rows, g.SrcLen, g.DstLen)
	}
	if g.Index == nil || g.Index.DType() != Int32 || g.Index.Len() != g.DstLen {
		return fmt.Errorf("gather modes: index must be %d int32 values", g.DstLen)
	}
	if src == nil || src.DType() != Complex64 || src.Len() < g.Rows*g.SrcLen {
		return fmt.Errorf("gather modes: source must hold %d complex64 values (%d rows × %d)", g.Rows*g.SrcLen, g.Rows, g.SrcLen)
	}
	if dst == nil || dst.DType() != Complex64 || dst.Len() < g.Rows*g.DstLen {
		return fmt.Errorf("gather modes: destination must hold %d complex64 values (%d rows × %d)", g.Rows*g.DstLen, g.Rows, g.DstLen)
	}
	if dst == src {
		return errors.New("gather modes: destination aliases source")
	}
	return nil
}

// Spectra are the Fourier operations every backend provides.
type Spectra interface {
	// NewFFT plans transforms of shape s (see FFT.Shape for how the layout may differ).
	NewFFT(s FFTShape) (FFT, error)
	// GatherModes runs g from src into dst.
	GatherModes(ctx context.Context, dst, src Buffer, g Gather) error
}
