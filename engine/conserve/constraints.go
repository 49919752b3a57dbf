package conserve

import (
	"fmt"
	"math"
)

// TrapezoidWeights are the weights w of the trapezoid rule on the sorted grid x, so that
// Σᵢ wᵢ·u(xᵢ) approximates ∫ u dx over [x₀, x_{n−1}]:
//
//	w₀ = (x₁ − x₀)/2,  wᵢ = (xᵢ₊₁ − xᵢ₋₁)/2,  w_{n−1} = (x_{n−1} − x_{n−2})/2
//
// The grid may be non-uniform; it must be strictly increasing, finite, with n ≥ 2 points.
// As a constraint row with b = U(t), it states ProbConserv's global conservation law.
func TrapezoidWeights(x []float64) ([]float64, error) {
	if err := checkGrid(x); err != nil {
		return nil, err
	}
	n := len(x)
	w := make([]float64, n)
	w[0] = (x[1] - x[0]) / 2
	for i := 1; i < n-1; i++ {
		w[i] = (x[i+1] - x[i-1]) / 2
	}
	w[n-1] = (x[n-1] - x[n-2]) / 2
	return w, nil
}

// SubVolumeRows are local conservation rows: row j is the trapezoid rule restricted to the
// sub-volume [x[edges[j]], x[edges[j+1]]], zero elsewhere. edges are strictly increasing grid
// indices; when they run from 0 to n−1 the rows sum to TrapezoidWeights(x), so the global
// law is their sum. With b_j the mass in each sub-volume, they give m = len(edges)−1
// constraints where the global law gives one.
func SubVolumeRows(x []float64, edges []int) ([][]float64, error) {
	if err := checkGrid(x); err != nil {
		return nil, err
	}
	if len(edges) < 2 {
		return nil, fmt.Errorf("conserve: %d sub-volume edges, want ≥ 2", len(edges))
	}
	for j, e := range edges {
		if e < 0 || e >= len(x) {
			return nil, fmt.Errorf("conserve: sub-volume edge %d is grid index %d, want 0..%d", j, e, len(x)-1)
		}
		if j > 0 && e <= edges[j-1] {
			return nil, fmt.Errorf("conserve: sub-volume edges %v are not strictly increasing at %d", edges, j)
		}
	}
	rows := make([][]float64, len(edges)-1)
	for j := range rows {
		w, err := TrapezoidWeights(x[edges[j] : edges[j+1]+1])
		if err != nil {
			return nil, err
		}
		rows[j] = make([]float64, len(x))
		copy(rows[j][edges[j]:], w)
	}
	return rows, nil
}

func checkGrid(x []float64) error {
	if len(x) < 2 {
		return fmt.Errorf("conserve: a grid of %d points, want ≥ 2", len(x))
	}
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("conserve: grid point %d is %v", i, v)
		}
		if i > 0 && v <= x[i-1] {
			return fmt.Errorf("conserve: the grid is not strictly increasing at point %d (%v after %v)", i, v, x[i-1])
		}
	}
	return nil
}
