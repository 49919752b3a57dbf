"""The C ABI through ctypes: where libfluxcore is found, and its structs and prototypes.

The structs mirror bindings/include/fluxcore.h (and so dlpack.h) field by field. ctypes.CDLL
releases the GIL for the length of every call into the library.
"""

import ctypes
import os
import pathlib

ABI_VERSION = 2
_SONAME = "libfluxcore.so.%d" % ABI_VERSION


class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("device", DLDevice),
        ("ndim", ctypes.c_int32),
        ("dtype", DLDataType),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)),
        ("byte_offset", ctypes.c_uint64),
    ]


class DLManagedTensor(ctypes.Structure):
    pass


DLManagedTensor._fields_ = [
    ("dl_tensor", DLTensor),
    ("manager_ctx", ctypes.c_void_p),
    ("deleter", ctypes.CFUNCTYPE(None, ctypes.POINTER(DLManagedTensor))),
]


class DLPackVersion(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32)]


class DLManagedTensorVersioned(ctypes.Structure):
    pass


DLManagedTensorVersioned._fields_ = [
    ("version", DLPackVersion),
    ("manager_ctx", ctypes.c_void_p),
    ("deleter", ctypes.CFUNCTYPE(None, ctypes.POINTER(DLManagedTensorVersioned))),
    ("flags", ctypes.c_uint64),
    ("dl_tensor", DLTensor),
]


class EngineOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("threads", ctypes.c_int32),
        ("device", ctypes.c_char_p),
        ("cpu_variant", ctypes.c_char_p),
        ("memory_budget_bytes", ctypes.c_int64),
    ]


class FNOBoundary(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("kind", ctypes.c_int32),
        ("output_only", ctypes.c_int32),
        ("reserved", ctypes.c_int32),
        ("left", ctypes.POINTER(DLTensor)),
        ("right", ctypes.POINTER(DLTensor)),
        ("top", ctypes.POINTER(DLTensor)),
        ("down", ctypes.POINTER(DLTensor)),
        ("stencil_left", ctypes.POINTER(ctypes.c_double)),
        ("stencil_right", ctypes.POINTER(ctypes.c_double)),
        ("stencil_left_len", ctypes.c_int32),
        ("stencil_right_len", ctypes.c_int32),
    ]


class ConserveArgs(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("reserved", ctypes.c_int32),
    ] + [(name, ctypes.POINTER(DLTensor)) for name in
         ("mean", "var", "cov", "ensemble", "mean_out", "var_out", "cov_out", "ensemble_out")]


_status = ctypes.c_int
_handle = ctypes.c_uint64
_tensor_p = ctypes.POINTER(DLTensor)
_size_p = ctypes.POINTER(ctypes.c_size_t)

# name: (restype, argtypes), as declared in fluxcore.h.
_PROTOTYPES = {
    "fluxcore_abi_version": (ctypes.c_int, []),
    "fluxcore_version": (ctypes.c_char_p, []),
    "fluxcore_last_error": (ctypes.c_char_p, []),
    "fluxcore_status_name": (ctypes.c_char_p, [ctypes.c_int]),
    "fluxcore_engine_create": (_status, [ctypes.POINTER(EngineOptions), ctypes.POINTER(_handle)]),
    "fluxcore_engine_destroy": (_status, [_handle]),
    "fluxcore_engine_info_json": (_status, [_handle, ctypes.c_char_p, ctypes.c_size_t, _size_p]),
    "fluxcore_fno_load": (_status, [_handle, ctypes.c_char_p, ctypes.POINTER(_handle)]),
    "fluxcore_fno_destroy": (_status, [_handle]),
    "fluxcore_fno_info_json": (_status, [_handle, ctypes.c_char_p, ctypes.c_size_t, _size_p]),
    "fluxcore_fno_forward": (_status, [_handle, _tensor_p, ctypes.POINTER(FNOBoundary), _tensor_p, ctypes.c_void_p]),
    "fluxcore_conserve_create": (_status, [_handle, _tensor_p, _tensor_p, ctypes.c_double, ctypes.POINTER(_handle)]),
    "fluxcore_conserve_destroy": (_status, [_handle]),
    "fluxcore_conserve_update": (_status, [_handle, ctypes.POINTER(ConserveArgs)]),
    "fluxcore_kalman_create": (_status, [_handle, _tensor_p, _tensor_p, ctypes.POINTER(_handle)]),
    "fluxcore_kalman_destroy": (_status, [_handle]),
    "fluxcore_kalman_predict": (_status, [_handle, _tensor_p, _tensor_p]),
    "fluxcore_kalman_update": (_status, [_handle, _tensor_p, _tensor_p, _tensor_p, _tensor_p]),
    "fluxcore_kalman_state": (_status, [_handle, _tensor_p, _tensor_p]),
    "fluxcore_planner_create": (_status, [_handle, ctypes.c_char_p, ctypes.POINTER(_handle)]),
    "fluxcore_planner_destroy": (_status, [_handle]),
    "fluxcore_planner_plan": (_status, [_handle, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t, _size_p]),
    "fluxcore_planner_last_result": (_status, [_handle, ctypes.c_char_p, ctypes.c_size_t, _size_p]),
}


def _candidates():
    """Where the library may be, in order: $FLUXCORE_LIBRARY, bundled in a wheel, the
    source tree's build/ after `make lib`, then the system's loader path."""
    env = os.environ.get("FLUXCORE_LIBRARY")
    if env:
        return [env]
    here = pathlib.Path(__file__).resolve().parent
    found = [here / _SONAME]
    for parent in here.parents:
        if (parent / "bindings" / "include" / "fluxcore.h").exists():
            found.append(parent / "build" / "libfluxcore.so")
            break
    return [str(p) for p in found if p.exists()] + [_SONAME]


def load():
    """Loads libfluxcore and checks its ABI version against this package's."""
    errors = []
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
            break
        except OSError as e:
            errors.append("%s: %s" % (path, e))
    else:
        raise ImportError(
            "fluxcore: cannot load the native library (run `make lib`, or set FLUXCORE_LIBRARY): "
            + "; ".join(errors)
        )
    for name, (restype, argtypes) in _PROTOTYPES.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    got = lib.fluxcore_abi_version()
    if got != ABI_VERSION:
        raise ImportError(
            "fluxcore: %s has C ABI %d, this package speaks %d; rebuild one of them" % (lib._name, got, ABI_VERSION)
        )
    return lib


lib = load()
