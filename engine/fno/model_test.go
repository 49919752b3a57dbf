package fno_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/fluxcore/fluxcore/engine/fno"
)

// One padding count goes to the axes the architecture pads: both of fourier_2d.py's, the last
// of fourier_3d.py's and of BOON's 2-D models; a list gives every axis its own.
func TestPaddingPerAxis(t *testing.T) {
	for _, c := range []struct {
		model, padding string
		want           []int
		err            string
	}{
		{"fno2d", "9", []int{9, 9}, ""},
		{"fno3d", "6", []int{0, 0, 6}, ""},
		{"boon2d_dirichlet", "9", []int{0, 9}, ""},
		{"fno1d", "3", []int{3}, ""},
		{"fno3d", "1,2,3", []int{1, 2, 3}, ""},
		{"fno3d", "1,2", nil, `padding "1,2": want one count or 3`},
		{"fno2d", "-1", nil, `"-1" is not an integer ≥ 0`},
	} {
		pad := c.padding
		m, err := fno.Load(context.Background(), "testdata/golden/"+c.model+"/model.safetensors", fno.Overrides{}, fno.Overrides{Padding: &pad})
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s --padding %s: got %v, want an error containing %q", c.model, pad, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s --padding %s: %v", c.model, pad, err)
			continue
		}
		if !slices.Equal(m.Config.Padding, c.want) {
			t.Errorf("%s --padding %s: padding %v, want %v", c.model, pad, m.Config.Padding, c.want)
		}
	}
}
