// Package limits is the one place where fluxcore bounds what its input may make it do. Every
// size that comes from a file, a flag or a client (a grid, a padding, a map's width × height,
// a batch) is checked here before anything is allocated: products are overflow-checked, each
// size has a structural limit, and the bytes a request allocates are charged to a Budget.
// Errors name the field, its value and the limit, so that a user can tell what to change.
package limits

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"sync/atomic"
)

// DefaultBudgetBytes is the memory one request may allocate unless its caller sets another
// budget: enough for every workload in the README with room to spare, small enough that a
// hostile file cannot take a node's memory.
const DefaultBudgetBytes int64 = 2 << 30

// ErrLimit is wrapped by every error of this package; test with errors.Is.
var ErrLimit = errors.New("limit exceeded")

// ErrBudget is wrapped by the errors of a charge the memory budget refuses; it wraps ErrLimit.
// The C ABI reports it as out of memory.
var ErrBudget = fmt.Errorf("memory budget: %w", ErrLimit)

// Mul is a·b, or ok = false when either is negative or the product overflows an int.
func Mul(a, b int) (product int, ok bool) {
	if a < 0 || b < 0 {
		return 0, false
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > math.MaxInt {
		return 0, false
	}
	return int(lo), true
}

// Product is the product of dims, named what in its error: one that is negative, or a product
// that overflows or exceeds limit, is an error naming them.
func Product(what string, limit int, dims ...int) (int, error) {
	p := 1
	for _, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("%s: dimension %d of %v is negative: %w", what, d, dims, ErrLimit)
		}
		var ok bool
		if p, ok = Mul(p, d); !ok {
			return 0, fmt.Errorf("%s %v: product overflows, limit %d: %w", what, dims, limit, ErrLimit)
		}
	}
	if p > limit {
		return 0, fmt.Errorf("%s %v = %d exceeds limit %d: %w", what, dims, p, limit, ErrLimit)
	}
	return p, nil
}

// Check is an error naming what, its value and the limit when value is outside [0, limit].
func Check(what string, value, limit int) error {
	if value < 0 {
		return fmt.Errorf("%s %d is negative: %w", what, value, ErrLimit)
	}
	if value > limit {
		return fmt.Errorf("%s %d exceeds limit %d: %w", what, value, limit, ErrLimit)
	}
	return nil
}

// CheckFloat is an error naming what when v is not finite or |v| exceeds limit: the bound on a
// coordinate or a length beyond which float32 arithmetic loses what it is meant to resolve.
func CheckFloat(what string, v, limit float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("%s is %v, want a finite number", what, v)
	}
	if math.Abs(v) > limit {
		return fmt.Errorf("%s %g exceeds limit %g in magnitude: %w", what, v, limit, ErrLimit)
	}
	return nil
}

// Budget bounds the bytes one request allocates: tensors and workspaces on the device, and
// what is built on the host from its input (decoded arrays, maps, stencils). Charges that
// would take it past its limit fail and change nothing. It is safe for concurrent use.
type Budget struct {
	limit atomic.Int64
	used  atomic.Int64
}

// NewBudget returns a budget of limitBytes; 0 means DefaultBudgetBytes.
func NewBudget(limitBytes int64) (*Budget, error) {
	b := &Budget{}
	return b, b.SetLimit(limitBytes)
}

// SetLimit resizes the budget to limitBytes (0: DefaultBudgetBytes). Charges already made
// stay; a smaller limit only refuses later ones.
func (b *Budget) SetLimit(limitBytes int64) error {
	if limitBytes < 0 {
		return fmt.Errorf("limits: memory budget %d bytes is negative", limitBytes)
	}
	if limitBytes == 0 {
		limitBytes = DefaultBudgetBytes
	}
	b.limit.Store(limitBytes)
	return nil
}

// Limit is the budget's size in bytes.
func (b *Budget) Limit() int64 { return b.limit.Load() }

// Used is the bytes charged and not yet released.
func (b *Budget) Used() int64 { return b.used.Load() }

