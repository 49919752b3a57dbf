package backend

import (
	"context"
	"fmt"
)

// Upload copies a host slice into a buffer of the same element type and length.
func Upload[T Element](ctx context.Context, b Backend, dst Buffer, src []T) error {
	if err := checkHostTransfer[T]("upload", dst, len(src)); err != nil {
		return err
	}
	return b.Upload(ctx, dst, Bytes(src))
}

// Download copies a buffer into a host slice of the same element type and length.
func Download[T Element](ctx context.Context, b Backend, dst []T, src Buffer) error {
	if err := checkHostTransfer[T]("download", src, len(dst)); err != nil {
		return err
	}
	return b.Download(ctx, Bytes(dst), src)
}

// FromHost allocates a buffer on b and fills it with src.
func FromHost[T Element](ctx context.Context, b Backend, src []T) (Buffer, error) {
	buf, err := b.Alloc(DTypeOf[T](), len(src))
	if err != nil {
		return nil, err
	}
	if err := Upload(ctx, b, buf, src); err != nil {
		b.Free(buf)
		return nil, err
	}
	return buf, nil
}

// SpectralMixHost runs SpectralMix on host slices: it moves in and w to b once, mixes, and
// copies the result into out. Callers that chain operations should keep buffers on the
// backend instead.
func SpectralMixHost(ctx context.Context, b Backend, s MixShape, out, in, w []complex64) error {
	if err := s.Validate(); err != nil {
		return err
	}
	for _, op := range []struct {
		name      string
		got, want int
	}{{"input", len(in), s.InLen()}, {"weights", len(w), s.WeightLen()}, {"output", len(out), s.OutLen()}} {
		if op.got != op.want {
			return fmt.Errorf("spectral mix: %s slice has %d elements, want %d", op.name, op.got, op.want)
		}
	}
	inBuf, err := FromHost(ctx, b, in)
	if err != nil {
		return err
	}
	defer b.Free(inBuf)
	wBuf, err := FromHost(ctx, b, w)
	if err != nil {
		return err
	}
	defer b.Free(wBuf)
	outBuf, err := b.Alloc(Complex64, s.OutLen())
	if err != nil {
		return err
	}
	defer b.Free(outBuf)
	if err := b.SpectralMix(ctx, outBuf, inBuf, wBuf, s); err != nil {
		return err
	}
	return Download(ctx, b, out, outBuf)
}

// FreeAll frees every non-nil buffer, so that owners with optional or partly allocated
// buffers can release them in one call, and returns the first error.
func FreeAll(b Backend, bufs ...Buffer) error {
	var first error
	for _, buf := range bufs {
		if buf == nil {
			continue
		}
		if err := b.Free(buf); err != nil && first == nil {
			first = err
		}
	}
	return first
}
