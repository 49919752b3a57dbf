package npy

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"unsafe"

	"github.com/fluxcore/fluxcore/engine/limits"
	"github.com/fluxcore/fluxcore/internal/atomicfile"
	"github.com/fluxcore/fluxcore/internal/finite"
)

// File is an .npy file opened for reading a range of rows at a time with pread, so that
// an input larger than memory is never loaded whole. Row i is the sub-array [i, ...] along
// the first axis. Its methods are safe for concurrent use.
type File struct {
	path      string
	f         *os.File
	shape     []int
	size      int // bytes per element
	descr     string
	dataStart int64
	rowElems  int
}

// Open reads path's header and checks that the file holds exactly the data it declares.
// The whole array may have up to limits.MaxStreamedElements elements; one row at most
// limits.MaxArrayElements.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	file, err := openFile(path, f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("npy: %s: %w", path, err)
	}
	return file, nil
}

func openFile(path string, f *os.File) (*File, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return openAt(path, f, 0, st.Size())
}

// openAt reads the header of an .npy that occupies size bytes of f from base (a whole file,
// or a member stored in an .npz) and checks that they hold exactly the data it declares.
func openAt(name string, f *os.File, base, size int64) (*File, error) {
	h, err := readHeaderBounded(io.NewSectionReader(f, base, limits.MaxNPYHeaderBytes+16), limits.MaxStreamedElements)
	if err != nil {
		return nil, err
	}
	if len(h.shape) == 0 {
		return nil, errors.New("a 0-d array has no rows")
	}
	rowElems, err := limits.Product("row", limits.MaxArrayElements, h.shape[1:]...)
	if err != nil {
		return nil, err
	}
	if want := int64(h.dataStart) + int64(h.dataBytes); size != want {
		return nil, fmt.Errorf("%d bytes, its header declares %v %s data ending at byte %d", size, h.shape, h.descr, want)
	}
	return &File{path: name, f: f, shape: h.shape, size: h.size, descr: h.descr, dataStart: base + int64(h.dataStart), rowElems: rowElems}, nil
}

// Shape is the array's shape (a copy).
func (f *File) Shape() []int { return append([]int(nil), f.shape...) }

// Rows is the first axis' extent.
func (f *File) Rows() int { return f.shape[0] }

// RowElements is the number of values in one row.
func (f *File) RowElements() int { return f.rowElems }

// DType is the array's dtype as the header declares it: <f4, <f8 or <i4.
func (f *File) DType() string { return f.descr }

// DataOffset is where the data starts in the file, and ElementBytes the size of one value.
func (f *File) DataOffset() int64 { return f.dataStart }
func (f *File) ElementBytes() int { return f.size }

// Path is the file's name as opened.
func (f *File) Path() string { return f.path }

// ReadAt reads raw bytes of the file, header included, as io.ReaderAt does.
func (f *File) ReadAt(p []byte, off int64) (int, error) { return f.f.ReadAt(p, off) }

// readPiece bounds one pread, so that a cancel is noticed between pieces and the raw
// buffer stays small whatever the rows asked for.
const readPiece = 4 << 20

// ReadRows fills dst (exactly (hi−lo)·RowElements values) with rows [lo, hi) as float32,
// rounding float64 data and rejecting NaN and Inf with the element's row and index.
func (f *File) ReadRows(ctx context.Context, dst []float32, lo, hi int) error {
	return readRows(ctx, f, dst, lo, hi, true)
}

// ReadRows64 fills dst with rows [lo, hi) as float64, without rounding. Like Read64 it
// passes NaN and Inf through: its callers check values and name them in their own terms.
func (f *File) ReadRows64(ctx context.Context, dst []float64, lo, hi int) error {
	return readRows(ctx, f, dst, lo, hi, false)
}

func readRows[T float32 | float64](ctx context.Context, f *File, dst []T, lo, hi int, finiteOnly bool) error {
	if f.descr == "<i4" {
		return fmt.Errorf("npy: %s: %w", f.path, unsupportedDType(f.descr))
	}
	if lo < 0 || hi > f.Rows() || lo > hi {
		return fmt.Errorf("npy: %s: rows [%d, %d) of %d", f.path, lo, hi, f.Rows())
	}
	if want := (hi - lo) * f.rowElems; len(dst) != want {
		return fmt.Errorf("npy: %s: rows [%d, %d) are %d values, the buffer holds %d", f.path, lo, hi, want, len(dst))
	}
	first := int64(lo) * int64(f.rowElems) // flat index of dst[0]
	var err error
	if littleEndian && f.size == int(unsafe.Sizeof(dst[0])) {
		err = readNative(ctx, f, dst, first)
	} else {
		err = readConverted(ctx, f, dst, first)
	}
	if err != nil || !finiteOnly {
		return err
	}
	i, err := finite.First(ctx, dst)
	if err != nil || i < 0 {
		return err
	}
	flat := first + int64(i)
	return fmt.Errorf("npy: %s: row %d, element %d is %v", f.path, flat/int64(f.rowElems), flat%int64(f.rowElems), dst[i])
}

