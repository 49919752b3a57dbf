// Package backend defines what every compute backend of fluxcore provides: memory it owns
// and a small set of batched operations over that memory. The CPU backend (engine/cpu) and
// the CUDA backend (engine/cuda) implement it; engine.Open picks one.
//
// The package imports neither backend, so both can depend on it and the engine can depend on
// both without a cycle. Operations take whole batches: data crosses the Go/C boundary once
// per call, never once per element.
package backend

import (
	"context"
	"time"
)

// Kind says which family a backend belongs to.
type Kind string

const (
	KindCPU  Kind = "cpu"
	KindCUDA Kind = "cuda"
)

// Buffer is memory owned by one backend: host memory for the CPU backend, device memory for
// CUDA. A Buffer may only be passed to the backend that allocated it.
type Buffer interface {
	DType() DType
	// Len is the number of elements.
	Len() int
}

// Backend is the set of batched operations a device provides. Every method is safe for
// concurrent use; operations may be asynchronous with respect to the host, and Download and
// Synchronize wait for the work queued before them.
type Backend interface {
	// Kind is the backend family; Name identifies the instance, e.g. "cpu/avx2" or "cuda:0".
	Kind() Kind
	Name() string

	// Alloc returns an uninitialized buffer of n elements of type dt.
	Alloc(dt DType, n int) (Buffer, error)
	// Free returns a buffer to the backend. Using it afterwards is an error.
	Free(buf Buffer) error
	// Upload copies host bytes into dst; len(src) must equal dst's size in bytes.
	Upload(ctx context.Context, dst Buffer, src []byte) error
	// Download copies src into host bytes; len(dst) must equal src's size in bytes.
	Download(ctx context.Context, dst []byte, src Buffer) error

	// SpectralMix computes the complex channel mixing of a Fourier layer,
	//   out[b,o,k] = Σ_i in[b,i,k] · w[i,o,k],
	// on complex64 buffers of lengths B·I·K (in), I·O·K (w) and B·O·K (out), row-major with
	// k innermost. out must not alias in or w.
	SpectralMix(ctx context.Context, out, in, w Buffer, shape MixShape) error

	Dense
	Spectra
	Boundaries
	Covariance
	Planning

	// Synchronize waits until all queued work has finished.
	Synchronize(ctx context.Context) error
	// Close releases every resource of the backend; buffers become invalid.
	Close() error
}

// DeviceTimer is implemented by backends that can time queued work on the device itself
// (CUDA events), which excludes host launch overhead that a wall clock would include.
type DeviceTimer interface {
	// TimeDevice runs queue, which must only enqueue work, and returns the device time
	// between just before and just after what it queued.
	TimeDevice(ctx context.Context, queue func() error) (time.Duration, error)
}
