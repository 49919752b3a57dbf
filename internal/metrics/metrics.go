// Package metrics holds the error measures fluxcore reports and its tests assert against
// references, so every comparison means the same thing.
package metrics

import "math"

// RelL2 is ‖got − want‖₂ / ‖want‖₂ over the first len(want) values, accumulated in float64.
// Against an all-zero want it is +Inf (NaN if got is zero too), and a NaN on either side
// makes it NaN, so a bound written as `!(e <= tol)` rejects all three.
func RelL2[G, W float32 | float64](got []G, want []W) float64 {
	var num, den float64
	for i, w := range want {
		d := float64(got[i]) - float64(w)
		num += d * d
		den += float64(w) * float64(w)
	}
	return math.Sqrt(num / den)
}

// RelL2Complex is RelL2 for complex values, with |·|² as the squared norm.
func RelL2Complex[G, W complex64 | complex128](got []G, want []W) float64 {
	var num, den float64
	for i, w := range want {
		d := complex128(got[i]) - complex128(w)
		num += real(d)*real(d) + imag(d)*imag(d)
		den += real(complex128(w))*real(complex128(w)) + imag(complex128(w))*imag(complex128(w))
	}
	return math.Sqrt(num / den)
}
