package kernels

import (
	"fmt"
	"io/fs"
	"regexp"
	"strings"
)

// Kernel is one `extern "C" __global__` entry point.
type Kernel struct {
	Name   string
	File   string
	Params []Param
}

// Param is one kernel parameter and the Go type its launcher takes for it.
type Param struct {
	CType  string
	Name   string
	GoType string // cu.DevicePtr, int32, uint32, int64, float32 or float64
}

var (
	globalRE = regexp.MustCompile(`extern\s+"C"\s+__global__\s+void\s+(\w+)\s*\(([^)]*)\)`)
	paramRE  = regexp.MustCompile(`^(.*?)(\w+)$`)
)

// scalarGoTypes maps C scalar parameter types to the Go type with the same width.
var scalarGoTypes = map[string]string{
	"int": "int32", "int32_t": "int32", "unsigned": "uint32", "unsigned int": "uint32", "uint32_t": "uint32",
	"long long": "int64", "int64_t": "int64", "float": "float32", "double": "float64",
}

// ParseKernels reads every entry point from the .cu files under dir.
func ParseKernels(dir fs.FS) ([]Kernel, error) {
	files, err := fs.Glob(dir, "cuda/*.cu")
	if err != nil {
		return nil, err
	}
	var kernels []Kernel
	for _, f := range files {
		src, err := fs.ReadFile(dir, f)
		if err != nil {
			return nil, err
		}
		for _, m := range globalRE.FindAllStringSubmatch(string(src), -1) {
			k := Kernel{Name: m[1], File: f}
			for _, p := range strings.Split(m[2], ",") {
				param, err := parseParam(p)
				if err != nil {
					return nil, fmt.Errorf("kernels: %s: %s: %w", f, k.Name, err)
				}
				k.Params = append(k.Params, param)
			}
			kernels = append(kernels, k)
		}
	}
	if len(kernels) == 0 {
		return nil, fmt.Errorf(`kernels: no extern "C" __global__ functions in cuda/*.cu`)
	}
	return kernels, nil
}

func parseParam(p string) (Param, error) {
	p = strings.Join(strings.Fields(p), " ")
	m := paramRE.FindStringSubmatch(p)
	if m == nil {
		return Param{}, fmt.Errorf("cannot parse parameter %q", p)
	}
	ctype := strings.TrimSpace(m[1])
	param := Param{CType: ctype, Name: m[2]}
	if strings.Contains(ctype, "*") {
		param.GoType = "cu.DevicePtr"
		return param, nil
	}
	goType, ok := scalarGoTypes[strings.TrimPrefix(ctype, "const ")]
	if !ok {
		return Param{}, fmt.Errorf("parameter %q: C type %q has no fixed-width Go type", p, ctype)
	}
	param.GoType = goType
	return param, nil
}
