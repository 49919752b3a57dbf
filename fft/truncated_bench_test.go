package fft

import "testing"

// BenchmarkTruncatedReal measures the Burgers 1-D layer's transform: 20 samples × 64
// channels of length 1024, keeping 16 modes.
func BenchmarkTruncatedReal(b *testing.B) {
	const n, modes, rows = 1024, 16, 20 * 64
	p, err := NewTruncatedReal(n, modes)
	if err != nil {
		b.Fatal(err)
	}
	x, X := make([]float32, rows*n), make([]complex64, rows*modes)
	for i := range x {
		x[i] = float32(i%17) - 8
	}
	b.Run("forward", func(b *testing.B) {
		for b.Loop() {
			p.Forward(X, x, rows)
		}
		b.ReportMetric(p.Flops(rows)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	b.Run("inverse", func(b *testing.B) {
		for b.Loop() {
			p.Inverse(x, X, rows)
		}
		b.ReportMetric(p.Flops(rows)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}
