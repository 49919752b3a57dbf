package enginetest

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/fluxcore/fluxcore/engine/backend"
)

// facesCase is a tensor [samples·channels·lead, n, inner] with every operand a face op reads.
type facesCase struct {
	samples, channels, lead, n, inner, period int
	dst, x, k, probes, left, right            []float32
	stencilLeft, stencilRight                 []float32
}

func newFacesCase(rng *rand.Rand, samples, channels, lead, n, inner, period int) *facesCase {
	c := &facesCase{samples: samples, channels: channels, lead: lead, n: n, inner: inner, period: period}
	total := c.outer() * n * inner
	normal := func(count int) []float32 {
		v := make([]float32, count)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	c.dst, c.x, c.k = normal(total), normal(total), normal(total)
	// Pivots away from zero, as the host's clamps leave them.
	c.probes = normal(3 * period)
	for i := period; i < 3*period; i++ {
		c.probes[i] = float32(math.Copysign(0.5+math.Abs(float64(c.probes[i])), float64(c.probes[i])))
	}
	c.left, c.right = normal(samples*lead*inner), normal(samples*lead*inner)
	c.stencilLeft, c.stencilRight = []float32{-0.05, -18.0 / 11, 9.0 / 11, -2.0 / 11}, []float32{-0.5, 2, 0.25}
	return c
}

func (c *facesCase) outer() int { return c.samples * c.channels * c.lead }

// want is the float64 reference of op on c.dst.
func (c *facesCase) want(op backend.FaceOp, base, smooth int) []float64 {
	n, inner := c.n, c.inner
	d := make([]float64, len(c.dst))
	for i, v := range c.dst {
		d[i] = float64(v)
	}
	at := func(o, row, f int) int { return (o*n+row)*inner + f }
	for o := range c.outer() {
		data := ((o/(c.channels*c.lead))*c.lead + o%c.lead) * inner
		for f := range inner {
			p := f % c.period
			k0n, knn, tk00 := float64(c.probes[p]), float64(c.probes[c.period+p]), float64(c.probes[2*c.period+p])
			first, last := at(o, 0, f), at(o, n-1, f)
			switch op {
			case backend.FaceEliminateLeft:
				x0, xN, kx0, kxN := float64(c.x[first]), float64(c.x[last]), float64(c.k[first]), float64(c.k[last])
				d[first] = 2*x0 - (kx0-kxN*k0n/knn+k0n*xN)/tk00
			case backend.FaceEliminateRight:
				d[last] = 2*d[at(o, base, f)] - float64(c.k[last])/knn
			case backend.FaceDirichlet:
				d[first], d[last] = float64(c.left[data+f]), float64(c.right[data+f])
			case backend.FaceNeumann:
				// u_b = g·c_b − Σ_interior c_j·u_j, both sides from the same line.
				l := float64(c.left[data+f]) * float64(c.stencilLeft[0])
				for j := 1; j < len(c.stencilLeft); j++ {
					l -= float64(c.stencilLeft[j]) * d[at(o, j, f)]
				}
				m := len(c.stencilRight)
				r := float64(c.right[data+f]) * float64(c.stencilRight[m-1])
				for j := range m - 1 {
					r -= float64(c.stencilRight[j]) * d[at(o, n-m+j, f)]
				}
				d[first], d[last] = l, r
			case backend.FacePeriodic:
				avg := (d[first] + d[last]) / 2
				d[first], d[last] = avg, avg
			case backend.FaceMollify:
				// Each block's right-hand side is read whole before it is written.
				for _, rows := range [][2]int{{1, smooth}, {n - smooth, n - 1}} {
					old := make([]float64, n)
					for row := range n {
						old[row] = d[at(o, row, f)]
					}
					for row := rows[0]; row < rows[1]; row++ {
						d[at(o, row, f)] = (old[row-1] + old[row] + old[row+1]) / 3
					}
				}
			}
		}
	}
	return d
}

// Every face operation against its float64 definition, on a tensor whose face data are
// shared by channels and indexed by a leading axis, with probe vectors shorter than a face.
func testFaces(t *testing.T, b backend.Backend) {
	rng := rand.New(rand.NewPCG(21, 4))
	const samples, channels, lead, n, inner, period = 2, 3, 2, 11, 10, 5
	for _, tc := range []struct {
		op           backend.FaceOp
		base, smooth int
	}{
		{backend.FaceEliminateLeft, 0, 0},
		{backend.FaceEliminateRight, n - 1, 0},
		{backend.FaceEliminateRight, 0, 0},
		{backend.FaceDirichlet, 0, 0},
		{backend.FaceNeumann, 0, 0},
		{backend.FacePeriodic, 0, 0},
		{backend.FaceMollify, 0, 5},
	} {
		t.Run(tc.op.String(), func(t *testing.T) {
			runFacesCase(t, b, newFacesCase(rng, samples, channels, lead, n, inner, period), tc.op, tc.base, tc.smooth)
		})
	}
	t.Run("errors", func(t *testing.T) {
		c := newFacesCase(rng, 1, 1, 1, 4, 3, 1)
		dst := upload(t, b, c.dst)
		defer b.Free(dst)
		for _, bad := range []struct {
			f    backend.Faces
			want string
		}{
			{backend.Faces{Op: backend.FacePeriodic, Outer: 1, N: 1, Inner: 3, Dst: dst}, "want outer ≥ 1, n ≥ 2"},
			{backend.Faces{Op: backend.FacePeriodic, Outer: 2, N: 4, Inner: 3, Dst: dst}, "dst must be at least 24"},
			{backend.Faces{Op: backend.FaceEliminateLeft, Outer: 1, N: 4, Inner: 3, Dst: dst, Period: 1}, "k must be"},
			{backend.Faces{Op: backend.FaceDirichlet, Outer: 1, N: 4, Inner: 3, Dst: dst, Channels: 2, Lead: 1}, "not samples × 2 channels"},
			{backend.Faces{Op: backend.FaceMollify, Outer: 1, N: 4, Inner: 3, Dst: dst, Smooth: 5}, "width 5 on an axis of 4"},
			{backend.Faces{Op: 9, Outer: 1, N: 4, Inner: 3, Dst: dst}, "unknown operation 9"},
		} {
			if err := b.Faces(context.Background(), bad.f); err == nil || !strings.Contains(err.Error(), bad.want) {
				t.Errorf("%+v: got %v, want an error containing %q", bad.f, err, bad.want)
			}
		}
	})
}

// runFacesCase runs op on c's tensor and holds every element to c.want.
func runFacesCase(t *testing.T, b backend.Backend, c *facesCase, op backend.FaceOp, base, smooth int) {
	n, inner := c.n, c.inner
	want := c.want(op, base, smooth)
	f := backend.Faces{Op: op, Outer: c.outer(), N: n, Inner: inner, Dst: upload(t, b, c.dst),
		X: upload(t, b, c.x), K: upload(t, b, c.k), Probes: upload(t, b, c.probes), Period: c.period, Base: base,
		Left: upload(t, b, c.left), Right: upload(t, b, c.right), Channels: c.channels, Lead: c.lead,
		Stencil:     upload(t, b, append(append([]float32(nil), c.stencilLeft...), c.stencilRight...)),
		StencilLeft: len(c.stencilLeft), StencilRight: len(c.stencilRight), Smooth: smooth}
	if err := b.Faces(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	got := download[float32](t, b, f.Dst)
	for i, w := range want {
		if e := math.Abs(float64(got[i]) - w); e > 2e-6*(1+math.Abs(w)) {
			t.Fatalf("%s on [%d, %d, %d]: element %d (row %d): got %g, want %g", op, c.outer(), n, inner, i, i/inner%n, got[i], w)
		}
	}
}

func testAddScaled(t *testing.T, b backend.Backend) {
	runAddScaled(t, b, rand.New(rand.NewPCG(5, 8)), 1037)
	dst := alloc(t, b, backend.Float32, 8)
	if err := b.AddScaled(context.Background(), dst, dst, 1); err == nil {
		t.Error("an aliased AddScaled was accepted")
	}
}

func runAddScaled(t *testing.T, b backend.Backend, rng *rand.Rand, n int) {
	a, s := make([]float32, n), make([]float32, n)
	for i := range a {
		a[i], s[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	dst, src := upload(t, b, a), upload(t, b, s)
	if err := b.AddScaled(context.Background(), dst, src, 0.5); err != nil {
		t.Fatal(err)
	}
	got := download[float32](t, b, dst)
	for i := range a {
		// Two float32 roundings at most.
		if want := 0.5 * (float64(a[i]) + float64(s[i])); math.Abs(float64(got[i])-want) > 1.2e-7*math.Abs(want)+1e-30 {
			t.Fatalf("%d elements: element %d: got %g, want %g", n, i, got[i], want)
		}
	}
}
