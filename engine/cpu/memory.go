package cpu

// #include <stdlib.h>
import "C"

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"unsafe"
)

// Memory says where a CPU backend places its buffers. Go's heap is the default and the fast
// choice; the others exist to find out-of-bounds accesses in the C kernels, which read and
// write buffer memory that no Go bounds check protects.
type Memory int

const (
	// MemoryDefault is what $FLUXCORE_CPU_MEMORY names, else MemoryGo: the environment can
	// move any program's buffers against guard pages without a change to its code.
	MemoryDefault Memory = iota
	// MemoryGo allocates buffers on Go's heap.
	MemoryGo
	// MemoryGuardEnd places each buffer so that its last byte is followed by an inaccessible
	// page: a read or write one element past the end faults at once instead of silently
	// touching whatever the allocator put there.
	MemoryGuardEnd
	// MemoryGuardStart places each buffer right after an inaccessible page, for accesses
	// before the first element.
	MemoryGuardStart
	// MemoryC allocates buffers with C's malloc, which AddressSanitizer surrounds with
	// poisoned red zones when the kernels are built with -fsanitize=address.
	MemoryC
)

// EnvMemory names the environment variable that MemoryDefault reads, by the names
// ParseMemory accepts.
const EnvMemory = "FLUXCORE_CPU_MEMORY"

var memoryNames = map[Memory]string{MemoryDefault: "default", MemoryGo: "go", MemoryGuardEnd: "guard-end", MemoryGuardStart: "guard-start", MemoryC: "c"}

func (m Memory) String() string {
	if name, ok := memoryNames[m]; ok {
		return name
	}
	return fmt.Sprintf("Memory(%d)", int(m))
}

// ParseMemory reads a Memory by name: go, guard-end, guard-start or c ("" and default are
// MemoryDefault).
func ParseMemory(name string) (Memory, error) {
	if name == "" {
		return MemoryDefault, nil
	}
	for m, n := range memoryNames {
		if strings.EqualFold(name, n) {
			return m, nil
		}
	}
	return 0, fmt.Errorf("cpu: unknown memory %q (want go, guard-end, guard-start or c)", name)
}

// arena supplies and takes back buffer memory. Memory of n bytes is aligned to the largest
// power of two up to 8 that divides n, which is every element type's alignment.
type arena interface {
	alloc(nbytes int) ([]byte, error)
	release(mem []byte) error
}

// resolve turns MemoryDefault into the placement the environment names.
func (m Memory) resolve() (Memory, error) {
	if m != MemoryDefault {
		return m, nil
	}
	env, err := ParseMemory(os.Getenv(EnvMemory))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", EnvMemory, err)
	}
	if env == MemoryDefault {
		return MemoryGo, nil
	}
	return env, nil
}

func newArena(m Memory) (arena, error) {
	switch m {
	case MemoryGo:
		return goHeap{}, nil
	case MemoryGuardEnd, MemoryGuardStart:
		return &guarded{atStart: m == MemoryGuardStart, maps: map[*byte][]byte{}}, nil
	case MemoryC:
		return cHeap{}, nil
	}
	return nil, fmt.Errorf("cpu: unknown memory %d", int(m))
}

type goHeap struct{}

func (goHeap) alloc(nbytes int) ([]byte, error) {
	if nbytes == 0 {
		return nil, nil
	}
	words := make([]uint64, (nbytes+7)/8)
	return unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), nbytes), nil
}

func (goHeap) release([]byte) error { return nil }

type cHeap struct{}

func (cHeap) alloc(nbytes int) ([]byte, error) {
	if nbytes == 0 {
		return nil, nil
	}
	p := C.malloc(C.size_t(nbytes))
	if p == nil {
		return nil, fmt.Errorf("cpu: malloc of %d bytes failed", nbytes)
	}
	return unsafe.Slice((*byte)(p), nbytes), nil
}

func (cHeap) release(mem []byte) error {
	if len(mem) > 0 {
		C.free(unsafe.Pointer(&mem[0]))
	}
	return nil
}

// guarded maps every buffer on its own, with a PROT_NONE page flush against its end or start.
type guarded struct {
	atStart bool
	mu      sync.Mutex
	maps    map[*byte][]byte // a buffer's first byte → its whole mapping
}

func (g *guarded) alloc(nbytes int) ([]byte, error) {
	if nbytes == 0 {
		return nil, nil
	}
	page := syscall.Getpagesize()
	data := (nbytes + page - 1) / page * page
	mapping, err := syscall.Mmap(-1, 0, data+page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return nil, fmt.Errorf("cpu: guarded mmap of %d bytes: %w", data+page, err)
	}
	guard, mem := mapping[data:], mapping[data-nbytes:data]
	if g.atStart {
		guard, mem = mapping[:page], mapping[page:page+nbytes]
	}
	if err := syscall.Mprotect(guard, syscall.PROT_NONE); err != nil {
		syscall.Munmap(mapping)
		return nil, fmt.Errorf("cpu: guard page: %w", err)
	}
	g.mu.Lock()
	g.maps[&mem[0]] = mapping
	g.mu.Unlock()
	return mem, nil
}

func (g *guarded) release(mem []byte) error {
	if len(mem) == 0 {
		return nil
	}
	g.mu.Lock()
	mapping, ok := g.maps[&mem[0]]
	delete(g.maps, &mem[0])
	g.mu.Unlock()
	if !ok {
		return fmt.Errorf("cpu: release of memory this arena did not map")
	}
	return syscall.Munmap(mapping)
}

// hostArray is n values of T from b's arena, for the arrays a kernel reads or writes besides
// its buffers (parameters, prepared tracks, selection keys), so that a guarded arena places
// them against an inaccessible page too. release returns the memory.
func hostArray[T any](b *Backend, n int) (values []T, release func(), err error) {
	var zero T
	mem, err := b.arena.alloc(n * int(unsafe.Sizeof(zero)))
	if err != nil {
		return nil, nil, err
	}
	if len(mem) == 0 {
		return nil, func() {}, nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&mem[0])), n), func() { b.arena.release(mem) }, nil
}

// hostCopy is hostArray holding a copy of src.
func hostCopy[T any](b *Backend, src []T) ([]T, func(), error) {
	values, release, err := hostArray[T](b, len(src))
	if err == nil {
		copy(values, src)
	}
	return values, release, err
}
