"""fluxcore: FNO inference with exact BOON boundary conditions, over libfluxcore's C ABI.

    import fluxcore
    eng = fluxcore.Engine(device="auto")
    m = eng.load_fno("model.safetensors")
    y = m(x)                                    # x: (batch, *grid, channels)
    y = m(x, bc="dirichlet", left=l, right=r)

Every failure raises fluxcore.Error. Calls release the GIL. The library does not survive
fork(): in a forked child every call raises Error(FORKED); use multiprocessing's "spawn".
"""

import ctypes
import json
import os
import pathlib
import threading

import numpy as np

from . import _dlpack
from ._errors import (BUSY, CANCELLED, DEVICE, FORKED, INTERNAL, INVALID_ARGUMENT, IO, OK, OUT_OF_MEMORY,
                      UNSUPPORTED, Error)
from ._native import ABI_VERSION, lib as _lib

__all__ = ["Engine", "FNO", "ConserveProblem", "KalmanBatch", "Planner", "Error", "version", "ABI_VERSION", "OK", "INVALID_ARGUMENT", "OUT_OF_MEMORY", "IO",
           "UNSUPPORTED", "DEVICE", "CANCELLED", "INTERNAL", "BUSY", "FORKED"]


def version():
    """The native library's version string."""
    return _lib.fluxcore_version().decode()


def _check(status):
    if status != OK:
        raise Error(status, _lib.fluxcore_last_error().decode(errors="replace"))


def _float_dtype(value):
    """The element type of a call: float32 for float32 input (a NumPy array or any tensor whose
    dtype names float32, as torch.float32 does), float64 for anything else."""
    dtype = getattr(value, "dtype", None)
    if dtype is not None and not isinstance(dtype, np.dtype):
        dtype = str(dtype).rpartition(".")[2]  # "torch.float32" -> "float32"
    return np.dtype(np.float32) if dtype == "float32" else np.dtype(np.float64)


class _Borrowed:
    """The tensors one call borrows, released when the call ends: `with _Borrowed() as b:`."""

    def __init__(self):
        self._held = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for t in self._held:
            t.release()

    def keep(self, borrowed):
        self._held.append(borrowed)
        return borrowed

    def pointer(self, value, name, dtype, *, writable=False, convert=False):
        """A pointer to value's DLTensor as dtype, or None for None."""
        if value is None:
            return None
        return ctypes.pointer(self.keep(_dlpack.borrow(value, name, dtype, convert, writable)).tensor)


def _array(value, name):
    """np.asarray that fails with fluxcore.Error (a ragged list, an object NumPy cannot read)."""
    try:
        return np.asarray(value)
    except (TypeError, ValueError) as e:
        raise Error(INVALID_ARGUMENT, "%s: not an array: %s" % (name, e)) from e


def _dumps(value, name):
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as e:
        raise Error(INVALID_ARGUMENT, "%s: not JSON: %s" % (name, e)) from e


def _utf8(text):
    return text if isinstance(text, bytes) else text.encode()


def _json(fn, handle):
    size = ctypes.c_size_t()
    buf = ctypes.create_string_buffer(4096)
    if fn(handle, buf, len(buf), ctypes.byref(size)) != OK and size.value >= len(buf):
        buf = ctypes.create_string_buffer(size.value + 1)
        _check(fn(handle, buf, len(buf), ctypes.byref(size)))
    return json.loads(buf.value)


class _Handle:
    """Owns one library object; close() (or the end of a with block) destroys it."""

    _destroy = None

    def __init__(self, handle):
        self._h = handle

    def close(self):
        h, self._h = self._h, 0
        if h:
            _check(type(self)._destroy(h))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # a forked child, or an interpreter shutting down
            pass

    def _handle(self):
        if not self._h:
            raise Error(INVALID_ARGUMENT, "%s is closed" % type(self).__name__)
        return self._h


