"""Arrays in, DLTensors out: NumPy arrays through their buffer, anything else through the
Python DLPack protocol (__dlpack_device__, then __dlpack__), borrowed for one call.

A capsule is renamed to "used_dltensor" ("used_dltensor_versioned") when it is taken, as the
protocol asks, and its deleter is called when the call ends. Nothing is copied unless the
caller asked for a conversion.
"""

import ctypes

import numpy as np

from . import _native
from ._errors import Error, INVALID_ARGUMENT, UNSUPPORTED

DL_CPU, DL_CUDA, DL_CUDA_HOST = 1, 2, 3
DL_FLOAT = 2
READ_ONLY = 1  # DLPACK_FLAG_BITMASK_READ_ONLY

_capsule_is_valid = ctypes.pythonapi.PyCapsule_IsValid
_capsule_is_valid.restype, _capsule_is_valid.argtypes = ctypes.c_int, [ctypes.py_object, ctypes.c_char_p]
_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype, _capsule_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
_capsule_rename = ctypes.pythonapi.PyCapsule_SetName
_capsule_rename.restype, _capsule_rename.argtypes = ctypes.c_int, [ctypes.py_object, ctypes.c_char_p]

# The names outlive every capsule: PyCapsule_SetName keeps the pointer, not a copy.
_LEGACY, _VERSIONED = b"dltensor", b"dltensor_versioned"
_USED_LEGACY, _USED_VERSIONED = b"used_dltensor", b"used_dltensor_versioned"
_TENSOR_OFFSET = _native.DLManagedTensorVersioned.dl_tensor.offset

_FLOAT_CODES = {np.dtype(np.float32): 32, np.dtype(np.float64): 64}


class Borrowed:
    """A DLTensor that describes a caller's array for the length of one call."""

    __slots__ = ("tensor", "shape", "_keep", "_release")

    def __init__(self, tensor, shape, keep, release=None):
        self.tensor, self.shape, self._keep, self._release = tensor, shape, keep, release

    def pointer(self):
        return ctypes.byref(self.tensor)

    def data(self):
        return self.tensor.data + self.tensor.byte_offset

    def release(self):
        if self._release is not None:
            release, self._release = self._release, None
            release()


def borrow(x, name, dtype, convert=False, writable=False):
    """Describes x as a host DLTensor of dtype. A NumPy array is used through its buffer; any
    other object through __dlpack__. A different dtype is an error unless convert is set."""
    dtype = np.dtype(dtype)
    if isinstance(x, np.ndarray):
        return _from_numpy(x, name, dtype, convert, writable)
    if hasattr(x, "__dlpack__"):
        b = _from_capsule(x, name, writable)
        got = (b.tensor.dtype.code, b.tensor.dtype.bits)
        if got == (DL_FLOAT, _FLOAT_CODES[dtype]) or not convert:
            return b  # the library reports a dtype it does not take
        b.release()
        return _from_numpy(np.asarray(x), name, dtype, convert, writable)
    if convert or np.isscalar(x) or isinstance(x, (list, tuple)):
        try:
            a = np.asarray(x, dtype=dtype)
        except (TypeError, ValueError) as e:  # a ragged list, or values that are not numbers
            raise Error(INVALID_ARGUMENT, "%s: not an array: %s" % (name, e)) from e
        return _from_numpy(a, name, dtype, convert, writable)
    raise Error(INVALID_ARGUMENT, "%s: a %s is neither a NumPy array nor a DLPack tensor" % (name, type(x).__name__))


