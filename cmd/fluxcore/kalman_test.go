package main

import (
	"archive/zip"
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/fluxcore/fluxcore/npy"
)

// kalmanBatch is 5 filters with 3 states and 2 measurements: shared F, Q and H, R per
// filter, float64 state and float32 models; filter 3's R is indefinite.
func kalmanBatch() map[string]*npy.Array64 {
	const b, nx, nz = 5, 3, 2
	a := map[string]*npy.Array64{
		"x": {Shape: []int{b, nx}}, "P": {Shape: []int{b, nx, nx}},
		"F": {Shape: []int{nx, nx}, Float32: true, Data: []float64{1, 0.5, 0.125, 0, 1, 0.5, 0, 0, 1}},
		"Q": {Shape: []int{nx, nx}, Float32: true, Data: []float64{0.25, 0, 0, 0, 0.5, 0, 0, 0, 0.125}},
		"H": {Shape: []int{nz, nx}, Float32: true, Data: []float64{1, 0, 0, 0, 1, 1}},
		"R": {Shape: []int{b, nz, nz}, Float32: true}, "z": {Shape: []int{b, nz}},
	}
	for f := range b {
		for i := range nx {
			a["x"].Data = append(a["x"].Data, math.Sin(float64(3*f+i)))
			for j := range nx {
				v := 0.1 * math.Cos(float64(f+i+j))
				if i == j {
					v += 1 + 0.25*float64(f)
				}
				a["P"].Data = append(a["P"].Data, v)
			}
		}
		r := []float64{0.5, 0.125, 0.125, 0.25}
		if f == 3 {
			r = []float64{-40, 0, 0, 0.25} // S = HPHᵀ + R is indefinite
		}
		a["R"].Data = append(a["R"].Data, r...)
		a["z"].Data = append(a["z"].Data, float64(f)-1, 0.5*float64(f))
	}
	return a
}

func writeBatch(t *testing.T, path string, arrays map[string]*npy.Array64) {
	t.Helper()
	members := map[string][]byte{}
	for name, a := range arrays {
		members[name] = npy.Encode64(a)
	}
	if err := npy.WriteNPZ(path, members); err != nil {
		t.Fatal(err)
	}
}

// referenceKalman is one predict and one Joseph-form update of filter f in float64 with
// gonum, S inverted by LU.
func referenceKalman(a map[string]*npy.Array64, f int) (x *mat.VecDense, p *mat.Dense) {
	nx, nz := a["x"].Shape[1], a["z"].Shape[1]
	x = mat.NewVecDense(nx, append([]float64(nil), a["x"].Data[f*nx:(f+1)*nx]...))
	p = mat.NewDense(nx, nx, append([]float64(nil), a["P"].Data[f*nx*nx:(f+1)*nx*nx]...))
	fm, q := mat.NewDense(nx, nx, a["F"].Data), mat.NewDense(nx, nx, a["Q"].Data)
	h, r := mat.NewDense(nz, nx, a["H"].Data), mat.NewDense(nz, nz, a["R"].Data[f*nz*nz:(f+1)*nz*nz])
	z := mat.NewVecDense(nz, a["z"].Data[f*nz:(f+1)*nz])
	x.MulVec(fm, x)
	var fp mat.Dense
	fp.Mul(fm, p)
	p.Mul(&fp, fm.T())
	p.Add(p, q)
	var hp, s, sInv, pht, k, ikh, tmp, kr, krk mat.Dense
	hp.Mul(h, p)
	s.Mul(&hp, h.T())
	s.Add(&s, r)
	if err := sInv.Inverse(&s); err != nil {
		panic(err)
	}
	pht.Mul(p, h.T())
	k.Mul(&pht, &sInv)
	var innov mat.VecDense
	innov.MulVec(h, x)
	innov.SubVec(z, &innov)
	var dx mat.VecDense
	dx.MulVec(&k, &innov)
	x.AddVec(x, &dx)
	ikh.Mul(&k, h)
	ikh.Scale(-1, &ikh)
	for i := range nx {
		ikh.Set(i, i, ikh.At(i, i)+1)
	}
	tmp.Mul(&ikh, p)
	p.Mul(&tmp, ikh.T())
	kr.Mul(&k, r)
	krk.Mul(&kr, k.T())
	p.Add(p, &krk)
	return x, p
}