class Engine(_Handle):
    """Where computations run: device "auto", "cpu", "cuda" or "cuda:N"; cpu_variant "auto",
    "generic", "avx2" or "avx512"; memory_budget in bytes (0: 2 GiB); threads (0: every core).
    An engine may be used from many threads at once."""

    _destroy = _lib.fluxcore_engine_destroy

    def __init__(self, device="auto", cpu_variant=None, memory_budget=0, threads=0):
        opts = _native_options(device, cpu_variant, memory_budget, threads)
        h = ctypes.c_uint64()
        _check(_lib.fluxcore_engine_create(ctypes.byref(opts), ctypes.byref(h)))
        super().__init__(h.value)

    def info(self):
        """What `fluxcore info --json` prints: the backend, the device, the CPU variant and why."""
        return _json(_lib.fluxcore_engine_info_json, self._handle())

    def conserve(self, mean, G, b, *, var=None, cov=None, ensemble=None, noise_var=0.0):
        """ProbConserv's update of Gaussian estimates under the linear constraints G u = b
        (Hansen et al., ICML 2023): conserve_problem(G, b, noise_var).update(mean, ...) for
        one call. Returns (mean, var), (mean, cov) or (mean, ensemble) by the covariance form
        given; float64 stays float64."""
        with self.conserve_problem(G, b, noise_var=noise_var) as p:
            return p.update(mean, var=var, cov=cov, ensemble=ensemble)

    def conserve_problem(self, G, b, *, noise_var=0.0):
        """The constraints G u = b (G (C, N) or (slices, C, N), b (C,) or (slices, C)) with noise
        variance noise_var, to update many batches of estimates with."""
        h = ctypes.c_uint64()
        with _Borrowed() as call:
            g, bt = call.pointer(G, "G", _float_dtype(G)), call.pointer(b, "b", _float_dtype(b))
            _check(_lib.fluxcore_conserve_create(self._handle(), g, bt, float(noise_var), ctypes.byref(h)))
        return ConserveProblem(self, h.value)

    def kalman(self, x, P):
        """A batch of Kalman filters starting from x (F, nx) and P (F, nx, nx), float32 or
        float64; see KalmanBatch."""
        dtype = _float_dtype(x)
        h = ctypes.c_uint64()
        with _Borrowed() as call:
            xt, pt = call.pointer(x, "x", dtype), call.pointer(P, "P", dtype)
            _check(_lib.fluxcore_kalman_create(self._handle(), xt, pt, ctypes.byref(h)))
        return KalmanBatch(self, h.value, dtype, np.shape(x), np.shape(P))

    def kalman_update(self, x, P, z, H, R):
        """One measurement update (Joseph form) of a batch of filters: x (F, nx), P (F, nx, nx),
        z (F, nz), H (nz, nx) or (F, nz, nx), R (nz, nz) or (F, nz, nz), all float32 or all
        float64. Returns (x, P, status): status[i] is 0, or 1 where H P Hᵀ + R was not
        positive definite and filter i was left unchanged."""
        with self.kalman(x, P) as k:
            status = k.update(z, H, R)
            return k.state() + (status,)

    def planner(self, config=None):
        """A risk-aware local planner. config is a dict (or JSON text) with any of candidates,
        segments, seed, accurate, warm_fraction, warm_spread, cycle_s, top_k, refine_stages."""
        text = config if isinstance(config, (str, bytes)) else _dumps(config or {}, "config")
        h = ctypes.c_uint64()
        _check(_lib.fluxcore_planner_create(self._handle(), _utf8(text), ctypes.byref(h)))
        return Planner(self, h.value)

    def load_fno(self, path):
        """Loads an FNO checkpoint (safetensors; the reference, BOON and neuraloperator layouts)."""
        h = ctypes.c_uint64()
        _check(_lib.fluxcore_fno_load(self._handle(), str(path).encode(), ctypes.byref(h)))
        return FNO(self, h.value)


