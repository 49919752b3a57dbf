package batch

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluxcore/fluxcore/npy"
)

func writeArchive(t *testing.T, arrays map[string][]byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "in.npz")
	if err := npy.WriteNPZ(path, arrays); err != nil {
		t.Fatal(err)
	}
	return path
}

func f8(shape ...int) []byte {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return npy.Encode64(&npy.Array64{Shape: shape, Data: make([]float64, n)})
}

// An archive is refused, naming the array, when its per-sample arrays disagree on the
// samples, when an array is not float, or when nothing is per sample; a problem the
// workload cannot take is refused on its first sample.
func TestArchiveRefusals(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		arrays map[string][]byte
		open   func(context.Context, string) (*Archive, error)
		want   string
	}{
		{"samples differ", map[string][]byte{"mean": f8(5, 3), "var": f8(4, 3), "G": f8(1, 3), "rhs": f8(1)},
			OpenConserveInput, `array "var" has 4 samples along its first axis, "mean" has 5`},
		{"int array", map[string][]byte{"x": f8(5, 2), "P": npy.EncodeInt32([]int{5, 2, 2}, make([]int32, 20)), "F": f8(2, 2), "Q": f8(2, 2)},
			OpenKalmanInput, `array "P" is <i4, want float32 (<f4) or float64 (<f8)`},
		{"all shared", map[string][]byte{"G": f8(1, 3), "rhs": f8(1)}, OpenConserveInput, "no array is per sample"},
	} {
		_, err := c.open(ctx, writeArchive(t, c.arrays))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}

	in, err := OpenConserveInput(ctx, writeArchive(t, map[string][]byte{"mean": f8(5, 3), "var": f8(5, 3), "G": f8(1, 4), "rhs": f8(1)}))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if _, err := ConserveOutputs(ctx, in, []string{"mean"}); err == nil || !strings.Contains(err.Error(), "G: shape [1 4], want [1 3] or [1 1 3]") {
		t.Errorf("G of the wrong width: %v", err)
	}
	good, err := OpenConserveInput(ctx, writeArchive(t, map[string][]byte{"mean": f8(5, 3), "var": f8(5, 3), "G": f8(1, 3), "rhs": f8(1)}))
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	for names, want := range map[string]string{
		"mean,ensemble": "output ensemble needs an ensemble array",
		"mean,vars":     `unknown output "vars"`,
		"var,var":       `output "var" named twice`,
	} {
		if _, err := ConserveOutputs(ctx, good, strings.Split(names, ",")); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("outputs %s: %v, want %q", names, err, want)
		}
	}
	specs, err := ConserveOutputs(ctx, good, []string{"mean", "cov"})
	if err != nil || len(specs) != 2 || specs[1].String() != "cov <f8[3 3]" {
		t.Errorf("outputs mean,cov: %v, %v", specs, err)
	}
}
