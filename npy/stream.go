package npy

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"unsafe"

	"github.com/fluxcore/fluxcore/engine/limits"
	"github.com/fluxcore/fluxcore/internal/atomicfile"
)

// File is an .npy file opened for reading a range of rows at a time with pread, so that
// an input larger than memory is never loaded whole. Row i is the sub-array [i, ...] along
// the first axis. Its methods are safe for concurrent use.
type File struct {
	path      string
	f         *os.File
	shape     []int
	size      int // bytes per element
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
	h, err := readHeaderBounded(io.NewSectionReader(f, 0, limits.MaxNPYHeaderBytes+16), limits.MaxStreamedElements)
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
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if want := int64(h.dataStart) + int64(h.dataBytes); st.Size() != want {
		return nil, fmt.Errorf("file has %d bytes, its header declares %v %s data ending at byte %d", st.Size(), h.shape, h.descr, want)
	}
	return &File{path: path, f: f, shape: h.shape, size: h.size, dataStart: int64(h.dataStart), rowElems: rowElems}, nil
}

// Shape is the array's shape (a copy).
func (f *File) Shape() []int { return append([]int(nil), f.shape...) }

// Rows is the first axis' extent.
func (f *File) Rows() int { return f.shape[0] }

// RowElements is the number of values in one row.
func (f *File) RowElements() int { return f.rowElems }

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
	if lo < 0 || hi > f.Rows() || lo > hi {
		return fmt.Errorf("npy: %s: rows [%d, %d) of %d", f.path, lo, hi, f.Rows())
	}
	if want := (hi - lo) * f.rowElems; len(dst) != want {
		return fmt.Errorf("npy: %s: rows [%d, %d) are %d values, the buffer holds %d", f.path, lo, hi, want, len(dst))
	}
	first := int64(lo) * int64(f.rowElems) // flat index of dst[0]
	if f.size == 4 && littleEndian {
		return f.readFloat32(ctx, dst, first)
	}
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
			v := element(raw, f.size, i)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				flat := first + int64(done+i)
				return fmt.Errorf("npy: %s: row %d, element %d is %v", f.path, flat/int64(f.rowElems), flat%int64(f.rowElems), v)
			}
			dst[done+i] = float32(v)
		}
		done += n
	}
	return nil
}

// readFloat32 reads <f4 data straight into dst's memory, which on a little-endian machine
// is the file's layout, then checks that every value is finite: no conversion pass.
func (f *File) readFloat32(ctx context.Context, dst []float32, first int64) error {
	raw := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), 4*len(dst))
	for done := 0; done < len(raw); done += readPiece {
		if err := ctx.Err(); err != nil {
			return err
		}
		off := f.dataStart + 4*first + int64(done)
		if _, err := f.f.ReadAt(raw[done:min(done+readPiece, len(raw))], off); err != nil {
			return fmt.Errorf("npy: %s: read at byte %d: %w", f.path, off, err)
		}
	}
	for i, v := range dst {
		if math.Float32bits(v)&0x7f800000 == 0x7f800000 { // exponent all ones: Inf or NaN
			flat := first + int64(i)
			return fmt.Errorf("npy: %s: row %d, element %d is %v", f.path, flat/int64(f.rowElems), flat%int64(f.rowElems), v)
		}
	}
	return nil
}

// littleEndian is whether float32 values in memory are laid out as .npy's <f4.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }

// writePiece is the values WriteStream converts at a time.
const writePiece = 1 << 18

// WriteStream writes a float32 array of the given shape to path atomically, its data
// produced piece by piece: rows calls emit with consecutive pieces, in order, until they
// cover the shape, so the array is never held whole. A shortfall or excess is an error,
// and on any error nothing is left at path.
func WriteStream(path string, shape []int, rows func(emit func(data []float32) error) error) error {
	total, err := limits.Product("shape", limits.MaxStreamedElements, shape...)
	if err != nil {
		return fmt.Errorf("npy: %s: %w", path, err)
	}
	err = atomicfile.Write(path, func(w io.Writer) error {
		if _, err := w.Write(encodeHeader("<f4", shape, 0)); err != nil {
			return err
		}
		written := 0
		var buf []byte
		err := rows(func(data []float32) error {
			if written+len(data) > total {
				return fmt.Errorf("%d values past the %d that shape %v holds", written+len(data)-total, total, shape)
			}
			if littleEndian { // memory is the file's layout already
				written += len(data)
				_, err := w.Write(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(data))), 4*len(data)))
				return err
			}
			// Converted a bounded piece at a time, so that the buffer stays small.
			for len(data) > 0 {
				n := min(len(data), writePiece)
				buf = buf[:0]
				for _, v := range data[:n] {
					buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
				}
				if _, err := w.Write(buf); err != nil {
					return err
				}
				written, data = written+n, data[n:]
			}
			return nil
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