def _native_options(device, cpu_variant, memory_budget, threads):
    from ._native import EngineOptions
    opts = EngineOptions()
    opts.struct_size = ctypes.sizeof(EngineOptions)
    opts.device = (device or "").encode()
    opts.cpu_variant = (cpu_variant or "").encode()
    opts.memory_budget_bytes = int(memory_budget)
    opts.threads = int(threads)
    return opts


_F32 = np.dtype(np.float32)  # native float32; arrays' dtypes are this very object
_BOUNDARY_ARGS = frozenset(("left", "right", "top", "down", "flux_left", "flux_right", "stencil_left", "stencil_right",
                            "output_only"))
_BC_KINDS = {None: 0, "model": 0, "dirichlet": 1, "neumann": 2, "periodic": 3}


class FNO(_Handle):
    """A loaded FNO. Calling it runs inference: x is (batch, *grid, in_channels) float32,
    channels-last; the result is (batch, *grid, out_channels). A model may be called from
    many threads at once."""

    _destroy = _lib.fluxcore_fno_destroy

    def __init__(self, engine, handle):
        super().__init__(handle)
        self.engine = engine  # an engine outlives its models
        self._info = _json(_lib.fluxcore_fno_info_json, handle)
        self.dims = self._info["dims"]
        self.in_channels = self._info["in_channels"]
        self.out_channels = self._info["out_channels"]
        self.boon = self._info["boon"] or None
        self._local = threading.local()

    def info(self):
        return dict(self._info)

    def __call__(self, x, bc=None, *, out=None, convert=False, **boundary):
        """Runs the model on x.

        bc: None (the condition a BOON checkpoint was trained with; none for a plain FNO),
        "dirichlet" (left, right: the values on the first axis' faces, and top, down on the
        second's for a 3-D model), "neumann" (flux_left, flux_right: fluxes, 0 when omitted;
        stencil_left/right: the one-sided stencils) or "periodic". Face data is a number or an
        array of shape (batch, *grid[1:]). output_only=True imposes the condition on the output
        alone. out: a float32 array to write into. convert: convert x's dtype to float32
        instead of refusing it."""
        if bc is None and not boundary and type(x) is np.ndarray and (out is None or type(out) is np.ndarray):
            # The common call, arrays in and out, takes DLTensors built once per shape and thread.
            try:
                cache = self._local.tensors
            except AttributeError:
                cache = self._local.tensors = {}
            entry = cache.get((x.shape, x.strides)) if x.dtype is _F32 else None
            if entry is None and x.dtype is _F32 and len(x.shape) == self.dims + 2:
                if len(cache) >= 16:
                    cache.clear()
                entry = cache[(x.shape, x.strides)] = _FastTensors(x, self.out_channels)
            if entry is not None and entry.usable:
                y = np.empty(entry.out_shape, _F32) if out is None else out
                if y.dtype is _F32 and y.shape == entry.out_shape and y.flags.c_contiguous and y.flags.writeable:
                    entry.x.data = x.__array_interface__["data"][0]
                    entry.y.data = y.__array_interface__["data"][0]
                    status = _lib.fluxcore_fno_forward(self._h or self._handle(), entry.x_ref, None, entry.y_ref, None)
                    if status != OK:
                        _check(status)
                    return y
        unknown = set(boundary) - _BOUNDARY_ARGS
        if unknown:
            raise TypeError("FNO() got unexpected keyword arguments %s; the boundary ones are %s"
                            % (sorted(unknown), sorted(_BOUNDARY_ARGS)))
        faces = dict.fromkeys(_BOUNDARY_ARGS)
        faces.update(boundary)
        with _Borrowed() as call:
            xb = call.keep(_dlpack.borrow(x, "x", np.float32, convert))
            shape = tuple(xb.shape)
            if len(shape) != self.dims + 2:
                raise Error(INVALID_ARGUMENT, "x has shape %s, want (batch, %d grid axes, %d)" % (shape, self.dims, self.in_channels))
            bcs = self._boundary(bc, shape, call, **faces)
            y = np.empty(shape[:-1] + (self.out_channels,), np.float32) if out is None else out
            yt = call.pointer(y, "out", np.float32, writable=True)
            _check(_lib.fluxcore_fno_forward(self._handle(), xb.pointer(), bcs, yt, None))
        return y if out is not None else _dlpack.like_input(y, x)

    def _boundary(self, bc, shape, call, **faces):
        kind = _BC_KINDS.get(bc if bc is None else str(bc).lower())
        if kind is None:
            raise Error(INVALID_ARGUMENT, "bc=%r, want None, 'dirichlet', 'neumann' or 'periodic'" % (bc,))
        given = {k: v for k, v in faces.items() if v is not None and v is not False}
        if kind == 0 and not given:
            return None
        from ._native import FNOBoundary
        b = FNOBoundary()
        b.struct_size = ctypes.sizeof(FNOBoundary)
        b.kind = kind
        b.output_only = int(bool(faces["output_only"]))
        batch, grid = shape[0], shape[1:-1]
        x_face = (batch,) + grid[1:]
        y_face = (batch, grid[0]) + grid[2:] if len(grid) > 1 else None
        pairs = [("left", "left", x_face), ("right", "right", x_face), ("top", "top", y_face),
                 ("down", "down", y_face), ("flux_left", "left", x_face), ("flux_right", "right", x_face)]
        for arg, field, face_shape in pairs:
            v = faces[arg]
            if v is None:
                continue
            if np.isscalar(v):
                v = np.full(face_shape, v, np.float32)
            setattr(b, field, call.pointer(v, arg, np.float32))
        for arg in ("stencil_left", "stencil_right"):
            if faces[arg] is not None:
                s = np.ascontiguousarray(faces[arg], dtype=np.float64)
                call.keep(_dlpack.Borrowed(None, s.shape, s))
                setattr(b, arg, s.ctypes.data_as(ctypes.POINTER(ctypes.c_double)))
                setattr(b, arg + "_len", s.size)
        return ctypes.byref(b)


