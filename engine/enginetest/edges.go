package enginetest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/internal/metrics"
)

// testEdgeShapes runs every operation over small, awkward extents: batches of 1 to 9, mode
// counts, widths and candidate counts that are no multiple of any vector or tile, odd channel
// counts, and grids of 1 to 3 points where an operation allows them. These are the shapes
// that reach the kernels' edge tiles and vector tails. Each result is held to the same
// independent reference as the operation's main case. Under a guarded placement
// (FLUXCORE_CPU_MEMORY=guard-end or guard-start, and engine/cpu's guard-page test) every
// buffer sits flush against an inaccessible page, so an access one element outside faults.
func testEdgeShapes(t *testing.T, b backend.Backend) {
	rng := rand.New(rand.NewPCG(17, 29))
	for _, op := range []struct {
		name string
		run  func(*testing.T, backend.Backend, *rand.Rand)
	}{
		{"SpectralMix", edgeMix}, {"Gemm", edgeGemm}, {"MLP", edgeMLP}, {"ComplexCombine", edgeCombine},
		{"CopyBox", edgeCopyBox}, {"Activate", edgeActivate}, {"FFT", edgeFFT}, {"GatherModes", edgeGather},
		{"Faces", edgeFaces}, {"AddScaled", edgeAddScaled}, {"Conserve", edgeConserve}, {"Kalman", edgeKalman},
		{"CollisionProb", edgeCollision}, {"TrajScore", edgeTrajScore}, {"TrajSample", edgeTrajSample},
		{"TrajSelect", edgeTrajSelect},
	} {
		t.Run(op.name, func(t *testing.T) { op.run(t, b, rng) })
	}
}

// edgeBatches is the batch sizes every grid runs: 1 to 9 covers every remainder of the
// CPU's batch tiles (4) and vector widths (4, 8, 16 floats; 2, 4, 8 complex values).
var edgeBatches = []int{1, 2, 3, 4, 5, 6, 7, 8, 9}

func edgeMix(t *testing.T, b backend.Backend, rng *rand.Rand) {
	for _, batch := range edgeBatches {
		for _, c := range [][3]int{{1, 1, 1}, {3, 5, 7}, {2, 3, 17}, {5, 2, 9}, {1, 4, 8}} {
			s := backend.MixShape{Batch: batch, In: c[0], Out: c[1], Modes: c[2]}
			in, w := randomComplex(rng, s.InLen()), randomComplex(rng, s.WeightLen())
			if e := metrics.RelL2Complex(runMix(t, b, s, in, w), mixReference(in, w, s.Batch, s.In, s.Out, s.Modes)); e > MixTolerance {
				t.Errorf("%+v: relative L2 error %.3g against float64, want ≤ %g", s, e, MixTolerance)
			}
		}
	}
}

func edgeGemm(t *testing.T, b backend.Backend, rng *rand.Rand) {
	i := 0
	for _, batch := range []int{1, 2, 3} {
		for _, mnk := range [][3]int{{1, 1, 1}, {1, 3, 2}, {2, 1, 3}, {5, 7, 3}, {7, 9, 1}, {9, 17, 5}, {3, 33, 2}} {
			c := gemmCase{batch: batch, m: mnk[0], n: mnk[1], k: mnk[2], padA: i % 2, padB: i % 3,
				sharedA: batch > 1 && i%4 == 0, bias: i%2 == 0, addend: i%3 == 0, inPlaceAddend: i%5 == 1}
			if i%2 == 1 {
				c.act = backend.ActGELU
			}
			c.name = fmt.Sprintf("%+v", c)
			runGemmCase(t, b, rng, c)
			i++
		}
	}
}

func edgeMLP(t *testing.T, b backend.Backend, rng *rand.Rand) {
	i := 0
	for _, batch := range []int{1, 2, 3} {
		for _, s := range [][4]int{{1, 1, 1, 1}, {2, 3, 2, 2}, {3, 5, 9, 3}, {1, 9, 7, 17}, {3, 2, 1, 5}} {
			c := mlpCase{batch: batch, in: s[0], hidden: s[1], out: s[2], n: s[3], padX: i % 2, offsetY: i % 3,
				bias1: i%2 == 0, bias2: i%3 != 1}
			if i%2 == 0 {
				c.act = backend.ActGELU
			}
			runMLPCase(t, b, rng, c)
			i++
		}
	}
}

func edgeCombine(t *testing.T, b backend.Backend, rng *rand.Rand) {
	for _, outer := range []int{1, 2, 3} {
		for _, rows := range []int{1, 3} {
			for _, pairs := range []int{1, 2, 3, 5, 9} {
				runComplexCombine(t, b, rng, backend.CombineShape{Outer: outer, Rows: rows, Pairs: pairs})
			}
		}
	}
}

