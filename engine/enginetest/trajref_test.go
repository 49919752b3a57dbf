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
