package npy

import (
	"archive/zip"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/fluxcore/fluxcore/internal/atomicfile"
)

// maxNPZEntry bounds one decompressed member, so a hostile archive cannot claim memory it
// does not hold.
const maxNPZEntry = 1 << 34

// ReadNPZ loads every float32 or float64 array of a NumPy .npz archive (np.savez or
// np.savez_compressed), keyed by name without the ".npy". A member of another dtype, or not
// an .npy, is an error naming it.
func ReadNPZ(path string) (map[string]*Array64, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("npz: %s: %w", path, err)
	}
	defer zr.Close()
	out := map[string]*Array64{}
	for _, f := range zr.File {
		name, ok := strings.CutSuffix(f.Name, ".npy")
		if !ok {
			return nil, fmt.Errorf("npz: %s: member %q is not an .npy array", path, f.Name)
		}
		if f.UncompressedSize64 > maxNPZEntry {
			return nil, fmt.Errorf("npz: %s: member %q claims %d bytes", path, f.Name, f.UncompressedSize64)
		}
		r, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("npz: %s: %q: %w", path, f.Name, err)
		}
		raw, err := io.ReadAll(io.LimitReader(r, maxNPZEntry))
		r.Close()
		if err != nil {
			return nil, fmt.Errorf("npz: %s: %q: %w", path, f.Name, err)
		}
		a, err := Parse64(raw)
		if err != nil {
			return nil, fmt.Errorf("npz: %s: array %q: %w", path, name, err)
		}
		out[name] = a
	}
	return out, nil
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
