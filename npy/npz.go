package npy

import (
	"archive/zip"
	"context"
	"errors"
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
	out := map[string]*Array64{}
	err := eachMember(path, func(name string, zf *zip.File) error {
		a, err := readMember(ctx, zf)
		out[name] = a
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachMember calls visit with each member of the .npz at path and its name without the
// ".npy", after checking the member count, that each is an .npy and that no name repeats.
// Its errors name the archive, and the array when visit fails.
func eachMember(path string, visit func(name string, zf *zip.File) error) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("npz: %s: %w", path, err)
	}
	defer zr.Close()
	if err := limits.Check("npz: "+path+": members", len(zr.File), limits.MaxArchiveMembers); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, zf := range zr.File {
		name, ok := strings.CutSuffix(zf.Name, ".npy")
		switch {
		case !ok:
			return fmt.Errorf("npz: %s: member %q is not an .npy array", path, zf.Name)
		case seen[name]:
			return fmt.Errorf("npz: %s: member %q appears twice", path, zf.Name)
		}
		seen[name] = true
		if err := visit(name, zf); err != nil {
			return fmt.Errorf("npz: %s: array %q: %w", path, name, err)
		}
	}
	return nil
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
	out := map[string]*File{}
	err := eachMember(path, func(name string, zf *zip.File) error {
		if zf.Method != zip.Store {
			return errors.New("compressed (np.savez_compressed); reading it by rows needs it stored: save with np.savez")
		}
		f, err := openMember(path, zf)
		if err == nil {
			out[name] = f
		}
		return err
	})
	if err != nil {
		for _, f := range out {
			f.Close()
		}
		return nil, err
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
	st, err := osf.Stat()
	size := int64(zf.UncompressedSize64)
	if err == nil && (size < 0 || offset > st.Size()-size) {
		err = fmt.Errorf("the archive puts %d bytes at byte %d of a %d-byte file", zf.UncompressedSize64, offset, st.Size())
	}
	var f *File
	if err == nil {
		f, err = openAt(path+":"+zf.Name, osf, offset, size)
	}
	if err != nil {
		osf.Close()
		return nil, err
	}
	return f, nil
}
