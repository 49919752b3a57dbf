package traj

import (
	"cmp"
	"math"
	"slices"
)

// The kernels score candidates in blocks of consecutive indices, and a vector of them skips
// an obstacle's step when none of its candidates comes near it. Halton rows in their own order
// are spread over the whole box, so almost every block has some candidate near every
// obstacle. orderRuns reorders rows within runs so that neighbours follow similar paths.

// rowPathKey places a row of jerk fractions (dims = 2·segments, linear segments first) by
// where its path ends, roughly: each segment's linear jerk weighted by what it adds to the
// distance covered (the third integral, ∝ the drop of (1 − t/T)³ across the segment) and its
// angular jerk by what it adds to the sideways offset (the fourth, (1 − t/T)⁴). Each set of
// weights telescopes to 1, so both keys lie in [−1, 1].
func rowPathKey(row []float32) (sideways, along float64) {
	segs := len(row) / 2
	for s := range segs {
		t0, t1 := 1-float64(s)/float64(segs), 1-float64(s+1)/float64(segs)
		along += (t0*t0*t0 - t1*t1*t1) * float64(row[s])
		sideways += (t0*t0*t0*t0 - t1*t1*t1*t1) * float64(row[segs+s])
	}
	return sideways, along
}

// hilbertOrder is the position of cell (x, y) of a 2^bits × 2^bits grid along the Hilbert
// curve, which visits neighbouring cells one after another and keeps runs of it compact.
func hilbertOrder(bits uint, x, y uint32) uint64 {
	var d uint64
	for s := uint32(1) << (bits - 1); s > 0; s >>= 1 {
		rx, ry := x&s != 0, y&s != 0
		quadrant := uint64(0)
		switch {
		case rx && ry:
			quadrant = 2
		case rx:
			quadrant = 3
		case ry:
			quadrant = 1
		}
		d += uint64(s) * uint64(s) * quadrant
		if !ry { // turn the quadrant so that the curve stays continuous
			if rx {
				x, y = s-1-x&(s-1), s-1-y&(s-1)
			}
			x, y = y, x
		}
	}
	return d
}

// orderRuns sorts the rows of points ([rows, dims]) along the Hilbert curve of rowPathKey,
// separately within each run between consecutive bounds (row indices, in any order), so
// that any range of rows from one bound to another holds the same rows as before.
func orderRuns(points []float32, dims int, bounds []int) {
	rows := len(points) / dims
	bounds = append([]int{0, rows}, bounds...)
	slices.Sort(bounds)
	bounds = slices.Compact(bounds)
	const bits = 16
	type keyed struct {
		key uint64
		row int
	}
	cell := func(v float64) uint32 { return uint32(math.Round((min(max(v, -1), 1) + 1) / 2 * (1<<bits - 1))) }
	sorted := make([]float32, len(points))
	for i := 0; i+1 < len(bounds); i++ {
		lo, hi := max(bounds[i], 0), min(bounds[i+1], rows)
		run := make([]keyed, 0, max(hi-lo, 0))
		for r := lo; r < hi; r++ {
			side, along := rowPathKey(points[r*dims : (r+1)*dims])
			run = append(run, keyed{hilbertOrder(bits, cell(side), cell(along)), r})
		}
		slices.SortStableFunc(run, func(a, b keyed) int { return cmp.Compare(a.key, b.key) })
		for k, e := range run {
			copy(sorted[(lo+k)*dims:(lo+k+1)*dims], points[e.row*dims:(e.row+1)*dims])
		}
	}
	copy(points, sorted)
}
