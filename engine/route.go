package engine

import (
	"context"
	"fmt"
	"reflect"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/cpu"
)

// routed runs each op on the chosen backend where that backend supports it, and otherwise on
// the host CPU backend, copying the op's buffers to the host and back: a backend without an
// op falls back for that op alone. The copies cost two transfers of every buffer the op
// touches, which is why Info lists the ops that take this path.
type routed struct {
	backend.Backend // the chosen backend
	host            *cpu.Backend
	missing         map[backend.Op]string // ops the chosen backend lacks, and why
}

// route wraps primary when it lacks ops that host runs; it returns primary itself when it
// lacks none, and the reasons per op otherwise.
func route(primary backend.Backend, host *cpu.Backend) (backend.Backend, map[backend.Op]string) {
	if primary == backend.Backend(host) {
		return primary, nil
	}
	missing := map[backend.Op]string{}
	for _, op := range backend.AllOps {
		if err := backend.Supports(primary, op, 0); err != nil {
			missing[op] = err.Error()
		}
	}
	if len(missing) == 0 {
		return primary, nil
	}
	return &routed{Backend: primary, host: host, missing: missing}, missing
}

// lacks reports whether op runs on the host rather than the chosen backend.
func (r *routed) lacks(op backend.Op) bool {
	_, missing := r.missing[op]
	return missing
}

var bufferType = reflect.TypeFor[backend.Buffer]()

// onHost runs run with every Buffer in *args (a struct, searched through nested structs
// and pointers to them) replaced by a host copy, then copies each back, since the op may
// have written any of them.
func (r *routed) onHost(ctx context.Context, args any, run func() error) error {
	type pair struct{ primary, host backend.Buffer }
	var pairs []pair
	defer func() {
		for _, p := range pairs {
			r.host.Free(p.host)
		}
	}()
	copies := map[backend.Buffer]backend.Buffer{}
	err := replaceBuffers(reflect.ValueOf(args).Elem(), func(b backend.Buffer) (backend.Buffer, error) {
		if h, ok := copies[b]; ok {
			return h, nil
		}
		h, err := r.toHost(ctx, b)
		if err != nil {
			return nil, err
		}
		copies[b] = h
		pairs = append(pairs, pair{b, h})
		return h, nil
	})
	if err != nil {
		return err
	}
	if err := run(); err != nil {
		return err
	}
	for _, p := range pairs {
		data := make([]byte, p.host.Len()*p.host.DType().Size())
		if err := r.host.Download(ctx, data, p.host); err != nil {
			return err
		}
		if err := r.Backend.Upload(ctx, p.primary, data); err != nil {
			return err
		}
	}
	return nil
}

// toHost allocates a host buffer holding a copy of b.
func (r *routed) toHost(ctx context.Context, b backend.Buffer) (backend.Buffer, error) {
	data := make([]byte, b.Len()*b.DType().Size())
	if err := r.Backend.Download(ctx, data, b); err != nil {
		return nil, fmt.Errorf("engine: fall back to the host: %w", err)
	}
	h, err := r.host.Alloc(b.DType(), b.Len())
	if err != nil {
		return nil, fmt.Errorf("engine: fall back to the host: %w", err)
	}
	if err := r.host.Upload(ctx, h, data); err != nil {
		r.host.Free(h)
		return nil, err
	}
	return h, nil
}

