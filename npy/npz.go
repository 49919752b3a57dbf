package npy

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
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
	err := atomicfile.Write(path, func(w io.Writer) error {
		zw := zip.NewWriter(w)
		for _, name := range names {
			fw, err := zw.CreateHeader(&zip.FileHeader{Name: name + ".npy", Method: zip.Store})
			if err != nil {
				return err
			}
			if _, err := fw.Write(members[name]); err != nil {
				return err
			}
		}
		return zw.Close()
	})
	if err != nil {
		return fmt.Errorf("npz: %s: %w", path, err)
	}
	return nil
}
