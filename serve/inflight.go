package serve

import (
	"context"
	"fmt"
	"sync/atomic"

	"golang.org/x/sync/semaphore"
)

// inflight bounds the bytes of the requests being read and decoded, all clients together
// (--max-inflight-bytes). A REST body is charged from its length before it is read and
// refused at once past the bound, so that a client learns of it without sending the
// body. A gRPC call cannot be refused that way, since grpc-go reads a message whole before
// any handler sees it: ModelInfer is served as a stream instead, which waits here for room
// for the largest message before reading its own (an unread message stays in the
// connection's flow-control window meanwhile).
type inflight struct {
	sem   *semaphore.Weighted // FIFO, so that a large waiter is not starved by small ones
	used  atomic.Int64
	limit int64
}

func newInflight(limitBytes int64) *inflight {
	return &inflight{sem: semaphore.NewWeighted(limitBytes), limit: limitBytes}
}

// tryCharge takes n bytes now, or refuses as unavailable.
func (f *inflight) tryCharge(n int64) error {
	if !f.sem.TryAcquire(n) {
		return fmt.Errorf("%w: the requests being read hold %d of --max-inflight-bytes %d; this one needs %d more",
			ErrUnavailable, f.used.Load(), f.limit, n)
	}
	f.used.Add(n)
	return nil
}

// charge waits until it can take n bytes, or until ctx ends.
func (f *inflight) charge(ctx context.Context, n int64) error {
	if err := f.sem.Acquire(ctx, n); err != nil {
		return fmt.Errorf("waiting for %d bytes of --max-inflight-bytes %d (%d held): %w", n, f.limit, f.used.Load(), err)
	}
	f.used.Add(n)
	return nil
}

// release gives back n charged bytes.
func (f *inflight) release(n int64) {
	if n > 0 {
		f.used.Add(-n)
		f.sem.Release(n)
	}
}

// Used is the bytes charged now.
func (f *inflight) Used() int64 { return f.used.Load() }