class _FastTensors:
    """The input and output DLTensors of one input shape and stride, reused call after call."""

    def __init__(self, x, out_channels):
        try:
            borrowed = _dlpack.borrow(x, "x", np.float32)  # the same checks as the general path
        except Error:
            self.usable = False  # the general path reports it, or converts when asked
            return
        self.usable = True
        self.x, self._keep = borrowed.tensor, borrowed
        self.out_shape = tuple(x.shape[:-1]) + (out_channels,)
        self._y = np.empty(self.out_shape, np.float32)
        self._y_borrowed = _dlpack.borrow(self._y, "out", np.float32, writable=True)
        self.y = self._y_borrowed.tensor
        self.x_ref, self.y_ref = ctypes.byref(self.x), ctypes.byref(self.y)


class Planner(_Handle):
    """One robot's planner: plan() runs a cycle on a scenario (a dict, JSON text or a path
    to a JSON file, in `fluxcore plan`'s schema) and returns the result as a dict (the schema
    of `fluxcore plan --out`). Its warm start carries from cycle to cycle."""

    _destroy = _lib.fluxcore_planner_destroy

    def __init__(self, engine, handle):
        super().__init__(handle)
        self.engine = engine

    def plan(self, scenario):
        if isinstance(scenario, dict):
            text = _dumps(scenario, "scenario")
        elif isinstance(scenario, os.PathLike) or (isinstance(scenario, str) and not scenario.lstrip().startswith("{")):
            try:
                text = pathlib.Path(scenario).read_bytes()
            except OSError as e:
                raise Error(IO, "scenario: %s" % e) from e
        else:
            text = scenario  # JSON text
        size = ctypes.c_size_t()
        buf = ctypes.create_string_buffer(1 << 16)
        status = _lib.fluxcore_planner_plan(self._handle(), _utf8(text), buf, len(buf), ctypes.byref(size))
        if status != OK and size.value >= len(buf):  # planned; the result did not fit
            buf = ctypes.create_string_buffer(size.value + 1)
            status = _lib.fluxcore_planner_last_result(self._handle(), buf, len(buf), ctypes.byref(size))
        _check(status)
        return json.loads(buf.value)


