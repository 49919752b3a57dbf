package float32le

import (
	"bytes"
	"math"
	"testing"
)

// Both directions, on the native path and the converting one, against bytes written out
// by hand from the IEEE 754 encodings.
func TestRoundTrip(t *testing.T) {
	v := []float32{1, -2.5, float32(math.Inf(1)), 0}
	want := []byte{0, 0, 0x80, 0x3f, 0, 0, 0x20, 0xc0, 0, 0, 0x80, 0x7f, 0, 0, 0, 0}
	was := native
	defer func() { native = was }()
	for _, n := range []bool{false, was} {
		native = n
		if got := Bytes(v); !bytes.Equal(got, want) {
			t.Errorf("native %v: Bytes = %v, want %v", n, got, want)
		}
		got := Floats(want)
		for i := range v {
			if got[i] != v[i] {
				t.Errorf("native %v: Floats[%d] = %v, want %v", n, i, got[i], v[i])
			}
		}
	}
}
