// Package atomicfile writes files so that readers see either the old content or all of the
// new, never a half-written file: the data goes to a temporary file in the target's
// directory, is synced, and is renamed over the target.
//
// The target is what a plain write would change: a symbolic link is followed to the file it
// names (which is replaced, the link kept), an existing file keeps its permission bits, and a
// new one gets 0644 less the umask. A target that exists but is not a regular file (a
// directory, a device, a FIFO, a socket) is refused: renaming over it would not write to it.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Write writes the file at path with whatever write produces. On any error the target is
// left untouched and the temporary file is removed.
func Write(path string, write func(w io.Writer) error) error {
	var s Set
	if err := s.Add(path, write); err != nil {
		return err
	}
	return s.Commit()
}

// WriteBytes writes data to path atomically.
func WriteBytes(path string, data []byte) error {
	return Write(path, bytesWriter(data))
}

func bytesWriter(data []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}
}

// WriteNew creates the file at path with data unless a file is there already, and reports
// whether it did. The data is staged and synced as Write does, then hard-linked into place,
// which fails when path exists: of writers racing to create the same file, exactly one
// wins, and every reader sees either no file or all of it.
func WriteNew(path string, data []byte) (created bool, err error) {
	st, err := stage(path, bytesWriter(data))
	if err != nil {
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(st.tmp)
	switch err := os.Link(st.tmp, st.target); {
	case err == nil:
		syncDir(filepath.Dir(st.target))
		return true, nil
	case errors.Is(err, fs.ErrExist):
		return false, nil
	default:
		return false, fmt.Errorf("write %s: %w", path, err)
	}
}

// Set is the outputs of one command, published all or nothing: Add writes each to its
// temporary file, and only when every one is written does Commit rename them into place.
// Discard (or a failed Add or Commit) removes the temporary files. The zero Set is ready.
type Set struct {
	staged []staged
}

type staged struct{ target, tmp string }

// Add writes one output to a temporary file beside its target. On error it discards every
// output the set holds.
func (s *Set) Add(path string, write func(w io.Writer) error) error {
	st, err := stage(path, write)
	if err != nil {
		s.Discard()
		return fmt.Errorf("write %s: %w", path, err)
	}
	s.staged = append(s.staged, st)
	return nil
}

// AddBytes adds an output of data.
func (s *Set) AddBytes(path string, data []byte) error { return s.Add(path, bytesWriter(data)) }

// Commit renames every temporary file over its target. Renames within a directory do not
// fail for want of space, so once the data is written the set is as good as published; a
// rename that fails all the same removes the temporary files that remain.
func (s *Set) Commit() error {
	for i, st := range s.staged {
		if err := os.Rename(st.tmp, st.target); err != nil {
			s.staged = s.staged[i:]
			s.Discard()
			return fmt.Errorf("write %s: %w", st.target, err)
		}
		syncDir(filepath.Dir(st.target))
	}
	s.staged = nil
	return nil
}

// Discard removes the temporary files of the outputs not yet committed.
func (s *Set) Discard() {
	for _, st := range s.staged {
		os.Remove(st.tmp)
	}
	s.staged = nil
}

// stage writes one output to a synced temporary file with the target's final mode.
func stage(path string, write func(w io.Writer) error) (st staged, err error) {
	target, mode, err := resolve(path)
	if err != nil {
		return staged{}, err
	}
	tmp, err := createTemp(target, mode)
	if err != nil {
		return staged{}, err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return staged{}, err
	}
	if mode != 0 {
		// An existing file's bits, set exactly: creation applied the umask to them.
		if err := tmp.Chmod(mode); err != nil {
			return staged{}, err
		}
	}
	if err := tmp.Sync(); err != nil {
		return staged{}, err
	}
	if err := tmp.Close(); err != nil {
		return staged{}, err
	}
	return staged{target: target, tmp: tmp.Name()}, nil
}

// maxLinks bounds the symbolic links followed, as the kernel's own limit does (40).
const maxLinks = 40

// resolve follows symbolic links from path to the file a write would change, and returns it
// with its permission bits (0 when it does not exist yet).
func resolve(path string) (target string, mode fs.FileMode, err error) {
	target = path
	for range maxLinks {
		fi, err := os.Lstat(target)
		if errors.Is(err, fs.ErrNotExist) {
			return target, 0, nil
		}
		if err != nil {
			return "", 0, err
		}
		switch {
		case fi.Mode().IsRegular():
			return target, fi.Mode().Perm(), nil
		case fi.Mode()&fs.ModeSymlink == 0:
			return "", 0, fmt.Errorf("%s exists and is not a regular file (%v); refusing to replace it", target, fi.Mode().Type())
		}
		link, err := os.Readlink(target)
		if err != nil {
			return "", 0, err
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(target), link)
		}
		target = link
	}
	return "", 0, fmt.Errorf("%s: more than %d symbolic links", path, maxLinks)
}

// createTemp creates a new file beside target. It is created with 0644 so that the kernel
// applies the umask, as it would to the target itself.
func createTemp(target string, mode fs.FileMode) (*os.File, error) {
	perm := fs.FileMode(0o644)
	if mode != 0 {
		perm = mode & 0o600 // private until Chmod sets the final bits
	}
	for range 16 {
		var suffix [6]byte
		rand.Read(suffix[:])
		name := filepath.Join(filepath.Dir(target), "."+filepath.Base(target)+".tmp"+hex.EncodeToString(suffix[:]))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm|0o200)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("no free temporary name beside %s", target)
}

// syncDir makes a rename durable; a directory that cannot be synced loses nothing but that.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
