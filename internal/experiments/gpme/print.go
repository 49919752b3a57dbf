package gpme

import (
	"fmt"
	"io"
	"math"
)

// Print writes the report as a table; cfg is the configuration it ran with.
func (r *Report) Print(w io.Writer, cfg Config, backendName string) {
	fmt.Fprintf(w, "%s (param %g): GP on %d × %d noisy context points (σ = %g, seed %d), %d × %d grid, σ² = %g, on %s\n",
		r.Problem, r.Param, cfg.ContextT, cfg.ContextX, cfg.NoiseStd, r.Seed, cfg.GridT, cfg.GridX, cfg.ConstraintNoiseVar, backendName)
	fmt.Fprintf(w, "\nat t* = %g          %10s %11s %9s\n", r.TStar, "MSE", "CE", "LL")
	for _, row := range []struct {
		name string
		m    Metrics
	}{{"GP", r.Before}, {"GP + ProbConserv", r.After}} {
		fmt.Fprintf(w, "  %-18s %10.3e %11.3e %9.3f\n", row.name, row.m.MSE, row.m.CE, row.m.LL)
	}
	fmt.Fprintf(w, "max |CE| after the update over all %d slices: %.2e\n", cfg.GridT, r.MaxAbsCE)
	if s := r.Shock; s != nil {
		fmt.Fprintf(w, "\nfront (first x where u ≤ 0) from %d samples each (jitter %g·mean variance):\n", s.Samples, math.Max(s.Jitter, s.JitterBefore))
		fmt.Fprintf(w, "  exact               %.4f\n", s.True)
		fmt.Fprintf(w, "  GP                  %.4f ± %.4f\n", s.MeanBefore, s.StdBefore)
		fmt.Fprintf(w, "  GP + ProbConserv    %.4f ± %.4f\n", s.Mean, s.Std)
	}
}
