// Package finite finds NaN and Inf in large arrays quickly and cancellably: inputs of
// hundreds of millions of values are checked before any compute, so the scan must be
// cheap (an exponent test on the bits) and must stop soon after its context is cancelled.
package finite

import (
	"context"
	"math"
)

// piece is how many values are checked between looks at the context: well under a
// millisecond of scanning.
const piece = 1 << 16

// First returns the index of the first NaN or ±Inf in v, or −1 when every value is finite.
// It returns ctx's error, and −1, when ctx is done before the scan ends.
func First[T float32 | float64](ctx context.Context, v []T) (int, error) {
	switch s := any(v).(type) {
	case []float32:
		return first32(ctx, s)
	case []float64:
		return first64(ctx, s)
	}
	panic("unreachable")
}

func first32(ctx context.Context, v []float32) (int, error) {
	const exponent = 0x7f800000 // all ones: Inf or NaN
	for lo := 0; lo < len(v); lo += piece {
		if err := ctx.Err(); err != nil {
			return -1, err
		}
		for i, x := range v[lo:min(lo+piece, len(v))] {
			if math.Float32bits(x)&exponent == exponent {
				return lo + i, nil
			}
		}
	}
	return -1, nil
}

func first64(ctx context.Context, v []float64) (int, error) {
	const exponent = 0x7ff0000000000000
	for lo := 0; lo < len(v); lo += piece {
		if err := ctx.Err(); err != nil {
			return -1, err
		}
		for i, x := range v[lo:min(lo+piece, len(v))] {
			if math.Float64bits(x)&exponent == exponent {
				return lo + i, nil
			}
		}
	}
	return -1, nil
}
