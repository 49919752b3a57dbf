package batch

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/fluxcore/fluxcore/engine/limits"
	"github.com/fluxcore/fluxcore/npy"
)

// Archive is an .npz input (np.savez, stored uncompressed) of float32 or float64 arrays.
// Each is either per sample, its first axis the sample axis, and read a chunk at a time as
// float64, or shared by every sample and read whole, once.
type Archive struct {
	path      string
	files     map[string]*npy.File
	perSample []string // in name order
	samples   int
	shared    map[string]*npy.Array64
}

// OpenArchive opens path's members; shared says, from a member's name and shape, whether
// every sample shares it. The shared arrays are charged to ctx's memory budget.
func OpenArchive(ctx context.Context, path string, shared func(name string, shape []int) bool) (*Archive, error) {
	files, err := npy.OpenNPZ(path)
	if err != nil {
		return nil, fmt.Errorf("batch: input: %w", err)
	}
	a := &Archive{path: path, files: files, shared: map[string]*npy.Array64{}}
	if err := a.sort(ctx, shared); err != nil {
		a.Close()
		return nil, fmt.Errorf("batch: input %s: %w", path, err)
	}
	return a, nil
}

// sort reads the shared arrays and checks that the per-sample ones agree on the samples.
func (a *Archive) sort(ctx context.Context, shared func(string, []int) bool) error {
	names := make([]string, 0, len(a.files))
	for name := range a.files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		f := a.files[name]
		if f.DType() != "<f4" && f.DType() != "<f8" {
			return fmt.Errorf("array %q is %s, want float32 (<f4) or float64 (<f8)", name, f.DType())
		}
		if shared(name, f.Shape()) {
			arr, err := readWhole(ctx, f)
			if err != nil {
				return fmt.Errorf("array %q: %w", name, err)
			}
			a.shared[name] = arr
			continue
		}
		if len(a.perSample) > 0 && f.Rows() != a.samples {
			return fmt.Errorf("array %q has %d samples along its first axis, %q has %d", name, f.Rows(), a.perSample[0], a.samples)
		}
		a.perSample, a.samples = append(a.perSample, name), f.Rows()
	}
	if len(a.perSample) == 0 {
		return fmt.Errorf("no array is per sample: every one of %v is shared", names)
	}
	return nil
}

// readWhole reads a shared array, within the bounds of one array and the memory budget.
func readWhole(ctx context.Context, f *npy.File) (*npy.Array64, error) {
	n, err := limits.Product("shared array", limits.MaxArrayElements, f.Shape()...)
	if err == nil {
		err = limits.From(ctx).Charge("shared array", n, 8)
	}
	if err != nil {
		return nil, err
	}
	arr := &npy.Array64{Shape: f.Shape(), Data: make([]float64, n), Float32: f.DType() == "<f4"}
	return arr, f.ReadRows64(ctx, arr.Data, 0, f.Rows())
}

// Samples is the per-sample arrays' first extent.
func (a *Archive) Samples() int { return a.samples }

// Specs are the per-sample arrays as a job's inputs: read as float64, in name order.
func (a *Archive) Specs() []ArraySpec {
	specs := make([]ArraySpec, len(a.perSample))
	for i, name := range a.perSample {
		specs[i] = ArraySpec{Name: name, DType: "<f8", Shape: a.files[name].Shape()[1:]}
	}
	return specs
}

// AllFloat32 reports whether every array is stored as float32, which makes the outputs
// float32 as `fluxcore conserve` and `fluxcore kalman` make them.
func (a *Archive) AllFloat32() bool {
	for _, f := range a.files {
		if f.DType() != "<f4" {
			return false
		}
	}
	return true
}

// SampleBytes is one sample of the per-sample arrays as read, in float64.
func (a *Archive) SampleBytes() int64 { return int64(sampleBytes(a.Specs())) }

// SharedSums are the shared arrays' SHA-256 by role ("shared G"), for the manifest: the
// input's fingerprint samples the file, and a small array can fall between its blocks.
func (a *Archive) SharedSums() map[string]FileSum {
	sums := map[string]FileSum{}
	for name, arr := range a.shared {
		h := sha256.New()
		fmt.Fprintf(h, "%s %v float32=%v\n", name, arr.Shape, arr.Float32)
		binary.Write(h, binary.LittleEndian, arr.Data)
		sums["shared "+name] = FileSum{Path: a.path + ":" + name + ".npy", SHA256: hex.EncodeToString(h.Sum(nil))}
	}
	return sums
}

// Paths is the archive's path, for the manifest.
func (a *Archive) Paths() []string { return []string{a.path} }

// Read is Source's Read: the per-sample arrays of samples [lo, hi), in Specs' order.
func (a *Archive) Read(ctx context.Context, lo, hi int, dst []Values) error {
	if len(dst) != len(a.perSample) {
		return fmt.Errorf("batch: %s has %d per-sample arrays, not %d", a.path, len(a.perSample), len(dst))
	}
	for i, name := range a.perSample {
		if err := a.files[name].ReadRows64(ctx, dst[i].F64, lo, hi); err != nil {
			return err
		}
	}
	return nil
}

// Arrays is the problem of samples [lo, hi) as whole arrays by name: the per-sample ones
// from in (as Read filled it, and not copied) and the shared ones. Each says whether it
// is stored as float32.
func (a *Archive) Arrays(lo, hi int, in []Values) map[string]*npy.Array64 {
	out := make(map[string]*npy.Array64, len(a.files))
	for name, arr := range a.shared {
		out[name] = arr
	}
	for i, name := range a.perSample {
		f := a.files[name]
		out[name] = &npy.Array64{Shape: append([]int{hi - lo}, f.Shape()[1:]...), Data: in[i].F64, Float32: f.DType() == "<f4"}
	}
	return out
}

// Close closes the members.
func (a *Archive) Close() error {
	for _, f := range a.files {
		f.Close()
	}
	return nil
}
