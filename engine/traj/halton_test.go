package traj

import (
	"context"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distmv"
	"gonum.org/v1/gonum/stat/samplemv"
)

// owenHalton draws gonum's points to the bit (as 2u − 1), so a seed plans as it did before.
func TestOwenHaltonIsGonums(t *testing.T) {
	for _, c := range []struct {
		rows, dims int
		seed       uint64
	}{{1, 2, 1}, {7, 8, 1}, {2055, 8, 1}, {4103, 32, 7}, {65536 + 9, 8, 3}} {
		src := rand.NewPCG(c.seed, 0x9E3779B97F4A7C15)
		want := mat.NewDense(c.rows, c.dims, nil)
		samplemv.Halton{Kind: samplemv.Owen, Q: distmv.NewUnitUniform(c.dims, src), Src: src}.Sample(want)
		got, err := owenHalton(context.Background(), c.rows, c.dims, rand.NewPCG(c.seed, 0x9E3779B97F4A7C15))
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range want.RawMatrix().Data {
			if got[i] != float32(2*w-1) {
				t.Fatalf("%+v: value %d = %v, from gonum's %v", c, i, got[i], float32(2*w-1))
			}
		}
	}
}

func TestOwenHaltonCancels(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := owenHalton(ctx, 1<<20, 8, rand.NewPCG(1, 1)); err == nil {
		t.Fatal("a cancelled sampling succeeded")
	}
}
