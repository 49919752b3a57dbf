package enginetest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/internal/metrics"
)

// DenseTolerance is the largest relative L2 error of Gemm against float64; GELU's rational
// adds about 1e-7 to float32 rounding.
const DenseTolerance = 1e-5

type gemmCase struct {
	name          string
	batch         int
	m, n, k       int
	padA, padB    int // extra row stride
	sharedA       bool
	bias, addend  bool
	inPlaceAddend bool
	act           backend.Activation
}

func testGemm(t *testing.T, b backend.Backend) {
	cases := []gemmCase{
		{name: "1x1x1", batch: 1, m: 1, n: 1, k: 1},
		{name: "odd edges", batch: 3, m: 13, n: 37, k: 7, padA: 3, padB: 5, bias: true},
		{name: "pointwise conv", batch: 4, m: 64, n: 300, k: 64, sharedA: true, bias: true, addend: true, act: backend.ActGELU},
		{name: "dft rows", batch: 1, m: 500, n: 32, k: 129},
		{name: "in-place accumulate", batch: 2, m: 20, n: 97, k: 20, sharedA: true, addend: true, inPlaceAddend: true},
		{name: "gelu tails", batch: 1, m: 7, n: 270, k: 3, bias: true, act: backend.ActGELU},
		{name: "beyond one block", batch: 2, m: 200, n: 600, k: 9, sharedA: true, act: backend.ActGELU},
	}
	rng := rand.New(rand.NewPCG(3, 5))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runGemmCase(t, b, rng, c) })
	}
}

func randomFloats(rng *rand.Rand, n int, scale float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(scale * rng.NormFloat64())
	}
	return s
}

func runGemmCase(t *testing.T, b backend.Backend, rng *rand.Rand, c gemmCase) {
	ctx := context.Background()
	lda, ldb := c.k+c.padA, c.n+c.padB
	strideA := c.m * lda
	if c.sharedA {
		strideA = 0
	}
	aLen := max(strideA*c.batch, c.m*lda)
	// Large inputs in the GELU cases reach both tails of the erf polynomial.
	scale := 1.0
	if c.act == backend.ActGELU {
		scale = 3
	}
	a := randomFloats(rng, aLen+2, scale/math.Sqrt(float64(c.k)))
	bm := randomFloats(rng, c.batch*c.k*ldb, 1)
	bias := randomFloats(rng, c.m, 1)
	addend := randomFloats(rng, c.batch*c.m*c.n, 1)

	up := func(s []float32) backend.Buffer { return upload(t, b, s) }
	g := backend.Gemm{
		Batch: c.batch,
		A:     backend.Matrix{Buf: up(a), Offset: 2, Rows: c.m, Cols: c.k, LD: lda, BatchStride: strideA},
		B:     backend.Matrix{Buf: up(bm), Rows: c.k, Cols: c.n, LD: ldb, BatchStride: c.k * ldb},
		Act:   c.act,
	}
	cBuf := up(make([]float32, c.batch*c.m*c.n))
	g.C = backend.Matrix{Buf: cBuf, Rows: c.m, Cols: c.n, BatchStride: c.m * c.n}
	if c.bias {
		g.Bias = up(bias)
	}
	if c.addend || c.inPlaceAddend {
		d := g.C
		if c.inPlaceAddend {
			if err := backend.Upload(ctx, b, cBuf, addend); err != nil {
				t.Fatal(err)
			}
		} else {
			d.Buf = up(addend)
		}
		g.Addend = &d
	}
	if err := b.Gemm(ctx, g); err != nil {
		t.Fatal(err)
	}
	got := download[float32](t, b, cBuf)

	want := make([]float64, len(got))
	for bi := range c.batch {
		for i := range c.m {
			for j := range c.n {
				var acc float64
				for p := range c.k {
					acc += float64(a[2+bi*strideA+i*lda+p]) * float64(bm[bi*c.k*ldb+p*ldb+j])
				}
				if c.bias {
					acc += float64(bias[i])
				}
				if c.addend || c.inPlaceAddend {
					acc += float64(addend[(bi*c.m+i)*c.n+j])
				}
				want[(bi*c.m+i)*c.n+j] = activate64(c.act, acc)
			}
		}
	}
	checkDense(t, got, want)
}

