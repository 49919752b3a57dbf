// Package enginetest is the conformance suite that every backend passes: the same cases,
// with the same tolerances, against independent float64 references. The test in this
// package runs it on every CPU variant this machine supports and on every CUDA device;
// a new backend adds itself there.
package enginetest

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/internal/metrics"
)

// MixTolerance is the largest relative L2 error of SpectralMix against float64.
const MixTolerance = 1e-5

// Run runs every conformance case against b.
func Run(t *testing.T, b backend.Backend) {
	t.Run("Transfer", func(t *testing.T) { testTransfer(t, b) })
	t.Run("UseAfterFree", func(t *testing.T) { testUseAfterFree(t, b) })
	t.Run("SpectralMix", func(t *testing.T) { testSpectralMix(t, b) })
	t.Run("SpectralMixErrors", func(t *testing.T) { testSpectralMixErrors(t, b) })
	t.Run("Gemm", func(t *testing.T) { testGemm(t, b) })
	t.Run("MLP", func(t *testing.T) { testMLP(t, b) })
	t.Run("MLPErrors", func(t *testing.T) { testMLPErrors(t, b) })
	t.Run("ComplexCombine", func(t *testing.T) { testComplexCombine(t, b) })
	t.Run("CopyBox", func(t *testing.T) { testCopyBox(t, b) })
	t.Run("Activate", func(t *testing.T) { testActivate(t, b) })
	t.Run("DenseErrors", func(t *testing.T) { testDenseErrors(t, b) })
	t.Run("FFT", func(t *testing.T) { testFFT(t, b) })
	t.Run("GatherModes", func(t *testing.T) { testGatherModes(t, b) })
	t.Run("Faces", func(t *testing.T) { testFaces(t, b) })
	t.Run("AddScaled", func(t *testing.T) { testAddScaled(t, b) })
	t.Run("OpsOnPrefix", func(t *testing.T) { testOpsOnPrefix(t, b) })
	t.Run("Conserve", func(t *testing.T) { testConserve(t, b) })
	t.Run("ConserveErrors", func(t *testing.T) { testConserveErrors(t, b) })
	t.Run("Kalman", func(t *testing.T) { testKalman(t, b) })
	t.Run("KalmanErrors", func(t *testing.T) { testKalmanErrors(t, b) })
	t.Run("CollisionProb", func(t *testing.T) { testCollisionProb(t, b) })
	t.Run("CollisionGrid", func(t *testing.T) { testCollisionGrid(t, b) })
	t.Run("CollisionProbErrors", func(t *testing.T) { testCollisionProbErrors(t, b) })
	t.Run("TrajScore", func(t *testing.T) { testTrajScore(t, b) })
	t.Run("TrajScoreErrors", func(t *testing.T) { testTrajScoreErrors(t, b) })
	t.Run("TrajScoreSpan", func(t *testing.T) { testTrajScoreSpan(t, b) })
	t.Run("TrajSample", func(t *testing.T) { testTrajSample(t, b) })
	t.Run("TrajSelect", func(t *testing.T) { testTrajSelect(t, b) })
	t.Run("TrajSelectErrors", func(t *testing.T) { testTrajSelectErrors(t, b) })
	t.Run("EdgeShapes", func(t *testing.T) { testEdgeShapes(t, b) })
}

func randomComplex(rng *rand.Rand, n int) []complex64 {
	s := make([]complex64, n)
	for i := range s {
		s[i] = complex(float32(rng.NormFloat64()), float32(rng.NormFloat64()))
	}
	return s
}

func testTransfer(t *testing.T, b backend.Backend) {
	ctx := context.Background()
	src := randomComplex(rand.New(rand.NewPCG(1, 2)), 1000)
	buf, err := backend.FromHost(ctx, b, src)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Free(buf)
	got := make([]complex64, len(src))
	if err := backend.Download(ctx, b, got, buf); err != nil {
		t.Fatal(err)
	}
	for i := range src {
		if got[i] != src[i] {
			t.Fatalf("element %d: got %v after a round trip, want %v", i, got[i], src[i])
		}
	}
	if err := backend.Download(ctx, b, make([]complex64, 999), buf); err == nil {
		t.Error("download into a slice of the wrong length succeeded")
	}
	if err := backend.Download(ctx, b, make([]float32, 2000), buf); err == nil {
		t.Error("download into a slice of the wrong type succeeded")
	}
}

