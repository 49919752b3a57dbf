package cpu

import (
	"runtime/debug"
	"testing"
	"unsafe"
)

// sink keeps the read in faults from being optimized away.
var sink byte

// faults reports whether reading the byte at p faults. SetPanicOnFault turns the fault into
// a panic that this goroutine can recover.
func faults(p unsafe.Pointer) (faulted bool) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() { faulted = recover() != nil }()
	sink = *(*byte)(p)
	return false
}

// The guarded arenas must leave the byte just past (or just before) every allocation
// inaccessible, whatever its size, or TestGuardPages could not fault; and every byte of the
// allocation must be usable.
func TestGuardedArena(t *testing.T) {
	for _, atStart := range []bool{false, true} {
		g := &guarded{atStart: atStart, maps: map[*byte][]byte{}}
		for _, n := range []int{1, 4, 7, 8, 4095, 4096, 4097, 12288} {
			mem, err := g.alloc(n)
			if err != nil {
				t.Fatal(err)
			}
			if len(mem) != n {
				t.Fatalf("alloc(%d) gave %d bytes", n, len(mem))
			}
			mem[0], mem[n-1] = 1, 2
			outside := unsafe.Add(unsafe.Pointer(&mem[0]), n)
			if atStart {
				outside = unsafe.Add(unsafe.Pointer(&mem[0]), -1)
			}
			if !faults(outside) {
				t.Errorf("atStart %v, %d bytes: the byte outside the allocation is readable", atStart, n)
			}
			if faults(unsafe.Pointer(&mem[n-1])) || faults(unsafe.Pointer(&mem[0])) {
				t.Errorf("atStart %v, %d bytes: the allocation's own bytes fault", atStart, n)
			}
			if err := g.release(mem); err != nil {
				t.Fatal(err)
			}
		}
		if len(g.maps) != 0 {
			t.Errorf("atStart %v: %d mappings left after releasing everything", atStart, len(g.maps))
		}
		if err := g.release(make([]byte, 8)); err == nil {
			t.Error("releasing memory the arena did not map succeeded")
		}
	}
}
