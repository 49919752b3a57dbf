package limits

import (
	"context"
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestMulAgreesWithBigInt checks the overflow test against exact arithmetic.
func TestMulAgreesWithBigInt(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	edges := []int{0, 1, 2, 3, 1 << 31, 1<<32 + 1, math.MaxInt / 2, math.MaxInt, 3037000499, 3037000500}
	for i := range 20000 {
		a, b := rng.IntN(math.MaxInt), rng.IntN(1<<uint(rng.IntN(63)))
		if i < len(edges)*len(edges) {
			a, b = edges[i/len(edges)], edges[i%len(edges)]
		}
		exact := new(big.Int).Mul(big.NewInt(int64(a)), big.NewInt(int64(b)))
		p, ok := Mul(a, b)
		if fits := exact.IsInt64(); ok != fits || (ok && int64(p) != exact.Int64()) {
			t.Fatalf("Mul(%d, %d) = %d, %v; exact %v", a, b, p, ok, exact)
		}
	}
	if _, ok := Mul(-1, 5); ok {
		t.Error("Mul accepted a negative factor")
	}
}

func TestProductNamesFieldValueAndLimit(t *testing.T) {
	_, err := Product("fno: padded grid", 1<<20, 1<<40, 1<<40)
	if err == nil || !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "fno: padded grid") {
		t.Errorf("overflowing product: %v", err)
	}
	_, err = Product("map cells", 100, 20, 6)
	if err == nil || !strings.Contains(err.Error(), "120 exceeds limit 100") {
		t.Errorf("product over its limit: %v", err)
	}
	if err := Check("fno: metadata padding", 4611686018427387904, 65536); err == nil ||
		err.Error() != "fno: metadata padding 4611686018427387904 exceeds limit 65536: limit exceeded" {
		t.Errorf("Check: %v", err)
	}
}

func TestBudgetNeverOvercommitsUnderConcurrency(t *testing.T) {
	b, _ := NewBudget(1000)
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted := 0
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if b.Charge("x", 7, 3) == nil {
				mu.Lock()
				granted++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if granted != 1000/21 || b.Used() != int64(21*granted) {
		t.Errorf("granted %d charges of 21 bytes (%d used) from 1000, want %d", granted, b.Used(), 1000/21)
	}
	if err := b.Charge("tensor", math.MaxInt/2, 8); err == nil || !strings.Contains(err.Error(), "overflows") {
		t.Errorf("overflowing charge: %v", err)
	}
	b.Release(b.Used())
	if err := b.ChargeBytes("all", 1000); err != nil {
		t.Errorf("a charge of the whole budget after release: %v", err)
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"2GiB": 2 << 30, "512MiB": 512 << 20, "1.5GB": 1.5e9, "4096": 4096, "10 KiB": 10240} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v, want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1GiB", "NaNGiB", "1e300GiB", "3 parsecs", "GiB"} {
		if _, err := ParseBytes(bad); err == nil {
			t.Errorf("ParseBytes(%q) accepted", bad)
		}
	}
}

func TestReadFileRefusesDevicesAndOversizedFiles(t *testing.T) {
	ctx := context.Background()
	if _, err := ReadFile(ctx, "/dev/zero"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("/dev/zero: %v", err)
	}
	path := filepath.Join(t.TempDir(), "big")
	os.WriteFile(path, make([]byte, 4096), 0o644)
	small, _ := NewBudget(1000)
	if _, err := ReadFile(WithBudget(ctx, small), path); !errors.Is(err, ErrLimit) {
		t.Errorf("4096-byte file under a 1000-byte budget: %v", err)
	}
}