def _from_numpy(a, name, dtype, convert, writable):
    if a.dtype != dtype:
        if not convert:
            raise Error(INVALID_ARGUMENT, "%s has dtype %s, want %s (pass convert=True to convert)" % (name, a.dtype, dtype))
        a = a.astype(dtype)
    if not a.dtype.isnative:
        raise Error(INVALID_ARGUMENT, "%s has a non-native byte order; convert it with .astype(%s)" % (name, dtype))
    if writable and not a.flags.writeable:
        raise Error(INVALID_ARGUMENT, "%s is read-only, and fluxcore writes the result into it" % name)
    item = a.itemsize
    if any(s < 0 or s % item for s in a.strides):
        if not convert:
            raise Error(INVALID_ARGUMENT, "%s has strides %s (bytes), which are negative or not whole elements; "
                        "pass a copy, or convert=True" % (name, a.strides))
        a = np.ascontiguousarray(a)
    ndim = a.ndim
    shape = (ctypes.c_int64 * ndim)(*a.shape)
    strides = None if a.flags.c_contiguous else (ctypes.c_int64 * ndim)(*[s // item for s in a.strides])
    t = _native.DLTensor()
    t.data = a.__array_interface__["data"][0]
    t.device.device_type = DL_CPU
    t.ndim = ndim
    t.dtype.code, t.dtype.bits, t.dtype.lanes = DL_FLOAT, item * 8, 1
    t.shape = shape
    if strides is not None:
        t.strides = strides
    return Borrowed(t, a.shape, (a, shape, strides))


def borrow_int32(a, name):
    """Describes a compact, writable int32 NumPy array (the Kalman statuses)."""
    if a.dtype != np.int32 or not a.flags.c_contiguous or not a.flags.writeable:
        raise Error(INVALID_ARGUMENT, "%s must be a compact, writable int32 array" % name)
    shape = (ctypes.c_int64 * a.ndim)(*a.shape)
    t = _native.DLTensor()
    t.data = a.__array_interface__["data"][0]
    t.device.device_type, t.ndim, t.shape = DL_CPU, a.ndim, shape
    t.dtype.code, t.dtype.bits, t.dtype.lanes = 0, 32, 1  # kDLInt
    return Borrowed(t, a.shape, (a, shape))


def _dlpack_capsule(x, name):
    try:
        device_type, _ = x.__dlpack_device__()
    except Exception as e:
        raise Error(INVALID_ARGUMENT, "%s: __dlpack_device__ failed: %s" % (name, e)) from e
    if device_type == DL_CUDA:
        raise Error(UNSUPPORTED, "%s is on a CUDA device, which this version does not take; pass host memory (x.cpu())" % name)
    stream = None  # host memory, and the CPU backend, need no stream
    try:
        try:
            return x.__dlpack__(stream=stream, max_version=(1, 0))
        except TypeError:  # producers before the versioned protocol (NumPy < 2.1, PyTorch < 2.4)
            return x.__dlpack__()
    except Exception as e:  # a tensor that requires grad, a dtype DLPack cannot describe, ...
        raise Error(INVALID_ARGUMENT, "%s: __dlpack__ failed: %s" % (name, e)) from e


def _from_capsule(x, name, writable):
    capsule = _dlpack_capsule(x, name)
    if _capsule_is_valid(capsule, _VERSIONED):
        address = _capsule_pointer(capsule, _VERSIONED)
        managed = _native.DLManagedTensorVersioned.from_address(address)
        _capsule_rename(capsule, _USED_VERSIONED)
        release = _deleter(managed, _native.DLManagedTensorVersioned, address)
        if managed.version.major != 1:
            release()
            raise Error(UNSUPPORTED, "%s: DLPack version %d.%d, want 1.x" % (name, managed.version.major, managed.version.minor))
        if writable and managed.flags & READ_ONLY:
            release()
            raise Error(INVALID_ARGUMENT, "%s is read-only (DLPack flags), and fluxcore writes the result into it" % name)
        tensor = _native.DLTensor.from_address(address + _TENSOR_OFFSET)
    elif _capsule_is_valid(capsule, _LEGACY):
        address = _capsule_pointer(capsule, _LEGACY)
        managed = _native.DLManagedTensor.from_address(address)
        _capsule_rename(capsule, _USED_LEGACY)
        release = _deleter(managed, _native.DLManagedTensor, address)
        tensor = managed.dl_tensor
    else:
        raise Error(INVALID_ARGUMENT, "%s: __dlpack__ returned no 'dltensor' or 'dltensor_versioned' capsule" % name)
    shape = tuple(tensor.shape[i] for i in range(tensor.ndim))
    return Borrowed(tensor, shape, (x, capsule), release)


def _deleter(managed, struct, address):
    def release():
        if managed.deleter:
            managed.deleter(ctypes.cast(address, ctypes.POINTER(struct)))
    return release


def like_input(y, x):
    """Returns y (a NumPy array) in x's framework when x came in through DLPack and its module
    offers from_dlpack: a PyTorch tensor for a PyTorch input, sharing y's memory."""
    if isinstance(x, np.ndarray) or not hasattr(x, "__dlpack__"):
        return y
    import sys
    module = sys.modules.get(type(x).__module__.split(".")[0])
    from_dlpack = getattr(module, "from_dlpack", None)
    return from_dlpack(y) if from_dlpack is not None else y
