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

// sourceGlobs are the files the fatbin and the launchers are generated from, relative to
// kernels/. The CPU loops are not among them: cgo compiles those on every build.
var sourceGlobs = []string{"include/*.h", "cuda/*.cu"}

// SourceFiles lists the generator's inputs in a stable order.
func SourceFiles(dir fs.FS) ([]string, error) {
	var files []string
	for _, g := range sourceGlobs {
		m, err := fs.Glob(dir, g)
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	slices.Sort(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("kernels: no sources matching %s", strings.Join(sourceGlobs, ", "))
	}
	return files, nil
}

// SourcesHash is the SHA-256 over the names and contents of the generator's inputs.
func SourcesHash(dir fs.FS) (string, error) {
	files, err := SourceFiles(dir)
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