func edgeCopyBox(t *testing.T, b backend.Backend, _ *rand.Rand) {
	for _, bx := range []backend.Box{
		{Outer: 1, Src: [3]int{1, 1, 1}, Dst: [3]int{2, 1, 1}},
		{Outer: 3, Src: [3]int{2, 3, 1}, Dst: [3]int{1, 2, 1}},
		{Outer: 2, Src: [3]int{1, 2, 3}, Dst: [3]int{3, 1, 2}},
		{Outer: 1, Src: [3]int{3, 3, 3}, Dst: [3]int{3, 3, 3}},
		{Outer: 5, Src: [3]int{1, 1, 1}, Dst: [3]int{1, 1, 1}},
	} {
		runCopyBox(t, b, bx)
	}
}

// edgeActivate applies GELU to views of 1 to 3 rows of 1 to 9 columns that skip a column on
// each side, in batches of 1 and 2; what lies outside the view must come back untouched.
func edgeActivate(t *testing.T, b backend.Backend, rng *rand.Rand) {
	for _, batch := range []int{1, 2} {
		for rows := 1; rows <= 3; rows++ {
			for cols := 1; cols <= 9; cols++ {
				ld := cols + 2
				x := randomFloats(rng, batch*rows*ld, 3)
				buf := upload(t, b, x)
				view := backend.Matrix{Buf: buf, Offset: 1, Rows: rows, Cols: cols, LD: ld, BatchStride: rows * ld}
				if err := b.Activate(context.Background(), view, batch, backend.ActGELU); err != nil {
					t.Fatal(err)
				}
				got := download[float32](t, b, buf)
				for i, xi := range x {
					inView := i%ld >= 1 && i%ld <= cols
					want := float64(xi)
					if inView {
						want = activate64(backend.ActGELU, want)
					}
					if e := math.Abs(float64(got[i]) - want); (inView && e > 3e-7*max(1, math.Abs(float64(xi)))) || (!inView && e != 0) {
						t.Fatalf("%d×%d×%d (ld %d): element %d = %g, want %g", batch, rows, cols, ld, i, got[i], want)
					}
				}
			}
		}
	}
}

func edgeFFT(t *testing.T, b backend.Backend, rng *rand.Rand) {
	dims := [][]int{{1}, {2}, {3}, {5}, {7}, {1, 3}, {2, 2}, {3, 1}, {2, 3}, {1, 1, 2}, {3, 2, 3}, {2, 1, 1}}
	for _, batch := range []int{1, 2, 3, 5, 9} {
		for _, d := range dims {
			half := d[len(d)-1]/2 + 1
			for _, columns := range []int{1, half} {
				runFFTCase(t, b, rng, backend.FFTShape{Batch: batch, Dims: d, Columns: columns})
				if half == 1 {
					break
				}
			}
		}
	}
}

func edgeGather(t *testing.T, b backend.Backend, rng *rand.Rand) {
	for rows := 1; rows <= 3; rows++ {
		for _, src := range []int{1, 2, 5} {
			for _, dst := range []int{1, 3, 7} {
				runGather(t, b, rng, rows, src, dst)
			}
		}
	}
}

// edgeFaces runs every face operation on axes of 2 to 4 points (3 for the mollifier, which
// needs one more than its width) with 1 to 3 face points and probe periods of 1 and the face.
func edgeFaces(t *testing.T, b backend.Backend, rng *rand.Rand) {
	ops := []backend.FaceOp{backend.FaceEliminateLeft, backend.FaceEliminateRight, backend.FaceDirichlet,
		backend.FaceNeumann, backend.FacePeriodic, backend.FaceMollify}
	for _, n := range []int{2, 3, 4} {
		for _, inner := range []int{1, 2, 3} {
			for _, geom := range [][3]int{{1, 1, 1}, {2, 3, 1}, {1, 1, 3}} {
				for _, period := range []int{1, inner} {
					for _, op := range ops {
						if op == backend.FaceMollify && n < 3 {
							continue
						}
						c := newFacesCase(rng, geom[0], geom[1], geom[2], n, inner, period)
						// Stencils no longer than the axis.
						c.stencilLeft = c.stencilLeft[:min(len(c.stencilLeft), n)]
						c.stencilRight = c.stencilRight[len(c.stencilRight)-min(len(c.stencilRight), n):]
						base := 0
						if op == backend.FaceEliminateRight && inner%2 == 1 {
							base = n - 1
						}
						runFacesCase(t, b, c, op, base, 2)
					}
				}
			}
		}
	}
}

func edgeAddScaled(t *testing.T, b backend.Backend, rng *rand.Rand) {
	for n := 1; n <= 33; n++ {
		runAddScaled(t, b, rng, n)
	}
}

// edgeConserve runs each form on 1 to 3 slices of 1 to 5 points with 1 or 2 constraints.
func edgeConserve(t *testing.T, b backend.Backend, rng *rand.Rand) {
	i := 0
	for _, slices := range []int{1, 2, 3} {
		for _, n := range []int{1, 2, 3, 5} {
			for m := 1; m <= min(2, n); m++ {
				for _, form := range []backend.CovForm{backend.CovDiagonal, backend.CovFull, backend.CovEnsemble} {
					c := conserveCase{form: form, slices: slices, n: n, m: m, sharedG: i%2 == 1, sharedB: i%3 == 1,
						wantCov: i%2 == 0, singularSlice: -1, dtype: backend.Float64, tolerance: 1e-10}
					if i%3 == 0 {
						c.dtype, c.tolerance, c.noiseVar = backend.Float32, 5e-5, 1e-2
					}
					if form == backend.CovEnsemble {
						c.members, c.wantEns, c.extraVar = 2+i%3, true, i%2 == 0
					}
					c.name = fmt.Sprintf("%s %d×%d m%d %s", form, slices, n, m, c.dtype)
					t.Run(c.name, func(t *testing.T) { runConserveCase(t, b, rng, c) })
					i++
				}
			}
		}
	}
}

