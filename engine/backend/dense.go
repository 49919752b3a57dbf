package backend

import (
	"context"
	"errors"
	"fmt"
)

// Activation is the pointwise nonlinearity an operation's epilogue applies.
type Activation int32

// The kernels see these as FC_ACT_*.
//
//fc:c FC_ACT_ Act
const (
	ActNone Activation = 0
	// ActGELU is the exact (erf) GELU, PyTorch's F.gelu default.
	ActGELU Activation = 1
)

func (a Activation) String() string {
	switch a {
	case ActNone:
		return "none"
	case ActGELU:
		return "gelu"
	}
	return fmt.Sprintf("Activation(%d)", int32(a))
}

// Matrix views part of a float32 buffer as a batch of row-major matrices: matrix b, row r,
// column c is element Offset + b·BatchStride + r·LD + c. A BatchStride of 0 shares one matrix
// across the batch; an LD of 0 means Cols (dense rows).
type Matrix struct {
	Buf         Buffer
	Offset      int
	Rows, Cols  int
	LD          int
	BatchStride int
}

// RowStride is LD with its default applied.
func (m Matrix) RowStride() int {
	if m.LD == 0 {
		return m.Cols
	}
	return m.LD
}

// check validates the view for batch entries. Its errors leave the view's name to the
// caller, so that a valid call formats nothing and allocates nothing.
func (m Matrix) check(batch int) error {
	if m.Buf == nil {
		return errors.New("buffer is nil")
	}
	floats, ok := FloatLen(m.Buf)
	if !ok {
		return fmt.Errorf("buffer holds %s, want float32 (or complex64 viewed as pairs)", m.Buf.DType())
	}
	if m.Rows <= 0 || m.Cols <= 0 || m.Rows > maxInt32Extent || m.Cols > maxInt32Extent ||
		m.Offset < 0 || m.BatchStride < 0 || m.LD < 0 {
		return fmt.Errorf("view %d×%d at offset %d, ld %d, batch stride %d: extents must be 1..2³¹−1 and offsets ≥ 0",
			m.Rows, m.Cols, m.Offset, m.LD, m.BatchStride)
	}
	if m.RowStride() < m.Cols {
		return fmt.Errorf("row stride %d is shorter than a row of %d", m.RowStride(), m.Cols)
	}
	last := int64(m.Offset) + int64(batch-1)*int64(m.BatchStride) + int64(m.Rows-1)*int64(m.RowStride()) + int64(m.Cols)
	if last > int64(floats) {
		return fmt.Errorf("view %d×%d (ld %d) ×%d batches at offset %d needs %d elements, buffer has %d",
			m.Rows, m.Cols, m.RowStride(), batch, m.Offset, last, floats)
	}
	return nil
}

// FloatLen is the number of float32 values a buffer holds when a dense operation reads it:
// its length for float32, twice that for complex64 (interleaved re, im), and false otherwise
// (including a nil buffer).
func FloatLen(buf Buffer) (int, bool) {
	if buf == nil {
		return 0, false
	}
	switch buf.DType() {
	case Float32:
		return buf.Len(), true
	case Complex64:
		return 2 * buf.Len(), true
	}
	return 0, false
}

// maxInt32Extent bounds each extent passed to the kernels as int32.
const maxInt32Extent = 1<<31 - 1

// Gemm is one batched matrix product with a fused epilogue:
//
//	C[b] = Act(A[b]·B[b] + Bias ⊗ 1 + Addend[b])
//
// A is M×K, B is K×N, C and Addend are M×N. Bias (M float32 values) and Addend are optional.
// C must not overlap A, B or Bias; it may be Addend itself (same view), which makes the
// product accumulate in place.
type Gemm struct {
	Batch   int
	A, B, C Matrix
	Bias    Buffer
	Addend  *Matrix
	Act     Activation
}

// Flops counts 2·M·N·K per batch entry.
func (g Gemm) Flops() float64 {
	return 2 * float64(g.Batch) * float64(g.C.Rows) * float64(g.C.Cols) * float64(g.A.Cols)
}

