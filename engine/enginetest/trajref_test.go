package enginetest

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The reference's chord quadrature agrees with the polar brute force, so that the
// conformance reference is itself checked against a second, independent integral.
func TestChordCollisionProbMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for range 40 {
		c := randomCollisionCase(rng, 0.2)
		if got, want := chordCollisionProb(c), bruteCollisionProb(c); math.Abs(got-want) > 2e-5 {
			t.Errorf("%+v: chords %.7f, polar brute force %.7f", c, got, want)
		}
	}
}

// The dense grid's two references agree with each other where both apply (a round Σ) and
// with the polar brute force, so that neither carries a mistake into the bound.
func TestCollisionReferencesAgree(t *testing.T) {
	for _, c := range []struct{ d, sigma, r float64 }{{0, 0.1, 1}, {0.9, 0.1, 1}, {1.1, 0.13, 1}, {2, 1, 1}, {0.3, 5, 1}, {6, 0.7, 1}} {
		iso := isotropicCollisionProb(c.d, c.sigma, c.r)
		aniso := anisotropicCollisionProb(c.d*0.6, c.d*0.8, c.sigma, c.sigma, c.r)
		brute := bruteCollisionProb(collisionCase{dx: c.d, sxx: c.sigma * c.sigma, syy: c.sigma * c.sigma, r: c.r})
		if math.Abs(iso-aniso) > 1e-9 || math.Abs(iso-brute) > 1e-3 {
			t.Errorf("%+v: noncentral χ² %.12f, quadrature %.12f, brute force %.6f", c, iso, aniso, brute)
		}
	}
}
