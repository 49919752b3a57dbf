package kernels

import (
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

// The committed generated files and the fatbin's manifest must come from the sources as
// they are now.
func TestGeneratedFilesAreFresh(t *testing.T) {
	if err := CheckFresh(os.DirFS("..")); err != nil {
		t.Fatalf("%v; run `make kernels`", err)
	}
}

// moduleCopy copies what the generator reads and writes into a MapFS rooted like the module.
func moduleCopy(t *testing.T) fstest.MapFS {
	t.Helper()
	root := os.DirFS("..")
	dir := fstest.MapFS{}
	globs := []string{"kernels/include/*.h", "kernels/cpu/*.c", "kernels/cuda/*.cu", "kernels/module/manifest.json",
		"engine/backend/*.go", "engine/cpu/*_gen.*", "engine/cuda/launch_gen.go"}
	for _, g := range globs {
		for _, f := range must(fs.Glob(root, g)) {
			dir[f] = &fstest.MapFile{Data: must(fs.ReadFile(root, f))}
		}
	}
	return dir
}

func TestCheckFreshDetectsEdits(t *testing.T) {
	dir := moduleCopy(t)
	if err := CheckFresh(dir); err != nil {
		t.Fatalf("unchanged copy: %v", err)
	}
	edit := func(path, want string, change func([]byte) []byte) {
		t.Helper()
		old := dir[path].Data
		dir[path].Data = change(append([]byte{}, old...))
		if err := CheckFresh(dir); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("edited %s: got %v, want an error naming %s", path, err, want)
		}
		dir[path].Data = old
	}
	appendComment := func(b []byte) []byte { return append(b, "\n/* edited */\n"...) }
	edit("kernels/cpu/spectral_mix.c", "kernels_stamp_gen.go", appendComment)
	edit("kernels/include/fc_complex.h", "kernels_stamp_gen.go", appendComment)
	edit("kernels/cuda/traj.cu", "changed since the fatbin", appendComment)
	// A Go constant the kernels share: the C header goes stale.
	edit("engine/backend/traj.go", "fc_layout_gen.h", func(b []byte) []byte {
		return []byte(strings.Replace(string(b), "TrajMaxCircles  = 8", "TrajMaxCircles  = 9", 1))
	})
	// A CPU loop whose signature leaves the op list.
	edit("kernels/cpu/boon.c", "fc_cpu_add_scaled", func(b []byte) []byte {
		return []byte(strings.Replace(string(b), "float scale, int64_t i0", "double scale, int64_t i0", 1))
	})
	edit("engine/cpu/dispatch_gen.c", "dispatch_gen.c", appendComment)
}

func TestUpperSnake(t *testing.T) {
	for in, want := range map[string]string{"WeightGoal": "WEIGHT_GOAL", "MaxNX": "MAX_NX", "NotPD": "NOT_PD",
		"Theta0": "THETA0", "VMin": "V_MIN", "MapX0": "MAP_X0", "GELU": "GELU", "Steps": "STEPS"} {
		if got := UpperSnake(in); got != want {
			t.Errorf("UpperSnake(%q) = %q, want %q", in, got, want)
		}
	}
}

// The layout parser follows Go's constant rules: iota per spec, implicit repetition,
// references to earlier constants.
func TestParseLayout(t *testing.T) {
	src := `package backend

// Sizes.
//
//fc:c FC_DEMO_ Demo
const (
	DemoA = iota
	DemoB
	DemoC = DemoB*4 + 1
	DemoD
)

const Other = 3
`
	blocks, err := ParseLayout(fstest.MapFS{"demo.go": {Data: []byte(src)}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range blocks[0].Consts {
		got = append(got, fmt.Sprintf("%s=%d", c.CName, c.Value))
	}
	if want := "FC_DEMO_A=0 FC_DEMO_B=1 FC_DEMO_C=5 FC_DEMO_D=5"; strings.Join(got, " ") != want || len(blocks) != 1 {
		t.Errorf("got %v (%d blocks), want %s", got, len(blocks), want)
	}
}

func TestParseKernelsWidths(t *testing.T) {
	src := `extern "C" __global__ void fc_demo(const float *__restrict__ x, double *y, int n,
	    unsigned int m, long long big, float scale, double offset) {}`
	ks, err := ParseKernels(fstest.MapFS{"cuda/demo.cu": {Data: []byte(src)}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ks[0].Params {
		got = append(got, p.Name+":"+p.GoType)
	}
	want := "x:cu.DevicePtr y:cu.DevicePtr n:int32 m:uint32 big:int64 scale:float32 offset:float64"
	if strings.Join(got, " ") != want {
		t.Errorf("params %v, want %s", got, want)
	}
	code, err := RenderLaunchers(ks)
	if err != nil {
		t.Fatal(err)
	}
	for _, frag := range []string{"uint64(uint32(a.N))", "math.Float32bits(a.Scale)", "math.Float64bits(a.Offset)", `GetFunction("fc_demo")`, "type fcDemoArgs struct"} {
		if !strings.Contains(string(code), frag) {
			t.Errorf("launcher lacks %s:\n%s", frag, code)
		}
	}
	bad := `extern "C" __global__ void fc_bad(size_t n) {}`
	if _, err := ParseKernels(fstest.MapFS{"cuda/bad.cu": {Data: []byte(bad)}}); err == nil || !strings.Contains(err.Error(), "size_t") {
		t.Errorf("size_t parameter: got %v, want an error naming the type", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
