package enginetest

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/fluxcore/fluxcore/engine/backend"
)

// testOpsOnPrefix runs the ops whose buffers may hold more than their shape (a runner's
// buffers fit its largest batch, and a smaller batch runs on their start) on buffers with
// a tail: each must give what it gives on exact buffers, bit for bit, and leave the tail
// of its destination as it was.
func testOpsOnPrefix(t *testing.T, b backend.Backend) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(31, 37))
	const tail = 29
	sentinel := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = -3.25
		}
		return v
	}
	// withTail runs op on src and dst both longer by tail elements; it returns dst's head
	// and checks its tail.
	withTail := func(name string, dt backend.DType, src []float32, dstLen int, op func(dst, src backend.Buffer) error) []float32 {
		t.Helper()
		per := 1
		if dt == backend.Complex64 {
			per = 2
		}
		srcBuf := uploadFloats(t, b, dt, append(slices.Clone(src), sentinel(per*tail)...))
		dstBuf := uploadFloats(t, b, dt, sentinel(per*(dstLen+tail)))
		if err := op(dstBuf, srcBuf); err != nil {
			t.Fatalf("%s on longer buffers: %v", name, err)
		}
		got := downloadFloats(t, b, dt, dstBuf)
		if !slices.Equal(got[per*dstLen:], sentinel(per*tail)) {
			t.Errorf("%s wrote past its shape", name)
		}
		return got[:per*dstLen]
	}
	exact := func(name string, dt backend.DType, src []float32, dstLen int, op func(dst, src backend.Buffer) error) []float32 {
		t.Helper()
		per := 1
		if dt == backend.Complex64 {
			per = 2
		}
		dstBuf := uploadFloats(t, b, dt, sentinel(per*dstLen))
		if err := op(dstBuf, uploadFloats(t, b, dt, src)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return downloadFloats(t, b, dt, dstBuf)
	}
	check := func(name string, dt backend.DType, src []float32, dstLen int, op func(dst, src backend.Buffer) error) {
		t.Helper()
		if got, want := withTail(name, dt, src, dstLen, op), exact(name, dt, src, dstLen, op); !slices.Equal(got, want) {
			t.Errorf("%s on longer buffers differs from exact buffers", name)
		}
	}
	random := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}

	bx := backend.Box{Outer: 3, Src: [3]int{4, 5, 1}, Dst: [3]int{6, 7, 1}}
	check("copy box", backend.Float32, random(bx.SrcLen()), bx.DstLen(), func(dst, src backend.Buffer) error {
		return b.CopyBox(ctx, dst, src, bx)
	})
	s := backend.MixShape{Batch: 3, In: 4, Out: 5, Modes: 7}
	w := upload(t, b, randomComplex(rng, s.WeightLen()))
	check("spectral mix", backend.Complex64, random(2*s.InLen()), s.OutLen(), func(dst, src backend.Buffer) error {
		return b.SpectralMix(ctx, dst, src, w, s)
	})
	index := upload(t, b, []int32{3, -1, 0, 5, 2})
	g := backend.Gather{Rows: 4, SrcLen: 6, DstLen: 5, Index: index, Scale: 0.5}
	check("gather modes", backend.Complex64, random(2*g.Rows*g.SrcLen), g.Rows*g.DstLen, func(dst, src backend.Buffer) error {
		return b.GatherModes(ctx, dst, src, g)
	})
}

// uploadFloats places float32 values, or complex64 values as interleaved pairs.
func uploadFloats(t *testing.T, b backend.Backend, dt backend.DType, v []float32) backend.Buffer {
	t.Helper()
	if dt == backend.Float32 {
		return upload(t, b, v)
	}
	c := make([]complex64, len(v)/2)
	for i := range c {
		c[i] = complex(v[2*i], v[2*i+1])
	}
	return upload(t, b, c)
}

// downloadFloats reads what uploadFloats places.
func downloadFloats(t *testing.T, b backend.Backend, dt backend.DType, buf backend.Buffer) []float32 {
	t.Helper()
	if dt == backend.Float32 {
		return download[float32](t, b, buf)
	}
	c := download[complex64](t, b, buf)
	v := make([]float32, 2*len(c))
	for i, z := range c {
		v[2*i], v[2*i+1] = real(z), imag(z)
	}
	return v
}