// Charge takes count elements of elemBytes each from the budget, or returns an error naming
// what, the bytes it needs, what is left and the limit.
func (b *Budget) Charge(what string, count, elemBytes int) error {
	n, ok := Mul(count, elemBytes)
	if !ok {
		return fmt.Errorf("%s: %d × %d bytes overflows, memory budget %d bytes: %w", what, count, elemBytes, b.Limit(), ErrBudget)
	}
	return b.ChargeBytes(what, int64(n))
}

// ChargeBytes takes n bytes from the budget, or returns an error naming what.
func (b *Budget) ChargeBytes(what string, n int64) error {
	if n < 0 {
		return fmt.Errorf("%s: %d bytes is negative: %w", what, n, ErrLimit)
	}
	for {
		used, limit := b.used.Load(), b.Limit()
		if n > limit-used {
			return fmt.Errorf("%s needs %d bytes, exceeds the memory budget of %d bytes (%d in use): %w",
				what, n, limit, used, ErrBudget)
		}
		if b.used.CompareAndSwap(used, used+n) {
			return nil
		}
	}
}

// Release gives back n bytes of an earlier charge.
func (b *Budget) Release(n int64) { b.used.Add(-n) }

type budgetKey struct{}

// WithBudget returns a context whose work charges b.
func WithBudget(ctx context.Context, b *Budget) context.Context {
	return context.WithValue(ctx, budgetKey{}, b)
}

// From is the budget ctx carries, or a fresh one of DefaultBudgetBytes: work under a context
// without a budget is bounded call by call.
func From(ctx context.Context) *Budget {
	if b, ok := ctx.Value(budgetKey{}).(*Budget); ok && b != nil {
		return b
	}
	b, _ := NewBudget(0)
	return b
}

// ParseBytes reads a size such as 2GiB, 512MiB, 1.5GB or 1048576 (bytes); binary units are
// powers of 1024, decimal ones of 1000.
func ParseBytes(s string) (int64, error) {
	num := strings.TrimRight(s, "KMGTiBb")
	unit := strings.TrimSpace(s[len(num):])
	scale, ok := byteUnits[unit]
	if !ok {
		return 0, fmt.Errorf("size %q: unknown unit %q (want B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)", s, unit)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || !(v >= 0) || v*scale > math.MaxInt64/2 {
		return 0, fmt.Errorf("size %q: want a non-negative number of bytes below 2⁶²", s)
	}
	return int64(v * scale), nil
}

var byteUnits = map[string]float64{"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
	"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}

// Structural limits: sizes beyond which an input is malformed or hostile rather than large.
// The README's "Limits and bad input" table lists them; a test keeps the two in step.
const (
	// MaxRank bounds an array's dimensions (NumPy's own limit is 64; no fluxcore array
	// has more than 5).
	MaxRank = 32
	// MaxNPYHeaderBytes bounds an .npy header dictionary (NumPy writes under 200 bytes).
	MaxNPYHeaderBytes = 1 << 20
	// MaxArrayElements bounds one array's elements (2³¹ − 1, the kernels' int32 indexing).
	MaxArrayElements = 1<<31 - 1
	// MaxStreamedElements bounds an array read a range of rows at a time (npy.File): 2⁴⁰,
	// 4 TiB of float32, for batch inputs that are never loaded whole.
	MaxStreamedElements = 1 << 40
	// MaxArchiveMembers bounds the members of an .npz archive.
	MaxArchiveMembers = 1024
	// MaxSafetensorsHeaderBytes bounds a checkpoint's JSON header (the format's own 100 MB).
	MaxSafetensorsHeaderBytes = 100 << 20
	// MaxJSONBytes bounds a scenario or config file.
	MaxJSONBytes = 256 << 20
	// MaxGridAxis bounds an FNO grid axis, padding included.
	MaxGridAxis = 65536
	// MaxGridBound bounds |grid_lb| and |grid_ub|, the coordinates an FNO appends as
	// channels: beyond it float32 cannot tell neighbouring points apart.
	MaxGridBound = 1e30
	// MaxSimCycles bounds a closed-loop simulation (a day at 10 Hz).
	MaxSimCycles = 864000
	// MaxCoordinateM bounds a position in a scenario (poses, paths, obstacles, the map's
	// origin): float32 rollouts resolve 8 mm at 100 km.
	MaxCoordinateM = 1e5
	// MaxLengthM bounds a footprint's size and an obstacle's radius.
	MaxLengthM = 100.0
)
