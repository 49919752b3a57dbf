package npy

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/fluxcore/fluxcore/engine/limits"
	"github.com/fluxcore/fluxcore/internal/atomicfile"
)

// ReadNPZ loads every float32 or float64 array of a NumPy .npz archive (np.savez or
// np.savez_compressed), keyed by name without the ".npy". A member of another dtype, or not
// an .npy, is an error naming it.
//
// Decompression is bounded by what each member's .npy header declares: the data is charged
// to ctx's memory budget before it is read, and a member that inflates past its header's
// size is an error, so a small archive cannot expand into gigabytes.
func ReadNPZ(ctx context.Context, path string) (map[string]*Array64, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("npz: %s: %w", path, err)
	}
	defer zr.Close()
	if err := limits.Check("npz: "+path+": members", len(zr.File), limits.MaxArchiveMembers); err != nil {
		return nil, err
	}
	out := map[string]*Array64{}
	for _, f := range zr.File {
		name, ok := strings.CutSuffix(f.Name, ".npy")
		if !ok {
			return nil, fmt.Errorf("npz: %s: member %q is not an .npy array", path, f.Name)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("npz: %s: member %q appears twice", path, f.Name)
		}
		a, err := readMember(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("npz: %s: array %q: %w", path, name, err)
		}
		out[name] = a
	}
	return out, nil
}

// readMember decodes one member, reading no more than its header declares.
func readMember(ctx context.Context, f *zip.File) (*Array64, error) {
	r, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	h, err := readHeader(r)
	if err == nil {
		err = h.checkFloat()
	}
	if err != nil {
		return nil, err
	}
	if declared := uint64(h.dataStart + h.dataBytes); f.UncompressedSize64 != declared {
		return nil, fmt.Errorf("the archive says %d bytes, the .npy header %d", f.UncompressedSize64, declared)
	}
	budget := limits.From(ctx)
	if err := budget.Charge("array "+f.Name, h.dataBytes/h.size, 8+h.size); err != nil {
		return nil, err
	}
	body := make([]byte, h.dataBytes)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, fmt.Errorf("shape %v of %s needs %d data bytes: %w", h.shape, h.descr, h.dataBytes, err)
	}
	if n, _ := r.Read(make([]byte, 1)); n != 0 {
		return nil, fmt.Errorf("data runs past the %d bytes that shape %v of %s needs", h.dataBytes, h.shape, h.descr)
	}
	return decode64(h.shape, h.size, body), nil
}

// WriteNPZ saves .npy-encoded members (Encode64, EncodeInt32) as an uncompressed .npz, as
// np.savez does, in name order, atomically.
func WriteNPZ(path string, members map[string][]byte) error {
	names := make([]string, 0, len(members))
	for name := range members {
		names = append(names, name)
	}
	slices.Sort(names)
	return WriteNPZFunc(path, names, func(name string, w io.Writer) error {
		_, err := w.Write(members[name])
		return err
	})
}

// WriteNPZFunc saves an uncompressed .npz atomically whose members, in the order of names,
// are what member writes for each name: a whole .npy, which may be streamed (Concat).
func WriteNPZFunc(path string, names []string, member func(name string, w io.Writer) error) error {
	err := atomicfile.Write(path, func(w io.Writer) error {
		zw := zip.NewWriter(w)
		for _, name := range names {
			fw, err := zw.CreateHeader(&zip.FileHeader{Name: name + ".npy", Method: zip.Store})
			if err != nil {
				return err
			}
			if err := member(name, fw); err != nil {
				return fmt.Errorf("array %q: %w", name, err)
			}
		}
		return zw.Close()
	})
	if err != nil {
		return fmt.Errorf("npz: %s: %w", path, err)
	}
	return nil
}

// OpenNPZ opens every member of an .npz archive as a File, for reading rows by range: the
// members must be stored uncompressed (np.savez), since a compressed member cannot be read
// from the middle. The caller closes each File.
func OpenNPZ(path string) (map[string]*File, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("npz: %s: %w", path, err)
	}
	defer zr.Close()
	if err := limits.Check("npz: "+path+": members", len(zr.File), limits.MaxArchiveMembers); err != nil {
		return nil, err
	}
	out := map[string]*File{}
	fail := func(err error) (map[string]*File, error) {
		for _, f := range out {
			f.Close()
		}
		return nil, fmt.Errorf("npz: %s: %w", path, err)
	}
	for _, zf := range zr.File {
		name, ok := strings.CutSuffix(zf.Name, ".npy")
		switch {
		case !ok:
			return fail(fmt.Errorf("member %q is not an .npy array", zf.Name))
		case out[name] != nil:
			return fail(fmt.Errorf("member %q appears twice", zf.Name))
		case zf.Method != zip.Store:
			return fail(fmt.Errorf("array %q is compressed (np.savez_compressed); reading it by rows needs it stored: save with np.savez", name))
		}
		f, err := openMember(path, zf)
		if err != nil {
			return fail(fmt.Errorf("array %q: %w", name, err))
		}
		out[name] = f
	}
	return out, nil
}

// openMember opens a stored member as a File of its own.
func openMember(path string, zf *zip.File) (*File, error) {
	offset, err := zf.DataOffset()
	if err != nil {
		return nil, err
	}
	osf, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	f, err := openAt(path+":"+zf.Name, osf, offset, int64(zf.UncompressedSize64))
	if err != nil {
		osf.Close()
		return nil, err
	}
	return f, nil
}
