package kernels

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// CUDASources are the files the fatbin and the launchers are generated from; CPUSources are
// the files engine/cpu's variants include. Both are relative to kernels/.
var (
	CUDASources = []string{"include/*.h", "cuda/*.cu"}
	CPUSources  = []string{"include/*.h", "cpu/*.c"}
)

// SourceFiles lists the files matching globs under dir in a stable order.
func SourceFiles(dir fs.FS, globs []string) ([]string, error) {
	var files []string
	for _, g := range globs {
		m, err := fs.Glob(dir, g)
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	slices.Sort(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("kernels: no sources matching %s", strings.Join(globs, ", "))
	}
	return files, nil
}

// SourcesHash is the SHA-256 over the names and contents of the files matching globs.
func SourcesHash(dir fs.FS, globs []string) (string, error) {
	files, err := SourceFiles(dir, globs)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, f := range files {
		data, err := fs.ReadFile(dir, f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path.Clean(f), len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