// A freed buffer, even an empty one, must be refused rather than silently reused.
func testUseAfterFree(t *testing.T, b backend.Backend) {
	ctx := context.Background()
	for _, n := range []int{0, 16} {
		buf, err := b.Alloc(backend.Complex64, n)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Free(buf); err != nil {
			t.Fatalf("%d elements: first Free: %v", n, err)
		}
		if err := b.Free(buf); err == nil {
			t.Errorf("%d elements: second Free succeeded", n)
		}
		if err := backend.Download(ctx, b, make([]complex64, n), buf); err == nil {
			t.Errorf("%d elements: download from a freed buffer succeeded", n)
		}
		if err := backend.Upload(ctx, b, buf, make([]complex64, n)); err == nil {
			t.Errorf("%d elements: upload into a freed buffer succeeded", n)
		}
	}
}

func testSpectralMix(t *testing.T, b backend.Backend) {
	shapes := []backend.MixShape{
		{Batch: 1, In: 1, Out: 1, Modes: 1},
		{Batch: 3, In: 5, Out: 7, Modes: 11},     // batch not a multiple of any tile
		{Batch: 4, In: 2, Out: 3, Modes: 33},     // modes not a multiple of a vector
		{Batch: 20, In: 64, Out: 64, Modes: 16},  // Burgers 1-D FNO layer
		{Batch: 5, In: 32, Out: 32, Modes: 288},  // Darcy 2-D layer: 12×12 modes × 2 blocks
		{Batch: 9, In: 20, Out: 20, Modes: 1000}, // many modes, uneven chunking
	}
	rng := rand.New(rand.NewPCG(7, 11))
	for _, s := range shapes {
		in, w := randomComplex(rng, s.InLen()), randomComplex(rng, s.WeightLen())
		got := runMix(t, b, s, in, w)
		want := mixReference(in, w, s.Batch, s.In, s.Out, s.Modes)
		e := metrics.RelL2Complex(got, want)
		if e > MixTolerance {
			t.Errorf("%+v: relative L2 error %.3g against float64, want ≤ %g", s, e, MixTolerance)
		}
		t.Logf("%+v: relative L2 error %.2g", s, e)
	}
}

func runMix(t *testing.T, b backend.Backend, s backend.MixShape, in, w []complex64) []complex64 {
	t.Helper()
	got := make([]complex64, s.OutLen())
	if err := backend.SpectralMixHost(context.Background(), b, s, got, in, w); err != nil {
		t.Fatalf("%+v: %v", s, err)
	}
	return got
}

func testSpectralMixErrors(t *testing.T, b backend.Backend) {
	ctx := context.Background()
	s := backend.MixShape{Batch: 2, In: 3, Out: 4, Modes: 5}
	in, w, out := alloc(t, b, backend.Complex64, s.InLen()), alloc(t, b, backend.Complex64, s.WeightLen()), alloc(t, b, backend.Complex64, s.OutLen())
	cases := []struct {
		name        string
		out, in, w  backend.Buffer
		shape       backend.MixShape
		wantMessage string
	}{
		{"short input", out, alloc(t, b, backend.Complex64, s.InLen()-1), w, s, "input buffer has 29 elements, want [2,3,5] = 30"},
		{"float input", out, alloc(t, b, backend.Float32, s.InLen()), w, s, "input buffer holds float32, want complex64"},
		{"long weights", out, in, alloc(t, b, backend.Complex64, s.WeightLen()+1), s, "weights buffer has 61 elements"},
		{"zero modes", out, in, w, backend.MixShape{Batch: 2, In: 3, Out: 4}, "modes = 0"},
		{"negative batch", out, in, w, backend.MixShape{Batch: -1, In: 3, Out: 4, Modes: 5}, "batch = -1"},
		{"aliased output", in, in, alloc(t, b, backend.Complex64, 45), backend.MixShape{Batch: 2, In: 3, Out: 3, Modes: 5}, "aliases"},
		{"nil weights", out, in, nil, s, "weights buffer is nil"},
	}
	for _, c := range cases {
		err := b.SpectralMix(ctx, c.out, c.in, c.w, c.shape)
		if err == nil || !strings.Contains(err.Error(), c.wantMessage) {
			t.Errorf("%s: got error %v, want one containing %q", c.name, err, c.wantMessage)
		}
	}
}