// edgeKalman runs 1 to 9 filters of every size the CPU loop instantiates and one it does
// not (5 states), in both storage types, with shared and per-filter models; the last filter
// of some batches fails, so that a vector tail holds a failure.
func edgeKalman(t *testing.T, b backend.Backend, rng *rand.Rand) {
	for _, filters := range edgeBatches {
		for _, size := range [][2]int{{1, 1}, {2, 1}, {3, 1}, {4, 2}, {5, 2}, {6, 3}} {
			for _, dt := range []backend.DType{backend.Float32, backend.Float64} {
				for _, perFilter := range []bool{false, true} {
					c := kalmanCase{filters: filters, nx: size[0], nz: size[1], perFilter: perFilter, dtype: dt,
						tolerance: 1e-10, badFilter: -1}
					if dt == backend.Float32 {
						c.tolerance = 2e-5
					}
					if (filters+size[0])%3 == 0 {
						c.badFilter = filters - 1
					}
					c.name = fmt.Sprintf("%d filters nx%d nz%d %s per-filter %v", filters, c.nx, c.nz, dt, perFilter)
					t.Run(c.name, func(t *testing.T) { runKalmanCase(t, b, rng, c) })
				}
			}
		}
	}
}

// edgeCollision evaluates runs of 1 to 9 of the reference cases, starting at several
// offsets, in both forms: each probability must equal the one the whole batch gives, which
// testCollisionProb holds to the brute-force integral, whatever the run's length or place.
func edgeCollision(t *testing.T, b backend.Backend, _ *rand.Rand) {
	cases, _ := collisionReference()
	for _, form := range []backend.CollisionForm{backend.CollisionAccurate, backend.CollisionFast} {
		whole := runCollisionProb(t, b, cases, form)
		for _, n := range edgeBatches {
			for _, first := range []int{0, 5, len(cases) - n} {
				got := runCollisionProb(t, b, cases[first:first+n], form)
				for i, p := range got {
					if math.Abs(p-whole[first+i]) > 1e-6 || math.IsNaN(p) {
						t.Errorf("form %d, cases [%d, %d): case %d P = %g, %g in the whole batch", form, first, first+n, first+i, p, whole[first+i])
					}
				}
			}
		}
	}
}

// edgeTrajScore scores the smallest problems: one step, one segment, no obstacles or map, a
// map of one cell, a one-circle footprint, a two-point path, and the full eight circles,
// against the generic loop on Go's heap (as testTrajScore, which it skips for itself).
func edgeTrajScore(t *testing.T, b backend.Backend, rng *rand.Rand) {
	if isGenericOnGoHeap(b) {
		t.Skipf("%s is the reference of this case", b.Name())
	}
	for _, g := range []trajGeometry{
		{n: 32, steps: 1, segments: 1, obstacles: 0, pathPoints: 2, mapW: 0, mapH: 0, circles: 1},
		{n: 32, steps: 2, segments: 1, obstacles: 1, pathPoints: 2, mapW: 1, mapH: 1, circles: 1},
		{n: 64, steps: 3, segments: 2, obstacles: 2, pathPoints: 3, mapW: 3, mapH: 2, circles: 3},
		{n: 32, steps: 3, segments: 3, obstacles: 1, pathPoints: 4, mapW: 2, mapH: 3, circles: backend.TrajMaxCircles},
		{n: 96, steps: 5, segments: 2, obstacles: 3, pathPoints: 2, mapW: 7, mapH: 5, circles: 2},
	} {
		compareTrajScore(t, b, rng, g)
	}
}

func edgeTrajSample(t *testing.T, b backend.Backend, rng *rand.Rand) {
	for _, n := range []int{1, 2, 3, 9} {
		for _, segs := range []int{1, 2} {
			for _, rows := range []int{1, 3} {
				calls := []trajSampleCall{{0, n, min(n, backend.TrajExtremes), n / 2}}
				if n > 1 {
					calls = []trajSampleCall{{0, 1, 1, 0}, {1, n - 1, 0, (n - 1) / 2}}
				}
				runTrajSample(t, b, rng, n, segs, rows, calls)
			}
		}
	}
}

func edgeTrajSelect(t *testing.T, b backend.Backend, rng *rand.Rand) {
	for _, n := range edgeBatches {
		for _, count := range []int{1, (n + 1) / 2, n} {
			runTrajSelect(t, b, rng, n, count, 1+n%2, []int{1, 2, 3, count})
		}
	}
}
