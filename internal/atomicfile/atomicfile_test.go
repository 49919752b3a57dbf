package atomicfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

func TestWriteReplacesWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.json")
	if err := WriteBytes(path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := WriteBytes(path, []byte("new content")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "new content" {
		t.Errorf("file holds %q, want %q", got, "new content")
	}
}

func TestFailedWriteLeavesTargetAndNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	if err := WriteBytes(path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(path, func(w io.Writer) error {
		w.Write([]byte("half"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want it to wrap the writer's", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Errorf("target holds %q after a failed write, want %q", got, "old")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d entries after a failed write, want only the target", len(entries))
	}
}

func TestWriteFollowsSymlinkToItsTarget(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "data", "real.json")
	os.Mkdir(filepath.Dir(real), 0o755)
	if err := os.WriteFile(real, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink("data/real.json", link); err != nil {
		t.Fatal(err)
	}
	if err := WriteBytes(link, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v, %v", fi.Mode(), err)
	}
	got, _ := os.ReadFile(real)
	fi, _ := os.Stat(real)
	if string(got) != "new" || fi.Mode().Perm() != 0o600 {
		t.Errorf("link target holds %q with mode %v, want %q with 0600", got, fi.Mode().Perm(), "new")
	}
}

func TestWriteThroughDanglingLinkCreatesTarget(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "link")
	os.Symlink("absent", link)
	if err := WriteBytes(link, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "absent")); string(got) != "x" {
		t.Errorf("dangling link's target holds %q", got)
	}
}

func TestWriteKeepsModeAndNewFilesFollowUmask(t *testing.T) {
	dir := t.TempDir()
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	fresh := filepath.Join(dir, "fresh")
	if err := WriteBytes(fresh, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(fresh); fi.Mode().Perm() != 0o640 {
		t.Errorf("new file has mode %v, want 0644 less umask 027 = 0640", fi.Mode().Perm())
	}
	for _, mode := range []os.FileMode{0o600, 0o755, 0o444} {
		path := filepath.Join(dir, mode.String())
		os.WriteFile(path, nil, 0o600)
		os.Chmod(path, mode)
		if err := WriteBytes(path, []byte("y")); err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != mode {
			t.Errorf("rewritten file has mode %v, want its old %v", fi.Mode().Perm(), mode)
		}
	}
}

func TestWriteRefusesNonRegularTargets(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	linkToNull := filepath.Join(dir, "null")
	os.Symlink("/dev/null", linkToNull)
	for _, path := range []string{fifo, linkToNull, dir, "/dev/null"} {
		err := WriteBytes(path, []byte("x"))
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("write to %s: error %v, want a refusal", path, err)
		}
	}
	if fi, err := os.Lstat("/dev/null"); err != nil || fi.Mode()&os.ModeDevice == 0 {
		t.Fatalf("/dev/null is no longer a device: %v %v", fi.Mode(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("directory holds %d entries, want the fifo and the link only", len(entries))
	}
}

func TestSetIsAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	first, second := filepath.Join(dir, "mean.npy"), filepath.Join(dir, "missing", "var.npy")
	var s Set
	if err := s.AddBytes(first, []byte("mean")); err != nil {
		t.Fatal(err)
	}
	if err := s.AddBytes(second, []byte("var")); err == nil {
		t.Fatal("an output in a missing directory was staged")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("after a failed second output the directory holds %d entries, want none", len(entries))
	}
	var ok Set
	ok.AddBytes(first, []byte("a"))
	ok.AddBytes(filepath.Join(dir, "b"), []byte("b"))
	if _, err := os.Stat(first); err == nil {
		t.Error("an output appeared before Commit")
	}
	if err := ok.Commit(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("after Commit the directory holds %d entries, want 2", len(entries))
	}
}

// Of writers racing to create one file, exactly one does; the file holds its data whole,
// and no temporary file is left.
func TestWriteNewCreatesOnce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "job.json")
	var created atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			ok, err := WriteNew(path, bytes.Repeat([]byte{byte('a' + i)}, 1<<16))
			if err != nil {
				t.Error(err)
			}
			if ok {
				created.Add(1)
			}
		})
	}
	wg.Wait()
	if created.Load() != 1 {
		t.Errorf("%d writers created the file, want 1", created.Load())
	}
	data, err := os.ReadFile(path)
	if err != nil || len(data) != 1<<16 || !bytes.Equal(data, bytes.Repeat(data[:1], 1<<16)) {
		t.Errorf("the file holds %d bytes, not one writer's data whole (%v)", len(data), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files left: %v", entries)
	}
}
