package kernels

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// The committed fatbin manifest and launchers must come from the sources as they are now.
func TestGeneratedFilesAreFresh(t *testing.T) {
	err := CheckFresh(os.DirFS("."), readFile(t, "module/manifest.json"), readFile(t, "../engine/cuda/launch_gen.go"),
		readFile(t, "../engine/cpu/kernels_stamp_gen.go"))
	if err != nil {
		t.Fatalf("%v; run `make kernels`", err)
	}
}

func TestCheckFreshDetectsEditedSource(t *testing.T) {
	dir := fstest.MapFS{}
	for _, f := range must(SourceFiles(os.DirFS("."), append(CUDASources, CPUSources...))) {
		dir[f] = &fstest.MapFile{Data: readFile(t, f)}
	}
	manifest, launchers := readFile(t, "module/manifest.json"), readFile(t, "../engine/cuda/launch_gen.go")
	stamp := readFile(t, "../engine/cpu/kernels_stamp_gen.go")
	if err := CheckFresh(dir, manifest, launchers, stamp); err != nil {
		t.Fatalf("unchanged copy: %v", err)
	}
	loop := dir["cpu/spectral_mix.c"].Data
	dir["cpu/spectral_mix.c"].Data = append(append([]byte{}, loop...), "\n/* edited */\n"...)
	if err := CheckFresh(dir, manifest, launchers, stamp); err == nil || !strings.Contains(err.Error(), "kernels_stamp_gen.go") {
		t.Errorf("edited CPU loop: got %v, want a stale-stamp error", err)
	}
	dir["cpu/spectral_mix.c"].Data = loop
	dir["include/fc_complex.h"].Data = append(dir["include/fc_complex.h"].Data, "\n/* edited */\n"...)
	if err := CheckFresh(dir, manifest, launchers, stamp); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Errorf("edited header: got %v, want a stale-sources error", err)
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
	for _, frag := range []string{"uint64(uint32(n))", "math.Float32bits(scale)", "math.Float64bits(offset)", `GetFunction("fc_demo")`} {
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