// readNative reads data stored as T straight into dst's memory, which on a little-endian
// machine is the file's layout: no conversion pass.
func readNative[T float32 | float64](ctx context.Context, f *File, dst []T, first int64) error {
	raw := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), f.size*len(dst))
	for done := 0; done < len(raw); done += readPiece {
		if err := ctx.Err(); err != nil {
			return err
		}
		off := f.dataStart + int64(f.size)*first + int64(done)
		if _, err := f.f.ReadAt(raw[done:min(done+readPiece, len(raw))], off); err != nil {
			return fmt.Errorf("npy: %s: read at byte %d: %w", f.path, off, err)
		}
	}
	return nil
}

// readConverted reads a bounded piece at a time and converts each value to T.
func readConverted[T float32 | float64](ctx context.Context, f *File, dst []T, first int64) error {
	raw := make([]byte, min(readPiece, len(dst)*f.size))
	for done := 0; done < len(dst); {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(len(raw)/f.size, len(dst)-done)
		off := f.dataStart + (first+int64(done))*int64(f.size)
		if _, err := f.f.ReadAt(raw[:n*f.size], off); err != nil {
			return fmt.Errorf("npy: %s: read at byte %d: %w", f.path, off, err)
		}
		for i := range n {
			dst[done+i] = T(element(raw, f.size, i))
		}
		done += n
	}
	return nil
}

// littleEndian is whether float32 values in memory are laid out as .npy's <f4.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }

// writePiece is the values WriteStream converts at a time.
const writePiece = 1 << 18

// Value is an element type that WriteStream writes.
type Value interface{ float32 | float64 | int32 }

// descrOf is T's .npy dtype.
func descrOf[T Value]() string {
	switch any(T(0)).(type) {
	case float32:
		return "<f4"
	case float64:
		return "<f8"
	}
	return "<i4"
}

// WriteStream writes an array of the given shape to path atomically, its data produced
// piece by piece: rows calls emit with consecutive pieces, in order, until they cover the
// shape, so the array is never held whole. A shortfall or excess is an error, and on any
// error nothing is left at path.
func WriteStream[T Value](path string, shape []int, rows func(emit func(data []T) error) error) error {
	total, err := limits.Product("shape", limits.MaxStreamedElements, shape...)
	if err != nil {
		return fmt.Errorf("npy: %s: %w", path, err)
	}
	err = atomicfile.Write(path, func(w io.Writer) error {
		if _, err := w.Write(encodeHeader(descrOf[T](), shape, 0)); err != nil {
			return err
		}
		written := 0
		err := rows(func(data []T) error {
			if written+len(data) > total {
				return fmt.Errorf("%d values past the %d that shape %v holds", written+len(data)-total, total, shape)
			}
			written += len(data)
			return writeLittleEndian(w, data)
		})
		if err == nil && written != total {
			err = fmt.Errorf("%d values written, shape %v holds %d", written, shape, total)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	return nil
}

// writeLittleEndian writes data in .npy's byte order: as it lies in memory on a
// little-endian machine, else converted a bounded piece at a time.
func writeLittleEndian[T Value](w io.Writer, data []T) error {
	if littleEndian {
		_, err := w.Write(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(data))), int(unsafe.Sizeof(T(0)))*len(data)))
		return err
	}
	for len(data) > 0 {
		n := min(len(data), writePiece)
		buf, err := binary.Append(nil, binary.LittleEndian, data[:n])
		if err != nil {
			return err
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// Concat writes the arrays of the .npy files at paths, joined along the first axis, to w as
// one .npy: their dtypes and row shapes must agree. It streams their data and never holds
// more than a piece of it.
func Concat(ctx context.Context, w io.Writer, paths []string) error {
	if len(paths) == 0 {
		return errors.New("npy: concat: no arrays")
	}
	var first *File
	rows := 0
	for _, p := range paths {
		f, err := Open(p)
		if err != nil {
			return err
		}
		f.Close()
		if first == nil {
			first = f
		} else if f.descr != first.descr || !slices.Equal(f.shape[1:], first.shape[1:]) {
			return fmt.Errorf("npy: concat: %s holds %s rows of %v, %s %s rows of %v", p, f.descr, f.shape[1:], first.path, first.descr, first.shape[1:])
		}
		rows += f.Rows()
	}
	shape := append([]int{rows}, first.shape[1:]...)
	if _, err := limits.Product("shape", limits.MaxStreamedElements, shape...); err != nil {
		return fmt.Errorf("npy: concat: %w", err)
	}
	if _, err := w.Write(encodeHeader(first.descr, shape, 0)); err != nil {
		return err
	}
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := copyData(w, p); err != nil {
			return err
		}
	}
	return nil
}

// copyData copies the data of the .npy file at path to w.
func copyData(w io.Writer, path string) error {
	f, err := Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	n := int64(f.Rows()) * int64(f.rowElems) * int64(f.size)
	if _, err := io.Copy(w, io.NewSectionReader(f.f, f.dataStart, n)); err != nil {
		return fmt.Errorf("npy: %s: %w", path, err)
	}
	return nil
}
