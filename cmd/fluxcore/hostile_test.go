package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hostileCase is one entry of testdata/hostile/cases.json (written by make.py beside it).
type hostileCase struct {
	Name   string   `json:"name"`
	Args   []string `json:"args"`
	Exit   int      `json:"exit"`
	Stderr string   `json:"stderr"`
}

// Limits every hostile input must stay within, per process.
const (
	hostileMaxRSSBytes = 2 << 30
	hostileMaxWall     = 20 * time.Second
)

// TestHostileCatalogue runs every malformed or extreme input of testdata/hostile through the
// command in its own process, as a user would, and checks the exit status, the error, the
// process's peak memory and its time, and that no output file was left behind.
func TestHostileCatalogue(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "testdata/hostile/cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []hostileCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 30 {
		t.Fatalf("the catalogue holds %d cases, want at least 30", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) { runHostile(t, root, c) })
	}
}

func runHostile(t *testing.T, root string, c hostileCase) {
	out := t.TempDir()
	args := make([]string, len(c.Args))
	for i, a := range c.Args {
		args[i] = strings.ReplaceAll(a, "$OUT", out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*hostileMaxWall)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), cliChildEnv+"=1", "FLUXCORE_DEVICE=cpu")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	code := 0
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	if code != c.Exit || !strings.Contains(stderr.String(), c.Stderr) {
		t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr.String(), c.Exit, c.Stderr)
	}
	if strings.Contains(stderr.String(), "panic:") || strings.Contains(stderr.String(), "goroutine ") {
		t.Errorf("the command panicked: %s", stderr.String())
	}
	if rss := int64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) * 1024; rss > hostileMaxRSSBytes {
		t.Errorf("peak resident memory %d MiB, limit %d MiB", rss>>20, hostileMaxRSSBytes>>20)
	}
	if wall > hostileMaxWall {
		t.Errorf("took %v, limit %v", wall, hostileMaxWall)
	}
	filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("a failed command left %s behind", path)
		}
		return nil
	})
}
