package backend

import (
	"fmt"
	"math"
)

// MixShape is the extent of a SpectralMix call: Batch rows, In and Out channels, and Modes
// kept Fourier modes (all spatial dimensions flattened).
type MixShape struct {
	Batch, In, Out, Modes int
}

// InLen, WeightLen and OutLen are the element counts of the three operands.
func (s MixShape) InLen() int     { return s.Batch * s.In * s.Modes }
func (s MixShape) WeightLen() int { return s.In * s.Out * s.Modes }
func (s MixShape) OutLen() int    { return s.Batch * s.Out * s.Modes }

// Flops counts real floating-point operations: 8 per complex multiply-accumulate.
func (s MixShape) Flops() float64 {
	return 8 * float64(s.Batch) * float64(s.In) * float64(s.Out) * float64(s.Modes)
}

// Validate checks that every extent is positive and small enough for the kernels' 32-bit
// extents, and that no operand's element count overflows.
func (s MixShape) Validate() error {
	dims := []struct {
		name string
		v    int
	}{{"batch", s.Batch}, {"in channels", s.In}, {"out channels", s.Out}, {"modes", s.Modes}}
	for _, d := range dims {
		if d.v <= 0 || d.v > math.MaxInt32 {
			return fmt.Errorf("spectral mix: %s = %d, want 1..%d", d.name, d.v, math.MaxInt32)
		}
	}
	for _, n := range [][3]int{{s.Batch, s.In, s.Modes}, {s.In, s.Out, s.Modes}, {s.Batch, s.Out, s.Modes}} {
		if float64(n[0])*float64(n[1])*float64(n[2]) > math.MaxInt64/16 {
			return fmt.Errorf("spectral mix: operand of %d×%d×%d elements is too large", n[0], n[1], n[2])
		}
	}
	return nil
}

// CheckMix validates a SpectralMix call's shape and operands, naming the first problem.
func CheckMix(out, in, w Buffer, s MixShape) error {
	if err := s.Validate(); err != nil {
		return err
	}
	ops := []struct {
		name string
		buf  Buffer
		want int
		dims [3]int // formatted only for an error: a warm call allocates nothing
	}{
		{"input", in, s.InLen(), [3]int{s.Batch, s.In, s.Modes}},
		{"weights", w, s.WeightLen(), [3]int{s.In, s.Out, s.Modes}},
		{"output", out, s.OutLen(), [3]int{s.Batch, s.Out, s.Modes}},
	}
	for _, op := range ops {
		if op.buf == nil {
			return fmt.Errorf("spectral mix: %s buffer is nil", op.name)
		}
		if op.buf.DType() != Complex64 {
			return fmt.Errorf("spectral mix: %s buffer holds %s, want complex64", op.name, op.buf.DType())
		}
		// The input and output may hold more samples than Batch (a runner's buffers fit its
		// largest batch); the weights are exactly the shape's.
		if op.buf.Len() < op.want || (op.name == "weights" && op.buf.Len() != op.want) {
			return fmt.Errorf("spectral mix: %s buffer has %d elements, want [%d,%d,%d] = %d", op.name, op.buf.Len(),
				op.dims[0], op.dims[1], op.dims[2], op.want)
		}
	}
	if out == in || out == w {
		return fmt.Errorf("spectral mix: output buffer aliases an input")
	}
	return nil
}
