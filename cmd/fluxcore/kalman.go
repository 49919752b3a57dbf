package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/fluxcore/fluxcore/engine/kalman"
	"github.com/fluxcore/fluxcore/npy"
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
	ef.register(ctx, fs)
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
	step, err := kalman.ReadStep(ctx, *in)
	if err != nil {
		return err
	}
	e, err := ef.open()
	if err != nil {
		return err
	}
	defer e.Close()
	res, err := step.Run(ctx, e.Backend())
	if err != nil {
		return err
	}
	if err := npy.WriteNPZ(*out, res.NPZ()); err != nil {
		return err
	}
	var steps []string
	if res.Predicted {
		steps = append(steps, "predicted")
	}
	if res.Updated {
		steps = append(steps, "updated")
	}
	fmt.Fprintf(stdout, "%s %d filters (nx %d, nz %d) on %s; %d with S not positive definite\n", strings.Join(steps, " and "),
		step.Filters, step.NX, step.NZ, e.Backend().Name(), res.Failed())
	return nil
}
