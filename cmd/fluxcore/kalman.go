package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/kalman"
	"github.com/fluxcore/fluxcore/internal/npy"
)

const kalmanUsage = `usage: fluxcore kalman --in batch.npz --out out.npz [--device ...] [--cpu ...]

Runs one step of B independent Kalman filters (nx 1..16 states, nz 1..8 measurements):
a predict step if F is given, then an update step if z is given.

Arrays of --in (.npz from np.savez or np.savez_compressed; float32 or float64, in the
natural layout with the filter first):
  x  [B, nx]       state means                                       (required)
  P  [B, nx, nx]   state covariances                                 (required)
  F  [nx, nx] or [B, nx, nx]   transition: x = F·x, P = F·P·Fᵀ + Q
  Q  [nx, nx] or [B, nx, nx]   process noise (required with F)
  z  [B, nz]       measurements
  H  [nz, nx] or [B, nz, nx]   measurement model (required with z)
  R  [nz, nz] or [B, nz, nz]   measurement noise (required with z)
A model matrix of the first shape is shared by every filter.

Arrays of --out (float64 if any input is, float32 otherwise):
  x       [B, nx]       the updated means
  P       [B, nx, nx]   the updated covariances, exactly symmetric (Joseph form)
  status  [B] int32     0: updated; 1: S = HPHᵀ + R was not positive definite, the filter
                        was left as predicted (only with z)`

func runKalman(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fluxcore kalman", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, kalmanUsage)
		fs.PrintDefaults()
	}
	var ef engineFlags
	ef.register(fs)
	in := fs.String("in", "", "the batch: an .npz with x, P and F/Q and/or z/H/R (see above)")
	out := fs.String("out", "", "write x, P and status here (.npz, written atomically)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *in == "" || *out == "" {
		fmt.Fprintln(stderr, "--in and --out are required")
		fs.Usage()
		return errUsage
	}
	arrays, err := npy.ReadNPZ(*in)
	if err != nil {
		return err
	}
	sh, err := kalmanShapes(*in, arrays)
	if err != nil {
		return err
	}
	e, err := ef.open()
	if err != nil {
		return err
	}
	defer e.Close()
	for _, a := range arrays {
		if !a.Float32 {
			return kalmanAs[float64](ctx, e.Backend(), arrays, sh, *out, stdout)
		}
	}
	return kalmanAs[float32](ctx, e.Backend(), arrays, sh, *out, stdout)
}

// kalmanDims are a batch's extents, and which model matrices are shared.
type kalmanDims struct {
	filters, nx, nz int
	shared          map[string]bool
}

// kalmanShapes checks every array of the batch against x's and z's extents.
func kalmanShapes(path string, arrays map[string]*npy.Array64) (*kalmanDims, error) {
	for name := range arrays {
		if !slices.Contains([]string{"x", "P", "F", "Q", "z", "H", "R"}, name) {
			return nil, fmt.Errorf("%s: unknown array %q, want x, P, F, Q, z, H, R", path, name)
		}
	}
	x := arrays["x"]
	if x == nil || arrays["P"] == nil {
		return nil, fmt.Errorf("%s: arrays x and P are required", path)
	}
	if len(x.Shape) != 2 {
		return nil, fmt.Errorf("%s: x has shape %v, want [B, nx]", path, x.Shape)
	}
	d := &kalmanDims{filters: x.Shape[0], nx: x.Shape[1], shared: map[string]bool{}}
	if z := arrays["z"]; z != nil {
		if len(z.Shape) != 2 || z.Shape[0] != d.filters {
			return nil, fmt.Errorf("%s: z has shape %v, want [%d, nz] (B from x)", path, z.Shape, d.filters)
		}
		d.nz = z.Shape[1]
	}
	pairs := [][2]string{{"F", "Q"}, {"Q", "F"}, {"H", "z"}, {"R", "z"}, {"z", "H"}, {"z", "R"}}
	for _, p := range pairs {
		if arrays[p[0]] != nil && arrays[p[1]] == nil {
			return nil, fmt.Errorf("%s: array %s needs %s", path, p[0], p[1])
		}
	}
	if arrays["F"] == nil && arrays["z"] == nil {
		return nil, fmt.Errorf("%s: nothing to do: give F and Q to predict, z, H and R to update, or both", path)
	}
	b, nx, nz := d.filters, d.nx, d.nz
	want := map[string][2]int{"P": {nx, nx}, "F": {nx, nx}, "Q": {nx, nx}, "H": {nz, nx}, "R": {nz, nz}}
	for _, name := range []string{"P", "F", "Q", "H", "R"} {
		a := arrays[name]
		if a == nil {
			continue
		}
		r, c := want[name][0], want[name][1]
		switch {
		case slices.Equal(a.Shape, []int{b, r, c}):
		case name != "P" && slices.Equal(a.Shape, []int{r, c}):
			d.shared[name] = true
		case name == "P":
			return nil, fmt.Errorf("%s: P has shape %v, want [%d, %d, %d] (from x %v)", path, a.Shape, b, r, c, x.Shape)
		default:
			return nil, fmt.Errorf("%s: %s has shape %v, want [%d, %d] (shared) or [%d, %d, %d] (from x %v and z)", path, name, a.Shape, r, c, b, r, c, x.Shape)
		}
	}
	return d, nil
}

func kalmanAs[T kalman.Float](ctx context.Context, b backend.Backend, arrays map[string]*npy.Array64, d *kalmanDims, out string, stdout io.Writer) error {
	// inner is an input in the backend's layout: shared matrices as they are, per-filter
	// arrays batch-innermost.
	inner := func(name string) []T {
		a := arrays[name]
		if a == nil {
			return nil
		}
		v := make([]T, len(a.Data))
		for i, x := range a.Data {
			v[i] = T(x)
		}
		if d.shared[name] {
			return v
		}
		return kalman.ToBatchInner(v, d.filters)
	}
	s := &kalman.Batch[T]{Filters: d.filters, NX: d.nx, X: inner("x"), P: inner("P")}
	steps := ""
	if arrays["F"] != nil {
		if err := kalman.Predict(ctx, b, s, inner("F"), inner("Q")); err != nil {
			return err
		}
		steps = "predicted"
	}
	status := make([]int32, d.filters)
	failed := 0
	if arrays["z"] != nil {
		st, err := kalman.Update(ctx, b, s, d.nz, inner("H"), inner("R"), inner("z"))
		if err != nil {
			return err
		}
		status = st
		for _, v := range st {
			if v != backend.KalmanOK {
				failed++
			}
		}
		steps = joinSteps(steps, "updated")
	}
	_, isF32 := any(T(0)).(float32)
	natural := func(v []T, shape ...int) []byte {
		a := &npy.Array64{Shape: shape, Float32: isF32}
		for _, x := range kalman.FromBatchInner(v, d.filters) {
			a.Data = append(a.Data, float64(x))
		}
		return npy.Encode64(a)
	}
	members := map[string][]byte{
		"x":      natural(s.X, d.filters, d.nx),
		"P":      natural(s.P, d.filters, d.nx, d.nx),
		"status": npy.EncodeInt32([]int{d.filters}, status),
	}
	if err := npy.WriteNPZ(out, members); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s %d filters (nx %d, nz %d) on %s; %d with S not positive definite\n", steps, d.filters, d.nx, d.nz, b.Name(), failed)
	return nil
}

func joinSteps(a, b string) string {
	if a == "" {
		return b
	}
	return a + " and " + b
}
