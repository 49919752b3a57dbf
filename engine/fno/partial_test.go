package fno_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/enginetest"
	"github.com/fluxcore/fluxcore/engine/fno"
	"github.com/fluxcore/fluxcore/fft"
)

// A batch smaller than its runner's is computed alone: it gives, bit for bit, what a
// runner made for that batch gives, with either transform and with boundary corrections,
// even after a larger batch that overflowed has left Inf and NaN in the rows it skips.
func TestPartialBatchMatchesARunnerOfItsSize(t *testing.T) {
	ctx := context.Background()
	dirs, err := filepath.Glob("testdata/golden/*/case.json")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	enginetest.ForEachBackend(t, func(t *testing.T, b backend.Backend) {
		for _, caseFile := range dirs {
			dir := filepath.Dir(caseFile)
			for _, method := range []fft.Method{fft.TruncatedDFT, fft.FullFFT} {
				t.Run(filepath.Base(dir)+"/"+string(method), func(t *testing.T) {
					c, m, in, _, bc := loadCase(t, dir)
					grid := in.Shape[1 : len(in.Shape)-1]
					const small = 1
					per := len(in.Data) / c.Batch
					big, err := m.NewRunner(ctx, b, fno.RunnerConfig{Grid: grid, MaxBatch: c.Batch + 2, Transform: method})
					if err != nil {
						t.Fatal(err)
					}
					defer big.Close()
					exact, err := m.NewRunner(ctx, b, fno.RunnerConfig{Grid: grid, MaxBatch: small, Transform: method})
					if err != nil {
						t.Fatal(err)
					}
					defer exact.Close()
					// A full batch of huge values overflows and leaves Inf/NaN behind.
					huge := make([]float32, per*(c.Batch+2))
					for i := range huge {
						huge[i] = 3e38
					}
					if _, err := big.Forward(ctx, huge, c.Batch+2, widen(bc, c.Batch, c.Batch+2)); !errors.Is(err, fno.ErrOverflow) {
						t.Fatalf("a batch of 3e38: %v, want an overflow", err)
					}
					sub := narrow(bc, c.Batch, small)
					got, err := big.Forward(ctx, in.Data[:small*per], small, sub)
					if err != nil {
						t.Fatal(err)
					}
					want, err := exact.Forward(ctx, in.Data[:small*per], small, sub)
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(got, want) {
						t.Errorf("a batch of %d on a runner of %d differs from a runner of %d", small, c.Batch+2, small)
					}
				})
			}
		}
	})
}

// narrow is bc's data for the first n of batch samples; nil stays nil.
func narrow(bc *fno.Boundary, batch, n int) *fno.Boundary {
	if bc == nil {
		return nil
	}
	out := *bc
	cut := func(v []float32) []float32 {
		if v == nil {
			return nil
		}
		return v[:len(v)/batch*n]
	}
	out.Left, out.Right, out.Top, out.Down = cut(bc.Left), cut(bc.Right), cut(bc.Top), cut(bc.Down)
	return &out
}

// widen repeats bc's first sample's data until it covers n samples.
func widen(bc *fno.Boundary, batch, n int) *fno.Boundary {
	if bc == nil {
		return nil
	}
	out := *bc
	grow := func(v []float32) []float32 {
		if v == nil {
			return nil
		}
		one := v[:len(v)/batch]
		var w []float32
		for range n {
			w = append(w, one...)
		}
		return w
	}
	out.Left, out.Right, out.Top, out.Down = grow(bc.Left), grow(bc.Right), grow(bc.Top), grow(bc.Down)
	return &out
}

// BenchmarkPartialBatch times a forward of a few samples on a runner made for 64 against a
// runner made for them: with partial batches computed alone, the two should cost the same.
func BenchmarkPartialBatch(b *testing.B) {
	ctx := context.Background()
	_, m, in, _, _ := loadCase(b, "testdata/golden/fno2d")
	grid := in.Shape[1 : len(in.Shape)-1]
	per := len(in.Data) / in.Shape[0]
	e := openCPUEngine(b)
	for _, c := range []struct{ runner, batch int }{{1, 1}, {64, 1}, {4, 4}, {64, 4}, {64, 64}} {
		b.Run(fmt.Sprintf("runner=%d/batch=%d", c.runner, c.batch), func(b *testing.B) {
			r, err := m.NewRunner(ctx, e.Backend(), fno.RunnerConfig{Grid: grid, MaxBatch: c.runner})
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			input := make([]float32, c.batch*per)
			for i := range input {
				input[i] = in.Data[i%len(in.Data)]
			}
			out := make([]float32, c.batch*product(r.OutputShape(1)[1:]))
			b.ResetTimer()
			for b.Loop() {
				if err := r.ForwardInto(ctx, out, input, c.batch, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(c.batch), "µs/sample")
		})
	}
}

func product(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}
