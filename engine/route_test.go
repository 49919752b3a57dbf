package engine_test

import (
	"context"
	"testing"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/cpu"
	"github.com/fluxcore/fluxcore/engine/enginetest"
)

// memoryOnly is a device that holds memory but runs no op: its embedded Backend is nil, so
// an op that reached it would panic. Routed, every op must run on the host instead.
type memoryOnly struct {
	backend.Backend
	mem *cpu.Backend
}

func (m memoryOnly) Kind() backend.Kind { return "test" }
func (m memoryOnly) Name() string       { return "memory-only" }
func (m memoryOnly) Alloc(dt backend.DType, n int) (backend.Buffer, error) {
	return m.mem.Alloc(dt, n)
}
func (m memoryOnly) Free(buf backend.Buffer) error { return m.mem.Free(buf) }
func (m memoryOnly) Upload(ctx context.Context, dst backend.Buffer, src []byte) error {
	return m.mem.Upload(ctx, dst, src)
}
func (m memoryOnly) Download(ctx context.Context, dst []byte, src backend.Buffer) error {
	return m.mem.Download(ctx, dst, src)
}
func (m memoryOnly) Synchronize(ctx context.Context) error { return ctx.Err() }
func (m memoryOnly) Close() error                          { return m.mem.Close() }
func (m memoryOnly) Capabilities() backend.Capabilities {
	return backend.Capabilities{Ops: map[backend.Op]backend.OpSupport{}}
}

// A backend lacking ops falls back to the host for those ops alone: the whole conformance
// suite passes through the copies, on a device that runs nothing itself.
func TestFallbackPerOp(t *testing.T) {
	mem, err := cpu.New(cpu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	host, err := cpu.New(cpu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	routed, missing := engine.Route(memoryOnly{mem: mem}, host)
	if len(missing) != len(backend.AllOps) {
		t.Fatalf("%d ops missing, want all %d", len(missing), len(backend.AllOps))
	}
	enginetest.Run(t, routed)
}

// A backend with every op is used as it is.
func TestNoFallbackWhenComplete(t *testing.T) {
	host, err := cpu.New(cpu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	other, err := cpu.New(cpu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if b, missing := engine.Route(other, host); b != backend.Backend(other) || missing != nil {
		t.Errorf("a complete backend was wrapped (%d ops missing)", len(missing))
	}
	e, err := engine.Open(engine.Options{Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, op := range e.Info().Ops {
		if op.Fallback != "" || op.Device != e.Info().Device {
			t.Errorf("op %s runs on %s (%s), want %s", op.Op, op.Device, op.Fallback, e.Info().Device)
		}
	}
}