// replaceBuffers sets every non-nil Buffer reachable from v to swap's result.
func replaceBuffers(v reflect.Value, swap func(backend.Buffer) (backend.Buffer, error)) error {
	switch {
	case v.Type() == bufferType:
		if v.IsNil() {
			return nil
		}
		h, err := swap(v.Interface().(backend.Buffer))
		if err != nil {
			return err
		}
		v.Set(reflect.ValueOf(&h).Elem())
	case v.Kind() == reflect.Pointer && !v.IsNil() && v.Elem().Kind() == reflect.Struct:
		// Copy the pointee, so that the caller's struct keeps its own buffers.
		c := reflect.New(v.Elem().Type())
		c.Elem().Set(v.Elem())
		v.Set(c)
		return replaceBuffers(c.Elem(), swap)
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				if err := replaceBuffers(f, swap); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Each op: the chosen backend's unless it lacks it.

func (r *routed) SpectralMix(ctx context.Context, out, in, w backend.Buffer, s backend.MixShape) error {
	if !r.lacks(backend.OpSpectralMix) {
		return r.Backend.SpectralMix(ctx, out, in, w, s)
	}
	a := struct{ Out, In, W backend.Buffer }{out, in, w}
	return r.onHost(ctx, &a, func() error { return r.host.SpectralMix(ctx, a.Out, a.In, a.W, s) })
}

func (r *routed) Gemm(ctx context.Context, g backend.Gemm) error {
	if !r.lacks(backend.OpGemm) {
		return r.Backend.Gemm(ctx, g)
	}
	return r.onHost(ctx, &g, func() error { return r.host.Gemm(ctx, g) })
}

func (r *routed) MLP(ctx context.Context, p backend.MLP) error {
	if !r.lacks(backend.OpMLP) {
		return r.Backend.MLP(ctx, p)
	}
	return r.onHost(ctx, &p, func() error { return r.host.MLP(ctx, p) })
}

func (r *routed) ComplexCombine(ctx context.Context, z, p backend.Buffer, s backend.CombineShape) error {
	if !r.lacks(backend.OpComplexCombine) {
		return r.Backend.ComplexCombine(ctx, z, p, s)
	}
	a := struct{ Z, P backend.Buffer }{z, p}
	return r.onHost(ctx, &a, func() error { return r.host.ComplexCombine(ctx, a.Z, a.P, s) })
}

func (r *routed) CopyBox(ctx context.Context, dst, src backend.Buffer, bx backend.Box) error {
	if !r.lacks(backend.OpCopyBox) {
		return r.Backend.CopyBox(ctx, dst, src, bx)
	}
	a := struct{ Dst, Src backend.Buffer }{dst, src}
	return r.onHost(ctx, &a, func() error { return r.host.CopyBox(ctx, a.Dst, a.Src, bx) })
}

func (r *routed) Activate(ctx context.Context, x backend.Matrix, batch int, act backend.Activation) error {
	if !r.lacks(backend.OpActivate) {
		return r.Backend.Activate(ctx, x, batch, act)
	}
	return r.onHost(ctx, &x, func() error { return r.host.Activate(ctx, x, batch, act) })
}

func (r *routed) NewFFT(s backend.FFTShape) (backend.FFT, error) {
	if !r.lacks(backend.OpNewFFT) {
		return r.Backend.NewFFT(s)
	}
	f, err := r.host.NewFFT(s)
	if err != nil {
		return nil, err
	}
	return &routedFFT{r: r, FFT: f}, nil
}

// routedFFT is a host FFT plan run on the chosen backend's buffers.
type routedFFT struct {
	r *routed
	backend.FFT
}

func (f *routedFFT) Forward(ctx context.Context, spectrum, grid backend.Buffer) error {
	a := struct{ Spectrum, Grid backend.Buffer }{spectrum, grid}
	return f.r.onHost(ctx, &a, func() error { return f.FFT.Forward(ctx, a.Spectrum, a.Grid) })
}

func (f *routedFFT) Inverse(ctx context.Context, grid, spectrum backend.Buffer) error {
	a := struct{ Grid, Spectrum backend.Buffer }{grid, spectrum}
	return f.r.onHost(ctx, &a, func() error { return f.FFT.Inverse(ctx, a.Grid, a.Spectrum) })
}

func (r *routed) GatherModes(ctx context.Context, dst, src backend.Buffer, g backend.Gather) error {
	if !r.lacks(backend.OpGatherModes) {
		return r.Backend.GatherModes(ctx, dst, src, g)
	}
	a := struct {
		Dst, Src backend.Buffer
		G        backend.Gather
	}{dst, src, g}
	return r.onHost(ctx, &a, func() error { return r.host.GatherModes(ctx, a.Dst, a.Src, a.G) })
}

func (r *routed) Faces(ctx context.Context, f backend.Faces) error {
	if !r.lacks(backend.OpFaces) {
		return r.Backend.Faces(ctx, f)
	}
	return r.onHost(ctx, &f, func() error { return r.host.Faces(ctx, f) })
}

func (r *routed) AddScaled(ctx context.Context, dst, src backend.Buffer, scale float32) error {
	if !r.lacks(backend.OpAddScaled) {
		return r.Backend.AddScaled(ctx, dst, src, scale)
	}
	a := struct{ Dst, Src backend.Buffer }{dst, src}
	return r.onHost(ctx, &a, func() error { return r.host.AddScaled(ctx, a.Dst, a.Src, scale) })
}

func (r *routed) Conserve(ctx context.Context, c backend.Conserve) error {
	if !r.lacks(backend.OpConserve) {
		return r.Backend.Conserve(ctx, c)
	}
	return r.onHost(ctx, &c, func() error { return r.host.Conserve(ctx, c) })
}

func (r *routed) Kalman(ctx context.Context, k backend.Kalman) error {
	if !r.lacks(backend.OpKalman) {
		return r.Backend.Kalman(ctx, k)
	}
	return r.onHost(ctx, &k, func() error { return r.host.Kalman(ctx, k) })
}

func (r *routed) CollisionProb(ctx context.Context, c backend.CollisionProb) error {
	if !r.lacks(backend.OpCollisionProb) {
		return r.Backend.CollisionProb(ctx, c)
	}
	return r.onHost(ctx, &c, func() error { return r.host.CollisionProb(ctx, c) })
}

func (r *routed) TrajScore(ctx context.Context, s backend.TrajScore) error {
	if !r.lacks(backend.OpTrajScore) {
		return r.Backend.TrajScore(ctx, s)
	}
	return r.onHost(ctx, &s, func() error { return r.host.TrajScore(ctx, s) })
}

func (r *routed) TrajSample(ctx context.Context, s backend.TrajSample) error {
	if !r.lacks(backend.OpTrajSample) {
		return r.Backend.TrajSample(ctx, s)
	}
	return r.onHost(ctx, &s, func() error { return r.host.TrajSample(ctx, s) })
}

func (r *routed) TrajSelect(ctx context.Context, s backend.TrajSelect) error {
	if !r.lacks(backend.OpTrajSelect) {
		return r.Backend.TrajSelect(ctx, s)
	}
	return r.onHost(ctx, &s, func() error { return r.host.TrajSelect(ctx, s) })
}
