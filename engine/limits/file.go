package limits

import (
	"context"
	"fmt"
	"io"
	"os"
)

// ReadFile reads a regular file whole, charging its size to ctx's budget first: a device
// such as /dev/zero, a FIFO, or a file larger than what is left of the budget is an error
// before anything is allocated.
func ReadFile(ctx context.Context, path string) ([]byte, error) {
	return readRegular(path, func(size int64) error {
		return From(ctx).ChargeBytes(fmt.Sprintf("reading %s", path), size)
	})
}

// ReadSmallFile reads a regular file of at most maxBytes whole: for JSON scenarios and
// configs, whose size has a structural limit (MaxJSONBytes) rather than a budget.
func ReadSmallFile(path string, maxBytes int) ([]byte, error) {
	return readRegular(path, func(size int64) error {
		if size > int64(maxBytes) {
			return fmt.Errorf("%s: %d bytes exceeds limit %d: %w", path, size, maxBytes, ErrLimit)
		}
		return nil
	})
}

func readRegular(path string, admit func(size int64) error) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%v)", path, st.Mode().Type())
	}
	if err := admit(st.Size()); err != nil {
		return nil, err
	}
	buf := make([]byte, st.Size())
	if _, err := io.ReadFull(f, buf); err != nil {
		return nil, fmt.Errorf("%s: %w (the file changed while it was read?)", path, err)
	}
	return buf, nil
}
