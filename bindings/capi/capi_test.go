package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/limits"
)

func readHeader(t *testing.T) string {
	t.Helper()
	h, err := os.ReadFile("../include/fluxcore.h")
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// The header is hand-written, so its ABI version is a second copy of engine.ABIVersion;
// this keeps the two equal.
func TestHeaderABIVersion(t *testing.T) {
	m := regexp.MustCompile(`#define FLUXCORE_ABI_VERSION (\d+)`).FindStringSubmatch(readHeader(t))
	if m == nil {
		t.Fatal("fluxcore.h defines no FLUXCORE_ABI_VERSION")
	}
	if v, _ := strconv.Atoi(m[1]); v != abiVersion {
		t.Fatalf("fluxcore.h has FLUXCORE_ABI_VERSION %d, engine.ABIVersion is %d", v, abiVersion)
	}
}

// Each kind of failure gets the status the header documents for it; the expected values
// are read from the header's enum, not from the cgo constants the code uses.
func TestStatusOfEachFailure(t *testing.T) {
	values := map[string]int{}
	for _, m := range regexp.MustCompile(`(FLUXCORE_(?:OK|ERR_\w+)) = (\d+)`).FindAllStringSubmatch(readHeader(t), -1) {
		values[m[1]], _ = strconv.Atoi(m[2])
	}
	b, _ := limits.NewBudget(100)
	budgetErr := b.ChargeBytes("activations", 1000)
	cases := []struct {
		err  error
		want string
	}{
		{nil, "FLUXCORE_OK"},
		{errors.New("fno: input shape [1 2 3]"), "FLUXCORE_ERR_INVALID_ARGUMENT"},
		{fmt.Errorf("runner: %w", budgetErr), "FLUXCORE_ERR_OUT_OF_MEMORY"},
		{fmt.Errorf("fno: load: %w", &fs.PathError{Op: "open", Path: "m", Err: fs.ErrNotExist}), "FLUXCORE_ERR_IO"},
		{fmt.Errorf("x: %w", errUnsupported), "FLUXCORE_ERR_UNSUPPORTED"},
		{fmt.Errorf("open: %w", engine.ErrDeviceUnavailable), "FLUXCORE_ERR_DEVICE"},
		{fmt.Errorf("open: %w", engine.ErrVariantUnavailable), "FLUXCORE_ERR_UNSUPPORTED"},
		{fmt.Errorf("fno: %w", context.Canceled), "FLUXCORE_ERR_CANCELLED"},
		{fmt.Errorf("%w: panic", errInternal), "FLUXCORE_ERR_INTERNAL"},
		{fmt.Errorf("engine: %w", errBusy), "FLUXCORE_ERR_BUSY"},
	}
	for _, c := range cases {
		want, ok := values[c.want]
		if !ok {
			t.Fatalf("fluxcore.h has no %s", c.want)
		}
		if got := int(statusOf(c.err)); got != want {
			t.Errorf("statusOf(%v) = %d, want %s (%d)", c.err, got, c.want, want)
		}
	}
}

// Calls racing a destroy either enter before it (and it waits for them) or are refused;
// none runs after the destroy returned. Run under -race.
func TestUnregisterWaitsForCallsInside(t *testing.T) {
	var inside atomic.Int32
	var released atomic.Bool
	h := register(kindEngine, nil, "engine")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				o, err := enter(h, kindEngine)
				if err != nil {
					if !strings.Contains(err.Error(), "not live") && !strings.Contains(err.Error(), "being destroyed") {
						t.Errorf("enter during destroy: %v", err)
					}
					return
				}
				inside.Add(1)
				if released.Load() {
					t.Error("a call ran inside an object after its destroy returned")
				}
				time.Sleep(50 * time.Microsecond)
				inside.Add(-1)
				o.leave()
			}
		})
	}
	time.Sleep(5 * time.Millisecond)
	if _, err := unregister(h, kindEngine); err != nil {
		t.Fatal(err)
	}
	if n := inside.Load(); n != 0 {
		t.Fatalf("destroy returned with %d calls inside", n)
	}
	released.Store(true)
	wg.Wait()
}

func TestParentWithLiveChildrenIsBusy(t *testing.T) {
	p := register(kindEngine, nil, "engine")
	o, err := enter(p, kindEngine)
	if err != nil {
		t.Fatal(err)
	}
	child := register(kindFNO, o, "model")
	o.leave()
	if _, err := unregister(p, kindEngine); !errors.Is(err, errBusy) {
		t.Fatalf("destroy of an engine with a live model: %v, want busy", err)
	}
	if _, err := enter(p, kindEngine); err != nil {
		t.Fatalf("the busy engine stays usable: %v", err)
	}
	if _, err := enter(child, kindEngine); err == nil || !strings.Contains(err.Error(), "names an FNO model, not an engine") {
		t.Fatalf("a model handle used as an engine: %v", err)
	}
	if _, err := unregister(child, kindFNO); err != nil {
		t.Fatal(err)
	}
	o.leave()
	if _, err := unregister(p, kindEngine); err != nil {
		t.Fatalf("destroy after the model's: %v", err)
	}
}
