package finite

import (
	"context"
	"math"
	"testing"
)

func TestFirstFindsEveryNonFinite(t *testing.T) {
	ctx := context.Background()
	bad := []float64{math.NaN(), math.Inf(1), math.Inf(-1)}
	for _, n := range []int{1, 7, piece - 1, piece, piece + 3, 3 * piece} {
		for _, at := range []int{0, n / 2, n - 1} {
			for _, b := range bad {
				v32, v64 := make([]float32, n), make([]float64, n)
				for i := range v64 {
					v32[i], v64[i] = float32(i)-1e30, float64(i)*1e300 // large but finite
				}
				v32[at], v64[at] = float32(b), b
				if i, err := First(ctx, v32); i != at || err != nil {
					t.Errorf("float32 n=%d, %v at %d: got %d, %v", n, b, at, i, err)
				}
				if i, err := First(ctx, v64); i != at || err != nil {
					t.Errorf("float64 n=%d, %v at %d: got %d, %v", n, b, at, i, err)
				}
			}
		}
	}
	// The largest finite values and subnormals are finite.
	edge := []float32{math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 0}
	if i, _ := First(ctx, edge); i != -1 {
		t.Errorf("finite edge values: got index %d", i)
	}
}

func TestFirstStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if i, err := First(ctx, make([]float32, 10*piece)); i != -1 || err == nil {
		t.Errorf("cancelled scan: %d, %v", i, err)
	}
}