class ConserveProblem(_Handle):
    """ProbConserv constraints; update() applies them to a batch of estimates. Many threads
    may update with one problem at once."""

    _destroy = _lib.fluxcore_conserve_destroy

    def __init__(self, engine, handle):
        super().__init__(handle)
        self.engine = engine

    def update(self, mean, *, var=None, cov=None, ensemble=None):
        """mean (N,) or (slices, N) and one covariance form: var (diagonal), cov
        ((slices, N, N)) or ensemble ((slices, N, members), var then an extra diagonal).
        Returns (mean, var), (mean, cov) or (mean, ensemble)."""
        from ._native import ConserveArgs
        mean_a = _array(mean, "mean")
        dtype = _float_dtype(mean_a)
        shape = mean_a.shape
        outs = {"mean_out": np.empty(shape, dtype)}
        if cov is not None:
            second = "cov_out"
            outs[second] = np.empty(shape + shape[-1:], dtype)
        elif ensemble is not None:
            second = "ensemble_out"
            outs[second] = np.empty(np.shape(ensemble), dtype)
        else:
            second = "var_out"
            outs[second] = np.empty(shape, dtype)
        a = ConserveArgs()
        a.struct_size = ctypes.sizeof(ConserveArgs)
        with _Borrowed() as call:
            inputs = dict(mean=mean_a, var=var, cov=cov, ensemble=ensemble)
            for name, value in inputs.items():
                setattr(a, name, call.pointer(value, name, dtype))
            for name, value in outs.items():
                setattr(a, name, call.pointer(value, name, dtype, writable=True))
            _check(_lib.fluxcore_conserve_update(self._handle(), ctypes.byref(a)))
        return outs["mean_out"], outs[second]


class KalmanBatch(_Handle):
    """A batch of Kalman filters whose state stays in the library between steps:
    predict(F, Q), update(z, H, R) -> status, state() -> (x, P). One call at a time."""

    _destroy = _lib.fluxcore_kalman_destroy

    def __init__(self, engine, handle, dtype, x_shape, p_shape):
        super().__init__(handle)
        self.engine, self.dtype, self._x_shape, self._p_shape = engine, dtype, tuple(x_shape), tuple(p_shape)

    def predict(self, F, Q):
        """x = F x, P = F P Fᵀ + Q; F and Q (nx, nx) shared or (filters, nx, nx)."""
        with _Borrowed() as call:
            f, q = call.pointer(F, "F", self.dtype), call.pointer(Q, "Q", self.dtype)
            _check(_lib.fluxcore_kalman_predict(self._handle(), f, q))

    def update(self, z, H, R):
        """The Joseph-form update with z (filters, nz); returns each filter's status (0, or 1
        where H P Hᵀ + R was not positive definite and the filter was left unchanged)."""
        status = np.empty(self._x_shape[:1], np.int32)
        with _Borrowed() as call:
            zt, ht, rt = (call.pointer(v, n, self.dtype) for v, n in ((z, "z"), (H, "H"), (R, "R")))
            st = ctypes.pointer(call.keep(_dlpack.borrow_int32(status, "status")).tensor)
            _check(_lib.fluxcore_kalman_update(self._handle(), zt, ht, rt, st))
        return status

    def state(self):
        """(x, P) as arrays of the batch's dtype."""
        x, P = np.empty(self._x_shape, self.dtype), np.empty(self._p_shape, self.dtype)
        with _Borrowed() as call:
            xt, pt = call.pointer(x, "x_out", self.dtype, writable=True), call.pointer(P, "P_out", self.dtype, writable=True)
            _check(_lib.fluxcore_kalman_state(self._handle(), xt, pt))
        return x, P
