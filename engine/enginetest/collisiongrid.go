package enginetest

import (
	"math"
	"sync"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mathext"

	"github.com/fluxcore/fluxcore/engine/backend"
)

// The fast collision form's documented bound, proved on a dense grid: for σ_min ≥ R/10 and
// anisotropy σ_max/σ_min ≤ 10, at every distance and orientation, |P_fast − P| ≤ 0.02.
const (
	fastBound         = 0.02
	fastBoundMinRatio = 0.1 // σ_min / R
	fastBoundMaxAniso = 10.0

	// Where fc_traj.h documents the moments regime (σ_min < 0.6R, σ_max ≤ 1.5σ_min) and its
	// reach: beyond R + 3.5σ_max from the mean the form is exactly 0, which the scoring relies
	// on to skip whole blocks of candidates.
	momentsMaxSdMin = 0.6
	momentsMaxAniso = 1.5
	momentsReach    = 3.5
)

// isotropicCollisionProb is P(‖X‖ ≤ R) for X ~ N(d, σ²I) in the plane: ‖X‖²/σ² is
// noncentral χ² with 2 degrees of freedom and noncentrality (d/σ)², whose CDF is the
// Poisson(λ/2) mixture of central χ²(2 + 2j) CDFs, P(χ²(2k) ≤ x) = P(k, x/2) the regularized
// lower incomplete gamma. Summed until the Poisson tail is below 1e-15.
func isotropicCollisionProb(d, sigma, r float64) float64 {
	half := 0.5 * (d / sigma) * (d / sigma)
	x := 0.5 * (r / sigma) * (r / sigma)
	start := int(half) // the mode, summed outward both ways for a stable tail
	logW := func(j int) float64 {
		lg, _ := math.Lgamma(float64(j) + 1)
		return -half + float64(j)*math.Log(max(half, 1e-300)) - lg
	}
	if half == 0 {
		return mathext.GammaIncReg(1, x)
	}
	sum := 0.0
	for j := start; ; j++ {
		w := math.Exp(logW(j))
		sum += w * mathext.GammaIncReg(float64(j)+1, x)
		if w < 1e-16 && j > start+10 {
			break
		}
	}
	for j := start - 1; j >= 0; j-- {
		w := math.Exp(logW(j))
		sum += w * mathext.GammaIncReg(float64(j)+1, x)
		if w < 1e-16 {
			break
		}
	}
	return sum
}

// anisotropicCollisionProb is P for the disk of radius r centred (dl, ds) from the mean along
// Σ's axes with standard deviations sl and ss, integrated along the larger axis: over the
// chord at l = r·sin t, the smaller axis contributes a difference of erfc, and the
// substitution removes the chord's square-root end points. 16 panels of 24-point
// Gauss–Legendre in float64. (The kernels integrate along the other axis, without the
// substitution, in float32.)
func anisotropicCollisionProb(dl, ds, sl, ss, r float64) float64 {
	const panels = 16
	f := func(t float64) float64 {
		l, h := r*math.Sin(t), r*math.Cos(t)
		u := (dl + l) / sl
		density := math.Exp(-0.5*u*u) / (sl * math.Sqrt(2*math.Pi))
		inner := 0.5 * (math.Erfc(-(ds+h)/(ss*math.Sqrt2)) - math.Erfc(-(ds-h)/(ss*math.Sqrt2)))
		return density * inner * h
	}
	sum := 0.0
	for p := range panels {
		a := -math.Pi/2 + math.Pi*float64(p)/panels
		sum += quad.Fixed(f, a, a+math.Pi/panels, 24, nil, 0)
	}
	return sum
}

// gridCase is a collisionCase with where it sits on the grid.
type gridCase struct {
	collisionCase
	sdMinOverR, aniso float64
}

var (
	gridOnce  sync.Once
	gridCases []gridCase
	gridWant  []float64
)

