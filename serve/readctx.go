package serve

import (
	"context"
	"sync"
	"time"

	"google.golang.org/grpc/tap"

	pb "github.com/fluxcore/fluxcore/serve/inferencepb"
)

// readContext is a ModelInfer call's context with a deadline that the handler arms only
// while it reads the call's message: a client that sends slower than --read-timeout is cut
// off with DEADLINE_EXCEEDED, while a call that has its message takes as long as its own
// deadline allows. grpc-go reads from the context the tap handle returns (readContexts),
// and it alone must end a read; a context.WithDeadline could not be armed after the start.
type readContext struct {
	context.Context // the stream's: the client's deadline, cancellation, the call's end
	done            chan struct{}
	mu              sync.Mutex
	err             error
}

// readContexts is the server's tap handle: it gives each ModelInfer call a readContext.
func readContexts(ctx context.Context, info *tap.Info) (context.Context, error) {
	if info.FullMethodName != pb.GRPCInferenceService_ModelInfer_FullMethodName {
		return ctx, nil
	}
	c := &readContext{Context: ctx, done: make(chan struct{})}
	context.AfterFunc(ctx, func() { c.end(ctx.Err()) })
	return c, nil
}

type readContextKey struct{}

func (c *readContext) Done() <-chan struct{} { return c.done }

// Value finds the readContext itself under the contexts grpc-go derives from it.
func (c *readContext) Value(key any) any {
	if key == (readContextKey{}) {
		return c
	}
	return c.Context.Value(key)
}

func (c *readContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// end makes the context done with err, once.
func (c *readContext) end(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
		close(c.done)
	}
}

// armRead starts ctx's read deadline, if ctx is a readContext; disarm stops it and reports
// whether it had passed.
func armRead(ctx context.Context, timeout time.Duration) (disarm func() (expired bool)) {
	c, ok := ctx.Value(readContextKey{}).(*readContext)
	if !ok {
		return func() bool { return false }
	}
	timer := time.AfterFunc(timeout, func() { c.end(context.DeadlineExceeded) })
	return func() bool { return !timer.Stop() }
}