// Validate checks the shapes, views and epilogue of g, naming the first problem.
func (g Gemm) Validate() error {
	if g.Batch <= 0 || g.Batch > maxInt32Extent {
		return fmt.Errorf("gemm: batch = %d, want 1..%d", g.Batch, maxInt32Extent)
	}
	for _, m := range []struct {
		name string
		view Matrix
	}{{"A", g.A}, {"B", g.B}, {"C", g.C}} {
		if err := m.view.check(g.Batch); err != nil {
			return fmt.Errorf("gemm: %s: %w", m.name, err)
		}
	}
	if g.A.Rows != g.C.Rows || g.B.Cols != g.C.Cols || g.A.Cols != g.B.Rows {
		return fmt.Errorf("gemm: A is %d×%d, B is %d×%d, C is %d×%d: want A M×K, B K×N, C M×N",
			g.A.Rows, g.A.Cols, g.B.Rows, g.B.Cols, g.C.Rows, g.C.Cols)
	}
	if g.C.BatchStride == 0 && g.Batch > 1 {
		return errors.New("gemm: C has batch stride 0, so every batch entry would overwrite the same matrix")
	}
	if g.Bias != nil {
		if g.Bias.DType() != Float32 || g.Bias.Len() != g.C.Rows {
			return fmt.Errorf("gemm: bias is %d %s values, want %d float32 (one per row of C)", g.Bias.Len(), g.Bias.DType(), g.C.Rows)
		}
	}
	if g.Addend != nil {
		if err := g.Addend.check(g.Batch); err != nil {
			return fmt.Errorf("gemm: addend: %w", err)
		}
		if g.Addend.Rows != g.C.Rows || g.Addend.Cols != g.C.Cols {
			return fmt.Errorf("gemm: addend is %d×%d, C is %d×%d", g.Addend.Rows, g.Addend.Cols, g.C.Rows, g.C.Cols)
		}
		if g.Addend.Buf == g.C.Buf && *g.Addend != g.C {
			return errors.New("gemm: addend shares C's buffer with a different view; only the same view may alias")
		}
	}
	for _, in := range []Buffer{g.A.Buf, g.B.Buf, g.Bias} {
		if in == g.C.Buf {
			return errors.New("gemm: C aliases an input (A, B or bias)")
		}
	}
	switch g.Act {
	case ActNone, ActGELU:
	default:
		return fmt.Errorf("gemm: unknown activation %v", g.Act)
	}
	return nil
}

// MLP is a two-layer channel MLP applied to a batch of matrices, each column one point:
//
//	Y[b] = W2·Act(W1·X[b] + Bias1 ⊗ 1) + Bias2 ⊗ 1
//
// X is In×N and Y Out×N (views); W1 is Hidden×In and W2 Out×Hidden, dense row-major and
// shared across the batch; the biases (Hidden and Out values) are optional. It is a pair of
// Gemms fused so that the Hidden×N activations, usually the widest tensor of a network (an
// FNO's projection widens to 128 channels), never leave the cache. Y must not overlap any
// input.
type MLP struct {
	Batch        int
	X, Y         Matrix
	Hidden       int
	W1, W2       Buffer
	Bias1, Bias2 Buffer
	Act          Activation
}

// Flops counts both products, 2·N·Hidden·(In + Out) per batch entry.
func (p MLP) Flops() float64 {
	return 2 * float64(p.Batch) * float64(p.X.Cols) * float64(p.Hidden) * float64(p.X.Rows+p.Y.Rows)
}

// Validate checks the shapes, views and weights of p, naming the first problem.
func (p MLP) Validate() error {
	if p.Batch <= 0 || p.Batch > maxInt32Extent {
		return fmt.Errorf("mlp: batch = %d, want 1..%d", p.Batch, maxInt32Extent)
	}
	if err := p.X.check(p.Batch); err != nil {
		return fmt.Errorf("mlp: X: %w", err)
	}
	if err := p.Y.check(p.Batch); err != nil {
		return fmt.Errorf("mlp: Y: %w", err)
	}
	if p.X.Cols != p.Y.Cols {
		return fmt.Errorf("mlp: X has %d columns (points), Y has %d", p.X.Cols, p.Y.Cols)
	}
	if p.Hidden <= 0 || p.Hidden > maxInt32Extent {
		return fmt.Errorf("mlp: hidden width %d, want 1..%d", p.Hidden, maxInt32Extent)
	}
	if p.Y.BatchStride == 0 && p.Batch > 1 {
		return errors.New("mlp: Y has batch stride 0, so every batch entry would overwrite the same matrix")
	}
	in, out := p.X.Rows, p.Y.Rows
	for _, w := range []struct {
		name     string
		buf      Buffer
		want     int
		shape    string // a format of rows and cols, applied only for an error
		rows     int
		cols     int
		optional bool
	}{
		{"W1", p.W1, p.Hidden * in, "%d×%d (hidden × in)", p.Hidden, in, false},
		{"W2", p.W2, out * p.Hidden, "%d×%d (out × hidden)", out, p.Hidden, false},
		{"bias1", p.Bias1, p.Hidden, "one per hidden unit%.0d%.0d", 0, 0, true},
		{"bias2", p.Bias2, out, "one per output row%.0d%.0d", 0, 0, true},
	} {
		if w.buf == nil {
			if w.optional {
				continue
			}
			return fmt.Errorf("mlp: %s is nil", w.name)
		}
		if w.buf.DType() != Float32 || w.buf.Len() != w.want {
			return fmt.Errorf("mlp: %s is %d %s values, want %d float32 (%s)", w.name, w.buf.Len(), w.buf.DType(), w.want,
				fmt.Sprintf(w.shape, w.rows, w.cols))
		}
		if w.buf == p.Y.Buf {
			return fmt.Errorf("mlp: Y aliases %s", w.name)
		}
	}
	if p.X.Buf == p.Y.Buf {
		return errors.New("mlp: Y aliases X")
	}
	switch p.Act {
	case ActNone, ActGELU:
	default:
		return fmt.Errorf("mlp: unknown activation %v", p.Act)
	}
	return nil
}

