package bench

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/fluxcore/fluxcore/engine/cpu"
)

var (
	copyOnce sync.Once
	copyGBps float64
)

// BenchmarkCov runs the covariance cases (CovCases: Kalman at 10⁶ filters, nx 4/nz 2 and
// nx 6/nz 3; ProbConserv 201×201 diagonal with marginal and full output, 1000×1024 with a
// 16-member ensemble) on every CPU variant, in updates/s, GB/s and as a share of the host
// copy bandwidth measured in the same run.
func BenchmarkCov(b *testing.B) {
	ctx := context.Background()
	forEachCPUVariant(b, func(v cpu.Variant, be *cpu.Backend) {
		copyOnce.Do(func() { copyGBps = HostCopyBandwidth(be.Workers()) })
		for _, c := range CovCases {
			if c.DeviceOnly {
				continue
			}
			b.Run(fmt.Sprintf("cpu/%s/%s", v, c.Name), func(b *testing.B) {
				w, err := NewCovWorkload(ctx, be, c)
				if err != nil {
					b.Fatal(err)
				}
				defer w.Free()
				for b.Loop() {
					if err := w.Run(ctx); err != nil {
						b.Fatal(err)
					}
				}
				perSec, gbps, pct := c.Rates(b.Elapsed().Seconds()/float64(b.N), copyGBps)
				b.ReportMetric(perSec, "updates/s")
				b.ReportMetric(gbps, "GB/s")
				b.ReportMetric(pct, "%copy")
			})
		}
	})
}
