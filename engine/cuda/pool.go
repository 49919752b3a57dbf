//go:build cuda

package cuda

import (
	"math/bits"
	"sync"

	"github.com/mumax/3/cuda/cu"
)

// pool keeps freed device allocations for reuse, because cuMemAlloc and cuMemFree
// synchronize the device and cost far more than the small batched ops that follow them.
// Sizes are rounded up to a power of two (at least 256 bytes), so a request reuses any
// freed block of its class; the rounding wastes at most half of a block.
type pool struct {
	mu   sync.Mutex
	free map[int64][]cu.DevicePtr
}

func sizeClass(bytes int64) int64 {
	if bytes <= 256 {
		return 256
	}
	return 1 << bits.Len64(uint64(bytes-1))
}

// get returns a block of at least bytes. It must run with the backend's context current.
// When the device is out of memory it frees every cached block and tries once more.
func (p *pool) get(bytes int64) (cu.DevicePtr, int64, error) {
	class := sizeClass(bytes)
	p.mu.Lock()
	if list := p.free[class]; len(list) > 0 {
		ptr := list[len(list)-1]
		p.free[class] = list[:len(list)-1]
		p.mu.Unlock()
		return ptr, class, nil
	}
	p.mu.Unlock()
	var ptr cu.DevicePtr
	err := guard("cuMemAlloc", func() { ptr = cu.MemAlloc(class) })
	if err != nil {
		if rerr := p.release(); rerr != nil {
			return 0, 0, rerr
		}
		err = guard("cuMemAlloc", func() { ptr = cu.MemAlloc(class) })
	}
	return ptr, class, err
}

func (p *pool) put(ptr cu.DevicePtr, class int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.free == nil {
		p.free = map[int64][]cu.DevicePtr{}
	}
	p.free[class] = append(p.free[class], ptr)
}

// release frees every cached block. It must run with the backend's context current.
func (p *pool) release() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var first error
	for class, list := range p.free {
		for _, ptr := range list {
			if err := guard("cuMemFree", func() { cu.MemFree(ptr) }); err != nil && first == nil {
				first = err
			}
		}
		delete(p.free, class)
	}
	return first
}
