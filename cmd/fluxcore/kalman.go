package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/fluxcore/fluxcore/engine/backend"
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
                        was left as predicted (only with z); 2: the step overflowed the
                        storage type and left a NaN or an infinity in x or P
A filter of status 1 or 2 is a failure: the command says how many on stderr (and in
--json), and exits 1 without writing --out unless --allow-failed is given.`

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
	allowFailed := fs.Bool("allow-failed", false, "write --out and exit 0 even when some filters fail (their status says which)")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireFlags(fs, "in", "out"); err != nil {
		return err
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
	sum := summarize(step, res, e.Backend().Name())
	if err := printKalman(stdout, sum, *asJSON); err != nil {
		return err
	}
	if sum.Failed > 0 {
		fmt.Fprintf(stderr, "fluxcore kalman: %d of %d filters failed: %d with S not positive definite, %d non-finite\n",
			sum.Failed, sum.Filters, sum.NotPositiveDefinite, sum.NonFinite)
		if !*allowFailed {
			return fmt.Errorf("%d filters failed; --out not written (pass --allow-failed to write it with their status)", sum.Failed)
		}
	}
	return npy.WriteNPZ(*out, res.NPZ())
}

// kalmanSummary is what `fluxcore kalman` reports of a step.
type kalmanSummary struct {
	Steps               []string `json:"steps"`
	Filters             int      `json:"filters"`
	NX                  int      `json:"nx"`
	NZ                  int      `json:"nz"`
	Backend             string   `json:"backend"`
	Failed              int      `json:"failed"`
	NotPositiveDefinite int      `json:"not_positive_definite"`
	NonFinite           int      `json:"non_finite"`
}

func summarize(step *kalman.Step, res *kalman.StepResult, backendName string) kalmanSummary {
	s := kalmanSummary{Steps: []string{}, Filters: step.Filters, NX: step.NX, NZ: step.NZ, Backend: backendName,
		Failed: res.Failed(), NotPositiveDefinite: res.Count(backend.KalmanNotPD), NonFinite: res.Count(backend.KalmanNonFinite)}
	if res.Predicted {
		s.Steps = append(s.Steps, "predicted")
	}
	if res.Updated {
		s.Steps = append(s.Steps, "updated")
	}
	return s
}

func printKalman(w io.Writer, s kalmanSummary, asJSON bool) error {
	if asJSON {
		return jsonWriter(s)(w)
	}
	_, err := fmt.Fprintf(w, "%s %d filters (nx %d, nz %d) on %s; %d with S not positive definite, %d non-finite\n",
		strings.Join(s.Steps, " and "), s.Filters, s.NX, s.NZ, s.Backend, s.NotPositiveDefinite, s.NonFinite)
	return err
}
