package backend

import "context"

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
