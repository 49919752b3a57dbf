package backend

import (
	"context"
	"errors"
	"fmt"
)

// FaceOp is one of BOON's boundary operations on the two faces of an axis. The values match
// FC_FACE_* in kernels/include/fc_boon.h, where the formulas are.
type FaceOp int32

// The kernels see these as FC_FACE_*.
//
//fc:c FC_FACE_ Face
const (
	// FaceEliminateLeft writes the left elimination into Dst's first face from X and K = K(X);
	// Dst is otherwise a copy of X.
	FaceEliminateLeft FaceOp = 0
	// FaceEliminateRight writes 2·Dst[Base] − K_{N−1}/K_NN into Dst's last face, K = K(Dst).
	FaceEliminateRight FaceOp = 1
	// FaceDirichlet sets the faces to Left and Right.
	FaceDirichlet FaceOp = 2
	// FaceNeumann sets each face to the value whose stencil flux is Left (Right).
	FaceNeumann FaceOp = 3
	// FacePeriodic sets both faces to their mean.
	FacePeriodic FaceOp = 4
	// FaceMollify smooths the Smooth−1 rows next to each face (the published 2-D code).
	FaceMollify FaceOp = 5
)

func (op FaceOp) String() string {
	switch op {
	case FaceEliminateLeft:
		return "eliminate-left"
	case FaceEliminateRight:
		return "eliminate-right"
	case FaceDirichlet:
		return "dirichlet"
	case FaceNeumann:
		return "neumann"
	case FacePeriodic:
		return "periodic"
	case FaceMollify:
		return "mollify"
	}
	return fmt.Sprintf("FaceOp(%d)", int32(op))
}

// Faces is one face operation on Dst, a float32 tensor viewed as [Outer, N, Inner]: the axis
// has N points and its faces are rows 0 and N−1. Only the buffers the op reads need be set.
type Faces struct {
	Op              FaceOp
	Outer, N, Inner int
	Dst             Buffer

	// X and K (elimination): the kernel's input and output, shaped like Dst.
	X, K Buffer
	// Probes (elimination): 3·Period values [K_0N | K_NN | K̃_00], indexed by face point mod Period.
	Probes Buffer
	Period int
	// Base (right elimination): the row that is doubled, N−1 (0 reproduces the published
	// 2-D/3-D code).
	Base int

	// Left and Right (Dirichlet values, Neumann fluxes) are [samples, Lead, Inner], where
	// Outer = samples·Channels·Lead: Channels rows share a sample's data, and Lead is the
	// extent of the axes before this one.
	Left, Right    Buffer
	Channels, Lead int
	Stencil        Buffer // Neumann: StencilLeft coefficients, then StencilRight
	StencilLeft    int
	StencilRight   int
	Smooth         int // mollifier width
}

// Validate checks f's shape, operands and lengths, naming the first problem.
func (f Faces) Validate() error {
	if f.Outer <= 0 || f.N < 2 || f.Inner <= 0 {
		return f.errorf("shape [%d, %d, %d], want outer ≥ 1, n ≥ 2, inner ≥ 1", f.Outer, f.N, f.Inner)
	}
	total := f.Outer * f.N * f.Inner
	if err := f.need("dst", f.Dst, total); err != nil {
		return err
	}
	switch f.Op {
	case FaceEliminateLeft, FaceEliminateRight:
		return f.checkEliminate(total)
	case FaceDirichlet, FaceNeumann:
		return f.checkData()
	case FacePeriodic:
		return nil
	case FaceMollify:
		if f.Smooth < 2 || f.N < f.Smooth+1 {
			return f.errorf("width %d on an axis of %d points, want 2 ≤ width < n", f.Smooth, f.N)
		}
		return nil
	}
	return fmt.Errorf("faces: unknown operation %d", int32(f.Op))
}

// errorf prefixes the op's name; it runs only for an invalid call, so a valid one
// allocates nothing.
func (f Faces) errorf(format string, args ...any) error {
	return fmt.Errorf("faces %s: %s", f.Op, fmt.Sprintf(format, args...))
}

func (f Faces) need(what string, buf Buffer, n int) error {
	if buf == nil || buf.DType() != Float32 || buf.Len() < n {
		return f.errorf("%s must be at least %d float32 values", what, n)
	}
	return nil
}

func (f Faces) checkEliminate(total int) error {
	if f.Period <= 0 {
		return f.errorf("probe period %d, want ≥ 1", f.Period)
	}
	if err := f.need("k", f.K, total); err != nil {
		return err
	}
	if err := f.need("probes", f.Probes, 3*f.Period); err != nil {
		return err
	}
	if f.Op == FaceEliminateLeft {
		if err := f.need("x", f.X, total); err != nil {
			return err
		}
		if f.X == f.Dst {
			return f.errorf("dst aliases x")
		}
	} else if f.Base != 0 && f.Base != f.N-1 {
		return f.errorf("base row %d, want 0 or %d", f.Base, f.N-1)
	}
	if f.K == f.Dst {
		return f.errorf("dst aliases k")
	}
	return nil
}

func (f Faces) checkData() error {
	if f.Channels <= 0 || f.Lead <= 0 || f.Outer%(f.Channels*f.Lead) != 0 {
		return f.errorf("outer %d is not samples × %d channels × lead %d", f.Outer, f.Channels, f.Lead)
	}
	data := f.Outer / f.Channels * f.Inner
	if err := f.need("left", f.Left, data); err != nil {
		return err
	}
	if err := f.need("right", f.Right, data); err != nil {
		return err
	}
	if f.Op != FaceNeumann {
		return nil
	}
	if f.StencilLeft < 2 || f.StencilRight < 2 || f.StencilLeft > f.N || f.StencilRight > f.N {
		return f.errorf("stencils of %d and %d coefficients, want 2..%d", f.StencilLeft, f.StencilRight, f.N)
	}
	return f.need("stencil", f.Stencil, f.StencilLeft+f.StencilRight)
}

// CheckAddScaled validates an AddScaled call.
func CheckAddScaled(dst, src Buffer) error {
	if dst == nil || src == nil || dst.DType() != Float32 || src.DType() != Float32 || dst.Len() != src.Len() {
		return errors.New("add scaled: dst and src must be float32 buffers of one length")
	}
	if dst == src {
		return errors.New("add scaled: dst aliases src")
	}
	return nil
}

// Boundaries is what BOON's boundary corrections need besides the dense and spectral ops.
type Boundaries interface {
	// Faces runs one face operation in place on f.Dst.
	Faces(ctx context.Context, f Faces) error
	// AddScaled computes dst = scale·(dst + src) elementwise.
	AddScaled(ctx context.Context, dst, src Buffer, scale float32) error
}