// activate64 is the float64 definition of an activation.
func activate64(act backend.Activation, x float64) float64 {
	if act == backend.ActGELU {
		return 0.5 * x * math.Erfc(-x/math.Sqrt2)
	}
	return x
}

// checkDense holds a dense result to DenseTolerance against its float64 definition.
func checkDense(t *testing.T, got []float32, want []float64) {
	t.Helper()
	e := metrics.RelL2(got, want)
	if e > DenseTolerance || math.IsNaN(e) {
		t.Errorf("relative L2 error %.3g against float64, want ≤ %g", e, DenseTolerance)
	}
	t.Logf("relative L2 error %.2g", e)
}

// The rational GELU against math.Erfc on a fine grid, pointwise: the absolute error is
// what the activation adds to every layer. The view skips the first and last column of each
// row, which must come back untouched, as BOON's interior-only activation needs.
func testActivate(t *testing.T, b backend.Backend) {
	ctx := context.Background()
	const rows, cols = 4, 1002
	x := make([]float32, rows*cols)
	for i := range x {
		x[i] = float32(-20 + 40*float64(i)/float64(len(x)-1))
	}
	buf := upload(t, b, x)
	// Two batch entries of two rows each cover the four rows.
	view := backend.Matrix{Buf: buf, Offset: 1, Rows: rows / 2, Cols: cols - 2, LD: cols, BatchStride: rows / 2 * cols}
	if err := b.Activate(ctx, view, 2, backend.ActGELU); err != nil {
		t.Fatal(err)
	}
	got := download[float32](t, b, buf)
	// The bound is absolute, scaled by |x|, as a layer's sum sees it: the rational's float32
	// evaluation reaches 2e-7·max(1,|x|) (tools/fit_gelu.py). In the negative tail Φ comes
	// from ½ − x·P/Q, so results below about 1e-7·|x| carry no relative accuracy, as with
	// PyTorch's own vectorized erf.
	worst, worstRel := 0.0, 0.0
	for i, xi := range x {
		if c := i % cols; c == 0 || c == cols-1 {
			if got[i] != xi {
				t.Errorf("column %d outside the view changed: %g → %g", c, xi, got[i])
			}
			continue
		}
		want := activate64(backend.ActGELU, float64(xi))
		e := math.Abs(float64(got[i]) - want)
		if e > 3e-7*max(1, math.Abs(float64(xi))) {
			t.Errorf("gelu(%g) = %g, want %g (error %.2g)", xi, got[i], want, e)
		}
		worst = max(worst, e/max(1, math.Abs(float64(xi))))
		if math.Abs(want) > 1e-3 {
			worstRel = max(worstRel, e/math.Abs(want))
		}
	}
	t.Logf("worst error on [-20, 20]: %.2g·max(1,|x|); worst relative error where |gelu| > 1e-3: %.2g", worst, worstRel)
	if err := b.Activate(ctx, backend.Matrix{Buf: buf, Offset: 3, Rows: rows, Cols: cols - 2, LD: cols}, 1, backend.ActGELU); err == nil {
		t.Error("a view past the end of the buffer was accepted")
	}
}

func testComplexCombine(t *testing.T, b backend.Backend) {
	runComplexCombine(t, b, rand.New(rand.NewPCG(9, 9)), backend.CombineShape{Outer: 5, Rows: 3, Pairs: 7})
}

