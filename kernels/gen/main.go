// Command gen regenerates what is derived from the kernels and the Go declarations they
// share: kernels/include/fc_layout_gen.h (the constants engine/backend marks with //fc:c),
// engine/cpu's dispatch and per-variant translation units (from the op list,
// kernels/ops.go), engine/cpu/kernels_stamp_gen.go (the hash that makes Go rebuild the CPU
// variants), engine/cuda/launch_gen.go (typed launchers), and, with nvcc,
// module/fluxcore.fatbin (one module; SASS for sm_70..sm_90 and PTX for newer GPUs) with
// module/manifest.json (the hash of the sources and the nvcc version).
//
// Run from the module root: `go run ./kernels/gen` (needs nvcc); `-cpu` rewrites only what
// needs no nvcc; `-check` needs no nvcc and fails when a committed output is stale.
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

func main() {
	check := flag.Bool("check", false, "only verify that the committed outputs match the sources")
	cpuOnly := flag.Bool("cpu", false, "only rewrite what needs no nvcc (the layout header, CPU dispatch and stamp, launchers)")
	nvcc := flag.String("nvcc", "nvcc", "the nvcc to compile with")
	flag.Parse()
	var err error
	switch {
	case *check:
		err = checkFresh()
	case *cpuOnly:
		err = writeOutputs()
	default:
		err = generate(*nvcc)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kernels/gen:", err)
		os.Exit(1)
	}
}

func checkFresh() error {
	if err := kernels.CheckFresh(os.DirFS(".")); err != nil {
		return fmt.Errorf("%w; run `make kernels` (or `go run ./kernels/gen -cpu` where only the CPU side changed)", err)
	}
	fmt.Println("kernels/gen: generated kernels are up to date")
	return nil
}

// writeOutputs writes every output that needs no nvcc, each only when it changed, so that
// an unchanged tree stays cached. A new layout header is itself a source of the others, so
// a second pass renders them from it.
func writeOutputs() error {
	for pass := 0; pass < 2; pass++ {
		outs, err := kernels.Outputs(os.DirFS("."))
		if err != nil {
			return err
		}
		changed := false
		for _, g := range outs {
			if old, err := os.ReadFile(g.Path); err == nil && bytes.Equal(old, g.Data) {
				continue
			}
			if err := writeAtomic(g.Path, g.Data); err != nil {
				return err
			}
			changed = true
		}
		if !changed {
			return nil
		}
	}
	return nil
}

func generate(nvcc string) error {
	if err := writeOutputs(); err != nil {
		return err
	}
	src := os.DirFS(kernels.KernelDir)
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
	for path, data := range map[string][]byte{kernels.FatbinPath: fatbin, kernels.ManifestPath: append(manifest, '\n')} {
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
	abs, err := filepath.Abs(kernels.KernelDir)
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