// collisionGrid is the dense grid: σ_min/R from 0.1 to 10, anisotropy 1 to 10, two
// orientations of Σ, nine directions of the offset, and distances from 0 to R + 5σ_max,
// denser across the disk's edge; with its reference probabilities.
func collisionGrid() ([]gridCase, []float64) {
	gridOnce.Do(func() {
		const r = 1.0
		for _, sdMin := range []float64{0.1, 0.115, 0.13, 0.15, 0.175, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.55, 0.6, 0.7, 0.85, 1, 1.3, 2, 3, 5, 10} {
			for _, aniso := range []float64{1, 1.1, 1.2, 1.25, 1.3, 1.5, 1.75, 2, 2.5, 3, 4, 5, 6.5, 8, 10} {
				sdMax := aniso * sdMin
				for _, rot := range []float64{0, 0.7} {
					c, s := math.Cos(rot), math.Sin(rot)
					for k := range 9 {
						dir := math.Pi / 2 * float64(k) / 8
						for _, dist := range gridDistances(r, sdMax) {
							dl, ds := dist*math.Cos(dir), dist*math.Sin(dir) // along the larger, smaller axis
							want := anisotropicCollisionProb(dl, ds, sdMax, sdMin, r)
							if aniso == 1 {
								want = isotropicCollisionProb(dist, sdMin, r)
							}
							// Σ = R(rot)·diag(σ_max², σ_min²)·R(rot)ᵀ, the offset rotated alike.
							cc := collisionCase{
								dx: c*dl - s*ds, dy: s*dl + c*ds,
								sxx: c*c*sdMax*sdMax + s*s*sdMin*sdMin, sxy: c * s * (sdMax*sdMax - sdMin*sdMin),
								syy: s*s*sdMax*sdMax + c*c*sdMin*sdMin, r: r,
							}
							gridCases = append(gridCases, gridCase{cc, sdMin / r, aniso})
							gridWant = append(gridWant, want)
						}
					}
				}
			}
		}
	})
	return gridCases, gridWant
}

func gridDistances(r, sdMax float64) []float64 {
	var out []float64
	far := r + 5*sdMax
	for i := range 24 {
		out = append(out, far*float64(i)/23)
	}
	for i := range 13 {
		out = append(out, r*(0.7+0.05*float64(i)))
	}
	return out
}

// testCollisionGrid holds the fast form to fastBound over the grid, and both forms to [0, 1].
func testCollisionGrid(t *testing.T, b backend.Backend) {
	grid, want := collisionGrid()
	cases := make([]collisionCase, len(grid))
	for i, g := range grid {
		cases[i] = g.collisionCase
	}
	fast := runCollisionProb(t, b, cases, backend.CollisionFast)
	worst, under, failures := 0.0, 0.0, 0
	for i, g := range grid {
		// (Strictly inside the regime: at σ_max = 1.5σ_min exactly, float32 rounding picks either.)
		dist, sdMax := math.Hypot(g.dx, g.dy), g.sdMinOverR*g.aniso*g.r
		if g.sdMinOverR < momentsMaxSdMin && g.aniso < momentsMaxAniso && dist >= g.r+momentsReach*sdMax && fast[i] != 0 {
			t.Errorf("fast, σ_min/R %.3f, anisotropy %.2f, %+v: P = %g beyond the moments regime's reach, want exactly 0",
				g.sdMinOverR, g.aniso, g.collisionCase, fast[i])
		}
		d := fast[i] - want[i]
		worst, under = max(worst, math.Abs(d)), max(under, -d)
		if !(math.Abs(d) <= fastBound) || fast[i] < 0 || fast[i] > 1 {
			if failures++; failures <= 10 {
				t.Errorf("fast, σ_min/R %.3f, anisotropy %.2f, %+v: P = %.5f, reference %.5f", g.sdMinOverR, g.aniso,
					g.collisionCase, fast[i], want[i])
			}
		}
	}
	t.Logf("fast form over %d grid cases: largest error %.4f, largest underestimate %.4f", len(grid), worst, under)
	if failures > 10 {
		t.Errorf("... %d failures in all", failures)
	}
}
