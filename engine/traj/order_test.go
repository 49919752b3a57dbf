package traj

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// The Hilbert curve of an 8 × 8 grid visits every cell once, each step to a neighbour.
func TestHilbertOrderIsAContinuousCurve(t *testing.T) {
	const bits, side = 3, 8
	at := make([][2]uint32, side*side)
	seen := make([]bool, side*side)
	for x := range uint32(side) {
		for y := range uint32(side) {
			d := hilbertOrder(bits, x, y)
			if d >= side*side || seen[d] {
				t.Fatalf("cell (%d, %d) has position %d, out of range or taken", x, y, d)
			}
			seen[d], at[d] = true, [2]uint32{x, y}
		}
	}
	for d := 1; d < len(at); d++ {
		a, b := at[d-1], at[d]
		if dist := absDiff(a[0], b[0]) + absDiff(a[1], b[1]); dist != 1 {
			t.Errorf("step %d: (%d, %d) to (%d, %d) is not to a neighbour", d, a[0], a[1], b[0], b[1])
		}
	}
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// Ordering keeps every range between two bounds the same set of rows, and makes 16
// consecutive rows (an AVX-512 vector, two AVX2 ones) follow closer paths than the Halton
// order did.
func TestOrderRunsKeepsGroupsAndGathersBlocks(t *testing.T) {
	const rows, dims = 2048, 8
	points, err := owenHalton(context.Background(), rows, dims, rand.NewPCG(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	ordered := slices.Clone(points)
	bounds := []int{1024, 512, 2041}
	orderRuns(ordered, dims, bounds)
	edges := []int{0, 512, 1024, 2041, 2048}
	for i := 0; i+1 < len(edges); i++ {
		if got, want := rowSet(ordered, dims, edges[i], edges[i+1]), rowSet(points, dims, edges[i], edges[i+1]); !slices.Equal(got, want) {
			t.Errorf("rows [%d, %d) changed", edges[i], edges[i+1])
		}
	}
	before, after := blockSpread(points, dims), blockSpread(ordered, dims)
	t.Logf("mean spread of a block's path keys: %.3f in Halton order, %.3f ordered", before, after)
	if after > before/3 {
		t.Errorf("ordered blocks spread %.3f, want under a third of %.3f", after, before)
	}
}

// rowSet is rows [lo, hi) as sorted strings, to compare as sets.
func rowSet(points []float32, dims, lo, hi int) []string {
	var out []string
	for r := lo; r < hi; r++ {
		out = append(out, fmt.Sprint(points[r*dims:(r+1)*dims]))
	}
	slices.Sort(out)
	return out
}

// blockSpread is the mean over blocks of 16 rows of the largest distance between two of
// their path keys, squared.
func blockSpread(points []float32, dims int) float64 {
	rows := len(points) / dims
	sum, blocks := 0.0, 0
	for b := 0; b+16 <= rows; b += 16 {
		worst := 0.0
		for i := b; i < b+16; i++ {
			si, ai := rowPathKey(points[i*dims : (i+1)*dims])
			for j := b; j < i; j++ {
				sj, aj := rowPathKey(points[j*dims : (j+1)*dims])
				worst = max(worst, (si-sj)*(si-sj)+(ai-aj)*(ai-aj))
			}
		}
		sum += worst
		blocks++
	}
	return sum / float64(blocks)
}