func runComplexCombine(t *testing.T, b backend.Backend, rng *rand.Rand, s backend.CombineShape) {
	ctx := context.Background()
	p := randomFloats(rng, s.PLen(), 1)
	zb := alloc(t, b, backend.Float32, s.ZLen())
	if err := b.ComplexCombine(ctx, zb, upload(t, b, p), s); err != nil {
		t.Fatal(err)
	}
	z := download[float32](t, b, zb)
	row := 2 * s.Pairs
	for o := range s.Outer {
		for k := range s.Rows {
			for j := range s.Pairs {
				re := p[(o*2*s.Rows+k)*row+2*j : (o*2*s.Rows+k)*row+2*j+2]
				im := p[(o*2*s.Rows+s.Rows+k)*row+2*j : (o*2*s.Rows+s.Rows+k)*row+2*j+2]
				// (Ere·T) + i·(Eim·T), with each product stored as an interleaved pair.
				want := complex(re[0], re[1]) + complex(0, 1)*complex(im[0], im[1])
				at := (o*s.Rows+k)*row + 2*j
				if got := complex(z[at], z[at+1]); got != want {
					t.Fatalf("%+v: outer %d row %d pair %d: got %v, want %v", s, o, k, j, got, want)
				}
			}
		}
	}
}

func testCopyBox(t *testing.T, b backend.Backend) {
	for _, bx := range []backend.Box{
		{Outer: 3, Src: [3]int{5, 1, 1}, Dst: [3]int{8, 1, 1}}, // 1-D pad
		{Outer: 2, Src: [3]int{4, 6, 1}, Dst: [3]int{7, 9, 1}}, // 2-D pad
		{Outer: 2, Src: [3]int{7, 9, 1}, Dst: [3]int{4, 6, 1}}, // 2-D crop
		{Outer: 1, Src: [3]int{3, 4, 5}, Dst: [3]int{5, 4, 2}}, // 3-D mixed
	} {
		t.Run(fmt.Sprint(bx.Src, "→", bx.Dst), func(t *testing.T) { runCopyBox(t, b, bx) })
	}
}

func runCopyBox(t *testing.T, b backend.Backend, bx backend.Box) {
	src := make([]float32, bx.SrcLen())
	for i := range src {
		src[i] = float32(i + 1)
	}
	// Start from garbage so that the zero fill is tested too.
	garbage := make([]float32, bx.DstLen())
	for i := range garbage {
		garbage[i] = -7
	}
	db := upload(t, b, garbage)
	if err := b.CopyBox(context.Background(), db, upload(t, b, src), bx); err != nil {
		t.Fatal(err)
	}
	got := download[float32](t, b, db)
	for o := range bx.Outer {
		for i := range bx.Dst[0] {
			for j := range bx.Dst[1] {
				for k := range bx.Dst[2] {
					var want float32
					if i < bx.Src[0] && j < bx.Src[1] && k < bx.Src[2] {
						want = src[((o*bx.Src[0]+i)*bx.Src[1]+j)*bx.Src[2]+k]
					}
					if g := got[((o*bx.Dst[0]+i)*bx.Dst[1]+j)*bx.Dst[2]+k]; g != want {
						t.Fatalf("%+v: [%d,%d,%d,%d] = %g, want %g", bx, o, i, j, k, g, want)
					}
				}
			}
		}
	}
}

