// Command gen regenerates what kernels/cuda/*.cu compiles to: module/fluxcore.fatbin (one
// module; SASS for sm_70..sm_90 and PTX for newer GPUs), module/manifest.json (the hash of
// the sources and the nvcc version), engine/cuda/launch_gen.go (typed launchers) and
// engine/cpu/kernels_stamp_gen.go (the hash that makes Go rebuild the CPU variants).
//
// Run from the module root: `go run ./kernels/gen` (needs nvcc); `-cpu` rewrites only the
// CPU stamp (no nvcc); `-check` needs no nvcc and fails when a committed output is stale.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/fluxcore/fluxcore/kernels"
)

// architectures are the real GPUs the fatbin carries SASS for (Volta through Hopper);
// the last is also embedded as PTX so that the driver can JIT it for newer GPUs.
var architectures = []string{"70", "75", "80", "86", "89", "90"}

const (
	kernelDir    = "kernels"
	fatbinPath   = "kernels/module/fluxcore.fatbin"
	manifestPath = "kernels/module/manifest.json"
	launcherPath = "engine/cuda/launch_gen.go"
	stampPath    = "engine/cpu/kernels_stamp_gen.go"
)

func main() {
	check := flag.Bool("check", false, "only verify that the committed outputs match the sources")
	cpuOnly := flag.Bool("cpu", false, "only rewrite the CPU stamp (needs no nvcc)")
	nvcc := flag.String("nvcc", "nvcc", "the nvcc to compile with")
	flag.Parse()
	var err error
	switch {
	case *check:
		err = checkFresh()
	case *cpuOnly:
		err = writeCPUStamp()
	default:
		err = generate(*nvcc)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kernels/gen:", err)
		os.Exit(1)
	}
}

func checkFresh() error {
	if err := kernels.CheckFresh(os.DirFS(kernelDir), mustRead(manifestPath), mustRead(launcherPath), mustRead(stampPath)); err != nil {
		return fmt.Errorf("%w; run `make kernels`", err)
	}
	fmt.Println("kernels/gen: generated kernels are up to date")
	return nil
}

func mustRead(path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kernels/gen:", err)
		os.Exit(1)
	}
	return data
}

// writeCPUStamp rewrites the stamp only when it changed, so that an unchanged tree stays
// cached.
func writeCPUStamp() error {
	stamp, err := kernels.RenderCPUStamp(os.DirFS(kernelDir))
	if err != nil {
		return err
	}
	if old, err := os.ReadFile(stampPath); err == nil && bytes.Equal(old, stamp) {
		return nil
	}
	return writeAtomic(stampPath, stamp)
}

func generate(nvcc string) error {
	if err := writeCPUStamp(); err != nil {
		return err
	}
	src := os.DirFS(kernelDir)
	ks, err := kernels.ParseKernels(src)
	if err != nil {
		return err
	}
	hash, err := kernels.SourcesHash(src, kernels.CUDASources)
	if err != nil {
		return err
	}
	version, err := nvccVersion(nvcc)
	if err != nil {
		return err
	}
	fatbin, err := compile(nvcc, ks)
	if err != nil {
		return err
	}
	launchers, err := kernels.RenderLaunchers(ks)
	if err != nil {
		return err
	}
	m := kernels.Manifest{SourcesSHA256: hash, NVCCVersion: version}
	for _, a := range architectures {
		m.Architectures = append(m.Architectures, "sm_"+a)
	}
	m.Architectures = append(m.Architectures, "compute_"+architectures[len(architectures)-1])
	for _, k := range ks {
		m.Kernels = append(m.Kernels, k.Name)
	}
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	for path, data := range map[string][]byte{fatbinPath: fatbin, manifestPath: append(manifest, '\n'), launcherPath: launchers} {
		if err := writeAtomic(path, data); err != nil {
			return err
		}
	}
	fmt.Printf("kernels/gen: %d kernels, %d-byte fatbin for %s (nvcc %s)\n", len(ks), len(fatbin), strings.Join(m.Architectures, ","), version)
	return nil
}

// compile builds every .cu file as one translation unit, so the fatbin is one module.
func compile(nvcc string, ks []kernels.Kernel) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "fluxcore-kernels")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	abs, err := filepath.Abs(kernelDir)
	if err != nil {
		return nil, err
	}
	var unity bytes.Buffer
	seen := map[string]bool{}
	for _, k := range ks {
		if !seen[k.File] {
			seen[k.File] = true
			fmt.Fprintf(&unity, "#include \"%s\"\n", filepath.Join(abs, k.File))
		}
	}
	unityPath, out := filepath.Join(tmp, "fluxcore.cu"), filepath.Join(tmp, "fluxcore.fatbin")
	if err := os.WriteFile(unityPath, unity.Bytes(), 0o644); err != nil {
		return nil, err
	}
	args := []string{"-fatbin", "-O3", "-std=c++14", "-o", out}
	for i, a := range architectures {
		code := "sm_" + a
		if i == len(architectures)-1 {
			code = fmt.Sprintf("[sm_%s,compute_%s]", a, a)
		}
		args = append(args, "-gencode", fmt.Sprintf("arch=compute_%s,code=%s", a, code))
	}
	cmd := exec.Command(nvcc, append(args, unityPath)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, stderr.String())
	}
	return os.ReadFile(out)
}

var releaseRE = regexp.MustCompile(`release ([0-9.]+), (V[0-9.]+)`)

func nvccVersion(nvcc string) (string, error) {
	out, err := exec.Command(nvcc, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w (install the toolkit with `make cuda-deps`)", nvcc, err)
	}
	m := releaseRE.FindSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("%s --version: no release line in %q", nvcc, out)
	}
	return string(m[1]) + " (" + string(m[2]) + ")", nil
}

func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
