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
	size := st.Size()
	if err := From(ctx).ChargeBytes(fmt.Sprintf("reading %s", path), size); err != nil {
		return nil, err
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(f, buf); err != nil {
		return nil, fmt.Errorf("%s: %w (the file changed while it was read?)", path, err)
	}
	return buf, nil
}