func testDenseErrors(t *testing.T, b backend.Backend) {
	ctx := context.Background()
	a, bb, c := alloc(t, b, backend.Float32, 12), alloc(t, b, backend.Float32, 20), alloc(t, b, backend.Float32, 15)
	ok := backend.Gemm{
		Batch: 1,
		A:     backend.Matrix{Buf: a, Rows: 3, Cols: 4},
		B:     backend.Matrix{Buf: bb, Rows: 4, Cols: 5},
		C:     backend.Matrix{Buf: c, Rows: 3, Cols: 5},
	}
	if err := b.Gemm(ctx, ok); err != nil {
		t.Fatalf("valid gemm: %v", err)
	}
	mutate := func(f func(*backend.Gemm)) backend.Gemm { g := ok; f(&g); return g }
	cases := []struct {
		name string
		g    backend.Gemm
		want string
	}{
		{"inner mismatch", mutate(func(g *backend.Gemm) { g.B.Rows = 5; g.B.Cols = 4 }), "want A M×K, B K×N"},
		{"view past end", mutate(func(g *backend.Gemm) { g.A.Offset = 1 }), "needs 13 elements, buffer has 12"},
		{"int operand", mutate(func(g *backend.Gemm) { g.B.Buf = alloc(t, b, backend.Int32, 20) }), "want float32"},
		{"short bias", mutate(func(g *backend.Gemm) { g.Bias = alloc(t, b, backend.Float32, 2) }), "bias is 2 float32 values, want 3"},
		{"aliased C", mutate(func(g *backend.Gemm) {
			g.C.Buf = bb
			g.C.Rows = 4
			g.A.Rows = 4
			g.A.Buf = alloc(t, b, backend.Float32, 16)
		}), "C aliases an input"},
		{"zero batch", mutate(func(g *backend.Gemm) { g.Batch = 0 }), "batch = 0"},
		{"shared C", mutate(func(g *backend.Gemm) {
			g.Batch = 2
			g.A.BatchStride = 0
			g.B.Buf = alloc(t, b, backend.Float32, 40)
			g.B.BatchStride = 20
		}), "batch stride 0"},
		{"bad activation", mutate(func(g *backend.Gemm) { g.Act = 9 }), "unknown activation"},
	}
	for _, c := range cases {
		err := b.Gemm(ctx, c.g)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
	if err := b.ComplexCombine(ctx, alloc(t, b, backend.Float32, 3), alloc(t, b, backend.Float32, 8), backend.CombineShape{Outer: 1, Rows: 1, Pairs: 2}); err == nil ||
		!strings.Contains(err.Error(), "Z must hold at least 4 float32 values") {
		t.Errorf("combine with a wrong Z: got %v", err)
	}
	if err := b.CopyBox(ctx, alloc(t, b, backend.Float32, 5), alloc(t, b, backend.Float32, 4), backend.Box{Outer: 1, Src: [3]int{4, 1, 1}, Dst: [3]int{6, 1, 1}}); err == nil ||
		!strings.Contains(err.Error(), "destination must hold 6 float32 values") {
		t.Errorf("copy box with a short destination: got %v", err)
	}
}

// mlpCase is one fused two-layer MLP call: X is in × n per batch entry with rows padX
// longer than n, and Y's view starts offsetY elements into its buffer.
type mlpCase struct {
	name                   string
	batch, in, hidden, out int
	n, padX, offsetY       int
	bias1, bias2           bool
	act                    backend.Activation
}

// The fused two-layer MLP against its float64 definition: output widths on both sides of
// the CUDA kernel's register group of 8, a hidden width that is not a multiple of any
// micro-tile, ragged columns, strided views and absent biases.
func testMLP(t *testing.T, b backend.Backend) {
	cases := []mlpCase{
		{name: "projection", batch: 3, in: 20, hidden: 128, out: 1, n: 300, bias1: true, bias2: true, act: backend.ActGELU},
		{name: "ragged", batch: 2, in: 7, hidden: 13, out: 3, n: 37, padX: 5, offsetY: 4, bias1: true, act: backend.ActGELU},
		{name: "wide output", batch: 1, in: 5, hidden: 11, out: 10, n: 520, bias2: true},
		{name: "one point", batch: 4, in: 1, hidden: 1, out: 1, n: 1, bias1: true, bias2: true, act: backend.ActGELU},
	}
	rng := rand.New(rand.NewPCG(11, 13))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runMLPCase(t, b, rng, c) })
	}
}

