package traj

import (
	"context"
	"math/rand/v2"
)

// owenHalton returns rows Owen-scrambled Halton points in [−1, 1]^dims, row-major float32:
// the points gonum's samplemv.Halton{Kind: samplemv.Owen} draws from src in [0, 1)
// (Owen's digit scrambling, arXiv:1706.02808), the same to the bit, mapped by 2u − 1, so
// that a seed keeps its candidates. Dimension j counts in the j-th prime; each digit level
// adds its digit, permuted by a permutation drawn from src in gonum's order, scaled by
// base^−(level+1), until the scale no longer changes 1 − scale. Unlike gonum's it looks at
// ctx as it goes (10⁶ points take about a second), and it sums one column at a time in
// float64, so it needs a column of scratch rather than a float64 copy of every point.
func owenHalton(ctx context.Context, rows, dims int, src rand.Source) ([]float32, error) {
	perm := rand.New(src).Perm
	out := make([]float32, rows*dims)
	column := make([]float64, rows)
	for j, base := range firstPrimes(dims) {
		clear(column)
		div, scale := int64(1), 1/float64(base)
		for 1-scale < 1 {
			digits := perm(base)
			for i := range rows {
				if i%(1<<16) == 0 && ctx.Err() != nil {
					return nil, ctx.Err()
				}
				column[i] += float64(digits[(int64(i)/div)%int64(base)]) * scale
			}
			div *= int64(base)
			scale /= float64(base)
		}
		for i, u := range column {
			out[i*dims+j] = float32(2*u - 1)
		}
	}
	return out, nil
}

// firstPrimes are the first n primes.
func firstPrimes(n int) []int {
	var primes []int
	for c := 2; len(primes) < n; c++ {
		prime := true
		for _, p := range primes {
			if p*p > c {
				break
			}
			if c%p == 0 {
				prime = false
				break
			}
		}
		if prime {
			primes = append(primes, c)
		}
	}
	return primes
}
