package batch

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/fluxcore/fluxcore/npy"
)

// MaxListFiles bounds the .npy files one list file names.
const MaxListFiles = 100000

// Input is one .npy file, or the files a list names, read as one long array along the
// first (sample) axis. It reads samples by range and never holds the data whole.
type Input struct {
	files  []*npy.File
	starts []int // first sample of each file, then the total
	sample []int // the shape of one sample
}

// OpenInput opens path: an .npy file, or else a text file with one .npy path a line
// (relative paths are taken from the list's directory; blank lines and # comments are
// skipped), whose files must agree on the shape of a sample.
func OpenInput(path string) (*Input, error) {
	paths, err := inputPaths(path)
	if err != nil {
		return nil, err
	}
	in := &Input{starts: []int{0}}
	for _, p := range paths {
		f, err := npy.Open(p)
		if err != nil {
			in.Close()
			return nil, fmt.Errorf("batch: input: %w", err)
		}
		in.files = append(in.files, f)
		shape := f.Shape()
		if len(in.files) == 1 {
			in.sample = shape[1:]
		} else if !slices.Equal(shape[1:], in.sample) {
			in.Close()
			return nil, fmt.Errorf("batch: input %s: samples of shape %v, the list's first file %s has %v",
				p, shape[1:], in.files[0].Path(), in.sample)
		}
		in.starts = append(in.starts, in.starts[len(in.starts)-1]+f.Rows())
	}
	return in, nil
}

// inputPaths is path itself when it is an .npy file, else the paths its lines name.
func inputPaths(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("batch: input: %w", err)
	}
	defer f.Close()
	head := make([]byte, 6)
	n, _ := io.ReadFull(f, head)
	if bytes.Equal(head[:n], []byte("\x93NUMPY")) {
		return []string{path}, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	var paths []string
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if len(paths) == MaxListFiles {
			return nil, fmt.Errorf("batch: input list %s names more than %d files", path, MaxListFiles)
		}
		if !filepath.IsAbs(text) {
			text = filepath.Join(filepath.Dir(path), text)
		}
		paths = append(paths, text)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("batch: input list %s: %w", path, err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("batch: input %s is neither an .npy file nor a list of .npy paths", path)
	}
	return paths, nil
}

// Samples is the number of samples in all files.
func (in *Input) Samples() int { return in.starts[len(in.starts)-1] }

// SampleShape is the shape of one sample (a copy).
func (in *Input) SampleShape() []int { return slices.Clone(in.sample) }

// SampleValues is the number of values in one sample.
func (in *Input) SampleValues() int { return in.files[0].RowElements() }

// SampleBytes is one sample's size on disk.
func (in *Input) SampleBytes() int64 {
	return int64(in.SampleValues()) * int64(in.files[0].ElementBytes())
}

// Paths are the files, in order.
func (in *Input) Paths() []string {
	out := make([]string, len(in.files))
	for i, f := range in.files {
		out[i] = f.Path()
	}
	return out
}

// Spec describes the input as a job's one per-sample input array, name, read as float32.
func (in *Input) Spec(name string) ArraySpec {
	return ArraySpec{Name: name, DType: "<f4", Shape: in.SampleShape()}
}

// Read is Source's Read: it fills dst[0].F32 with samples [lo, hi), across file boundaries.
func (in *Input) Read(ctx context.Context, lo, hi int, dst []Values) error {
	if len(dst) != 1 {
		return fmt.Errorf("batch: the input is one array, not %d", len(dst))
	}
	return in.ReadFloat32(ctx, dst[0].F32, lo, hi)
}

// ReadFloat32 fills dst with samples [lo, hi) as float32, across file boundaries.
func (in *Input) ReadFloat32(ctx context.Context, dst []float32, lo, hi int) error {
	per := in.SampleValues()
	if lo < 0 || hi > in.Samples() || lo > hi || len(dst) != (hi-lo)*per {
		return fmt.Errorf("batch: read samples [%d, %d) of %d into %d values", lo, hi, in.Samples(), len(dst))
	}
	for i, f := range in.files {
		a, b := max(lo, in.starts[i]), min(hi, in.starts[i+1])
		if a >= b {
			continue
		}
		if err := f.ReadRows(ctx, dst[(a-lo)*per:(b-lo)*per], a-in.starts[i], b-in.starts[i]); err != nil {
			return err
		}
	}
	return nil
}

// Fingerprint identifies the input's files (see Fingerprint).
func (in *Input) Fingerprint() (string, error) { return Fingerprint(in.Paths()) }

// fingerprintBlock is the bytes read at each point the fingerprint samples.
const fingerprintBlock = 64 << 10

// fingerprintPoints is how many evenly spaced blocks of each file the fingerprint reads.
const fingerprintPoints = 16

// Fingerprint identifies files without reading all of them, which every shard would
// otherwise do for a checksum of an input it reads 1/n of: SHA-256 over each file's size
// and fingerprintPoints+1 evenly spaced blocks of 64 KiB, its first and last included. A
// regenerated or replaced input changes it; an edit that touches no sampled block does
// not, which the README states.
func Fingerprint(paths []string) (string, error) {
	h := sha256.New()
	buf := make([]byte, fingerprintBlock)
	for _, p := range paths {
		if err := fingerprintFile(h, p, buf); err != nil {
			return "", fmt.Errorf("batch: fingerprint: %w", err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fingerprintFile(h io.Writer, path string, buf []byte) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	fmt.Fprintf(h, "%d:", size)
	for k := 0; k <= fingerprintPoints; k++ {
		off := max(0, size*int64(k)/fingerprintPoints-fingerprintBlock)
		n, err := f.ReadAt(buf[:min(fingerprintBlock, size-off)], off)
		if err != nil && err != io.EOF {
			return err
		}
		h.Write(buf[:n])
	}
	return nil
}

// Close closes every file.
func (in *Input) Close() error {
	var first error
	for _, f := range in.files {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