func runMLPCase(t *testing.T, b backend.Backend, rng *rand.Rand, c mlpCase) {
	ctx := context.Background()
	ldx := c.n + c.padX
	x := randomFloats(rng, c.batch*c.in*ldx, 1)
	w1 := randomFloats(rng, c.hidden*c.in, 3/math.Sqrt(float64(c.in)))
	w2 := randomFloats(rng, c.out*c.hidden, 1/math.Sqrt(float64(c.hidden)))
	bias1, bias2 := randomFloats(rng, c.hidden, 1), randomFloats(rng, c.out, 1)
	yLen := c.offsetY + c.batch*c.out*c.n
	yBuf := upload(t, b, make([]float32, yLen))
	p := backend.MLP{
		Batch:  c.batch,
		X:      backend.Matrix{Buf: upload(t, b, x), Rows: c.in, Cols: c.n, LD: ldx, BatchStride: c.in * ldx},
		Y:      backend.Matrix{Buf: yBuf, Offset: c.offsetY, Rows: c.out, Cols: c.n, BatchStride: c.out * c.n},
		Hidden: c.hidden,
		W1:     upload(t, b, w1),
		W2:     upload(t, b, w2),
		Act:    c.act,
	}
	if c.bias1 {
		p.Bias1 = upload(t, b, bias1)
	}
	if c.bias2 {
		p.Bias2 = upload(t, b, bias2)
	}
	if err := b.MLP(ctx, p); err != nil {
		t.Fatal(err)
	}
	got := download[float32](t, b, yBuf)
	for i := range c.offsetY {
		if got[i] != 0 {
			t.Fatalf("element %d before Y's view changed to %g", i, got[i])
		}
	}
	want := make([]float64, c.batch*c.out*c.n)
	hidden := make([]float64, c.hidden)
	for bi := range c.batch {
		for j := range c.n {
			for h := range c.hidden {
				z := 0.0
				for i := range c.in {
					z += float64(w1[h*c.in+i]) * float64(x[(bi*c.in+i)*ldx+j])
				}
				if c.bias1 {
					z += float64(bias1[h])
				}
				hidden[h] = activate64(c.act, z)
			}
			for o := range c.out {
				y := 0.0
				for h, a := range hidden {
					y += float64(w2[o*c.hidden+h]) * a
				}
				if c.bias2 {
					y += float64(bias2[o])
				}
				want[(bi*c.out+o)*c.n+j] = y
			}
		}
	}
	checkDense(t, got[c.offsetY:], want)
}

func testMLPErrors(t *testing.T, b backend.Backend) {
	ctx := context.Background()
	ok := backend.MLP{
		Batch:  1,
		X:      backend.Matrix{Buf: alloc(t, b, backend.Float32, 12), Rows: 3, Cols: 4},
		Y:      backend.Matrix{Buf: alloc(t, b, backend.Float32, 8), Rows: 2, Cols: 4},
		Hidden: 5,
		W1:     alloc(t, b, backend.Float32, 15),
		W2:     alloc(t, b, backend.Float32, 10),
		Act:    backend.ActGELU,
	}
	if err := b.MLP(ctx, ok); err != nil {
		t.Fatalf("valid mlp: %v", err)
	}
	mutate := func(f func(*backend.MLP)) backend.MLP { p := ok; f(&p); return p }
	cases := []struct {
		name string
		p    backend.MLP
		want string
	}{
		{"short W1", mutate(func(p *backend.MLP) { p.W1 = alloc(t, b, backend.Float32, 14) }), "W1 is 14 float32 values, want 15 float32 (5×3 (hidden × in))"},
		{"missing W2", mutate(func(p *backend.MLP) { p.W2 = nil }), "W2 is nil"},
		{"bias2 per hidden", mutate(func(p *backend.MLP) { p.Bias2 = alloc(t, b, backend.Float32, 5) }), "bias2 is 5 float32 values, want 2"},
		{"points differ", mutate(func(p *backend.MLP) { p.Y.Cols = 3 }), "X has 4 columns (points), Y has 3"},
		{"Y is X", mutate(func(p *backend.MLP) { p.Y.Buf = p.X.Buf }), "Y aliases X"},
		{"zero hidden", mutate(func(p *backend.MLP) { p.Hidden = 0 }), "hidden width 0"},
		{"bad activation", mutate(func(p *backend.MLP) { p.Act = 7 }), "unknown activation"},
	}
	for _, c := range cases {
		if err := b.MLP(ctx, c.p); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}