// CombineShape is the extent of a ComplexCombine: Outer independent blocks, each turning
// 2·Rows rows of P (the products with the real and then the imaginary part of a complex
// matrix) into Rows complex rows of Pairs (re, im) values.
type CombineShape struct {
	Outer, Rows, Pairs int
}

// PLen and ZLen are the float32 element counts of the two operands; longer buffers are
// used from their start.
func (s CombineShape) PLen() int { return s.Outer * 2 * s.Rows * 2 * s.Pairs }
func (s CombineShape) ZLen() int { return s.Outer * s.Rows * 2 * s.Pairs }

// CheckCombine validates a ComplexCombine call.
func CheckCombine(z, p Buffer, s CombineShape) error {
	if s.Outer <= 0 || s.Rows <= 0 || s.Pairs <= 0 || s.Rows > maxInt32Extent {
		return fmt.Errorf("complex combine: shape %+v: extents must be positive, rows at most 2³¹−1", s)
	}
	for _, op := range []struct {
		name string
		buf  Buffer
		want int
	}{{"P", p, s.PLen()}, {"Z", z, s.ZLen()}} {
		if n, ok := FloatLen(op.buf); !ok || n < op.want {
			return fmt.Errorf("complex combine: %s must hold at least %d float32 values for shape %+v", op.name, op.want, s)
		}
	}
	if z == p {
		return errors.New("complex combine: Z aliases P")
	}
	return nil
}

// Box describes a copy between two dense tensors of shape [Outer, d0, d1, d2] that differ only
// in their spatial extents: the overlap (the minimum of each extent) is copied and the rest
// of the destination is set to zero. It pads an activation on the right of each axis and
// crops it back. Unused trailing axes have extent 1. Either buffer may hold more (a runner's
// buffers fit its largest batch): the box covers the first Outer rows.
type Box struct {
	Outer    int
	Src, Dst [3]int
}

// Len of the source and destination in elements.
func (bx Box) SrcLen() int { return bx.Outer * bx.Src[0] * bx.Src[1] * bx.Src[2] }
func (bx Box) DstLen() int { return bx.Outer * bx.Dst[0] * bx.Dst[1] * bx.Dst[2] }

// CheckBox validates a CopyBox call.
func CheckBox(dst, src Buffer, bx Box) error {
	if bx.Outer <= 0 {
		return fmt.Errorf("copy box: outer = %d, want > 0", bx.Outer)
	}
	for i := range 3 {
		if bx.Src[i] <= 0 || bx.Dst[i] <= 0 {
			return fmt.Errorf("copy box: extents %v → %v must be positive", bx.Src, bx.Dst)
		}
	}
	for _, op := range []struct {
		name string
		buf  Buffer
		want int
		dims [3]int
	}{{"source", src, bx.SrcLen(), bx.Src}, {"destination", dst, bx.DstLen(), bx.Dst}} {
		if op.buf == nil || op.buf.DType() != Float32 || op.buf.Len() < op.want {
			return fmt.Errorf("copy box: %s must hold %d float32 values (%d×%v)", op.name, op.want, bx.Outer, op.dims)
		}
	}
	if dst == src {
		return errors.New("copy box: destination aliases source")
	}
	return nil
}

// CheckActivate validates an Activate call.
func CheckActivate(x Matrix, batch int, act Activation) error {
	if batch <= 0 || batch > maxInt32Extent {
		return fmt.Errorf("activate: batch = %d, want 1..%d", batch, maxInt32Extent)
	}
	if err := x.check(batch); err != nil {
		return fmt.Errorf("activate: %w", err)
	}
	switch act {
	case ActNone, ActGELU:
		return nil
	}
	return fmt.Errorf("activate: unknown activation %v", act)
}

// Dense is the set of dense float32 operations a neural-operator forward pass is built from.
// Every backend implements it.
type Dense interface {
	Gemm(ctx context.Context, g Gemm) error
	MLP(ctx context.Context, p MLP) error
	// ComplexCombine finishes a complex matrix product done as a real one (see
	// kernels/include/fc_gemm.h): z[o][k] = P[o][k] ⊙ (Re) combined with P[o][Rows+k] (Im).
	ComplexCombine(ctx context.Context, z, p Buffer, s CombineShape) error
	// CopyBox copies src into dst per Box, zero-filling dst outside the overlap.
	CopyBox(ctx context.Context, dst, src Buffer, bx Box) error
	// Activate applies act in place to batch matrix views, x.BatchStride apart; what the
	// views skip is left untouched.
	Activate(ctx context.Context, x Matrix, batch int, act Activation) error
}
