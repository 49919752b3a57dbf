package enginetest

import (
	"context"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/cpu"
	"github.com/fluxcore/fluxcore/engine/cuda"
)

// ForEachBackend runs f as a subtest on every backend this machine has: each CPU variant
// the CPU supports ("cpu/<variant>") and each CUDA device when the build has CUDA and a
// device exists ("cuda/cuda:N"). Missing ones are skipped with the reason. The CPU
// backends place their buffers as FLUXCORE_CPU_MEMORY says (Go's heap when it is unset).
func ForEachBackend(t *testing.T, f func(t *testing.T, b backend.Backend)) {
	for _, v := range cpu.AllVariants {
		t.Run("cpu/"+v.String(), func(t *testing.T) {
			if err := v.Check(); err != nil {
				t.Skip(err)
			}
			b, err := cpu.New(cpu.Options{Variant: &v})
			if err != nil {
				t.Fatal(err)
			}
			f(t, b)
		})
	}
	t.Run("cuda", func(t *testing.T) {
		probe := cuda.Probe()
		if !probe.Available {
			t.Skipf("no CUDA device: %s", probe.Reason)
		}
		for _, d := range probe.Devices {
			t.Run(d.ID(), func(t *testing.T) {
				b, err := cuda.Open(d.Ordinal, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer b.Close()
				f(t, b)
			})
		}
	})
}

// alloc returns an uninitialized buffer that is freed when the test ends.
func alloc(t *testing.T, b backend.Backend, dt backend.DType, n int) backend.Buffer {
	t.Helper()
	buf, err := b.Alloc(dt, n)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Free(buf) })
	return buf
}

// upload returns a buffer holding s that is freed when the test ends.
func upload[T backend.Element](t *testing.T, b backend.Backend, s []T) backend.Buffer {
	t.Helper()
	buf := alloc(t, b, backend.DTypeOf[T](), len(s))
	if err := backend.Upload(context.Background(), b, buf, s); err != nil {
		t.Fatal(err)
	}
	return buf
}

// download copies a whole buffer to the host.
func download[T backend.Element](t *testing.T, b backend.Backend, buf backend.Buffer) []T {
	t.Helper()
	out := make([]T, buf.Len())
	if err := backend.Download(context.Background(), b, out, buf); err != nil {
		t.Fatal(err)
	}
	return out
}

// CPU is a CPU backend of the best variant this machine supports, for tests that need one
// backend rather than every one.
func CPU(t *testing.T) backend.Backend {
	t.Helper()
	b, err := cpu.New(cpu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// uploadAs places float64 values on b as dt (Float32 or Float64); nil stays nil.
func uploadAs(t *testing.T, b backend.Backend, dt backend.DType, v []float64) backend.Buffer {
	t.Helper()
	if v == nil {
		return nil
	}
	if dt == backend.Float32 {
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		return upload(t, b, f)
	}
	return upload(t, b, v)
}

// downloadAs reads a Float32 or Float64 buffer as float64; nil stays nil.
func downloadAs(t *testing.T, b backend.Backend, dt backend.DType, buf backend.Buffer) []float64 {
	t.Helper()
	if buf == nil {
		return nil
	}
	if dt == backend.Float32 {
		f := download[float32](t, b, buf)
		out := make([]float64, len(f))
		for i, x := range f {
			out[i] = float64(x)
		}
		return out
	}
	return download[float64](t, b, buf)
}

// roundTo rounds every value to dt in place, so that a float64 reference sees the inputs
// as they are stored.
func roundTo(dt backend.DType, arrays ...[]float64) {
	if dt != backend.Float32 {
		return
	}
	for _, a := range arrays {
		for i, x := range a {
			a[i] = float64(float32(x))
		}
	}
}

// checkPSD asserts that the symmetric n×n matrix at(i, j) (its upper triangle is read) has
// no eigenvalue below −rel·max(‖M‖∞, scale): positive semi-definite up to rounding, where
// scale is the size of the quantities M was computed from (0 to use M's own).
func checkPSD(t *testing.T, name string, n int, at func(i, j int) float64, rel, scale float64) {
	t.Helper()
	sym := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			sym.SetSym(i, j, at(i, j))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sym, false) {
		t.Fatalf("%s: eigendecomposition failed", name)
	}
	norm := max(mat.Norm(sym, math.Inf(1)), scale)
	if lo := eig.Values(nil)[0]; lo < -rel*norm {
		t.Errorf("%s has eigenvalue %g < −%g·max(‖%s‖, scale) = %g", name, lo, rel, name, -rel*norm)
	}
}

// infNorm is the largest absolute row sum of a dense matrix.
func infNorm(m [][]float64) float64 {
	norm := 0.0
	for _, row := range m {
		sum := 0.0
		for _, v := range row {
			sum += math.Abs(v)
		}
		norm = max(norm, sum)
	}
	return norm
}