func TestKalmanCommand(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "batch.npz"), filepath.Join(dir, "out.npz")
	batch := kalmanBatch()
	writeBatch(t, in, batch)
	// One filter's S is not positive definite: without --allow-failed that is an exit 1
	// that writes nothing.
	code, _, stderr := runCLI(t, "kalman", "--in", in, "--out", out)
	if _, err := os.Stat(out); code != 1 || !strings.Contains(stderr, "1 of 5 filters failed") || err == nil {
		t.Fatalf("a failed filter without --allow-failed: exit %d, stderr %q, output written: %v", code, stderr, err == nil)
	}
	code, stdout, stderr := runCLI(t, "kalman", "--in", in, "--out", out, "--allow-failed")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "predicted and updated 5 filters (nx 3, nz 2)") || !strings.Contains(stdout, "1 with S not positive definite") {
		t.Errorf("stdout %q", stdout)
	}
	if _, err := npy.ReadNPZ(context.Background(), out); err == nil || !strings.Contains(err.Error(), `array "status"`) {
		t.Fatalf("reading the int32 status as float: err %v, want it refused by name", err)
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	got := map[string]*npy.Array64{}
	for _, f := range zr.File {
		r, _ := f.Open()
		raw := make([]byte, f.UncompressedSize64)
		if _, err := io.ReadFull(r, raw); err != nil {
			t.Fatal(err)
		}
		r.Close()
		if f.Name == "status.npy" {
			status := raw[len(raw)-4*5:]
			for fi := range 5 {
				want := byte(0)
				if fi == 3 {
					want = 1
				}
				if status[4*fi] != want {
					t.Errorf("status[%d] = %d, want %d", fi, status[4*fi], want)
				}
			}
			continue
		}
		a, err := npy.Parse64(raw)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		got[strings.TrimSuffix(f.Name, ".npy")] = a
	}
	if got["x"].Float32 || len(got["P"].Shape) != 3 {
		t.Fatalf("x float32 %v, P shape %v: want float64 (x was) and [5 3 3]", got["x"].Float32, got["P"].Shape)
	}
	for f := range 5 {
		if f == 3 {
			continue
		}
		x, p := referenceKalman(batch, f)
		for i := range 3 {
			if d := got["x"].Data[f*3+i] - x.AtVec(i); math.Abs(d) > 1e-9 {
				t.Errorf("filter %d: x[%d] off by %g", f, i, d)
			}
			for j := range 3 {
				if d := got["P"].Data[(f*3+i)*3+j] - p.At(i, j); math.Abs(d) > 1e-9 {
					t.Errorf("filter %d: P[%d %d] off by %g", f, i, j, d)
				}
			}
		}
	}
}

func TestKalmanCommandErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "never.npz")
	cases := []struct {
		name   string
		change func(a map[string]*npy.Array64)
		want   string
	}{
		{"P shape", func(a map[string]*npy.Array64) { a["P"].Shape = []int{5, 9} }, "P has shape [5 9], want [5, 3, 3]"},
		{"H shape", func(a map[string]*npy.Array64) { a["H"].Shape = []int{3, 2} }, "H has shape [3 2], want [2, 3] (shared) or [5, 2, 3]"},
		{"no Q", func(a map[string]*npy.Array64) { delete(a, "Q") }, "array F needs Q"},
		{"NaN", func(a map[string]*npy.Array64) { a["z"].Data[7] = math.NaN() }, "filter 3: z element 1 is NaN"},
		{"stray", func(a map[string]*npy.Array64) { a["y"] = a["z"] }, `unknown array "y"`},
	}
	for _, c := range cases {
		batch := kalmanBatch()
		c.change(batch)
		in := filepath.Join(dir, c.name+".npz")
		writeBatch(t, in, batch)
		code, _, stderr := runCLI(t, "kalman", "--in", in, "--out", out)
		if code != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 and %q", c.name, code, stderr, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%s: an output was written for a failed call", c.name)
		}
	}
}
