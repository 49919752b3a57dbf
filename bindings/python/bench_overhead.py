"""What a call through the Python package costs beyond the C call, on the model overhead.c
times (fno1d, one sample): /usr/bin/python3 bindings/python/bench_overhead.py [calls]

Each round times, interleaved, the package's m(x, out=out) and m(x), and the same C function
called through bare ctypes with prepared arguments. The package's overhead is the first
minus the last (argument checks, the data pointers, the call's marshalling); overhead.c
gives the C side's own figure."""

import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import fluxcore  # noqa: E402

GOLDEN = pathlib.Path(__file__).resolve().parents[2] / "engine" / "fno" / "testdata" / "golden" / "fno1d"


def per_call_us(fn, calls):
    fn()
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t0) / calls * 1e6


def main():
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    with fluxcore.Engine(device="cpu", threads=1) as e, e.load_fno(GOLDEN / "model.safetensors") as m:
        x = np.ascontiguousarray(np.load(GOLDEN / "input.npy")[:1])
        out = np.empty(x.shape[:-1] + (m.out_channels,), np.float32)
        m(x, out=out)
        entry = next(iter(m._local.tensors.values()))
        forward, handle = fluxcore._lib.fluxcore_fno_forward, m._h
        overheads = []
        for r in range(5):
            into = per_call_us(lambda: m(x, out=out), calls)
            bare = per_call_us(lambda: forward(handle, entry.x_ref, None, entry.y_ref, None), calls)
            alloc = per_call_us(lambda: m(x), calls)
            overheads.append(into - bare)
            print("round %d: m(x, out=out) %.1f us, m(x) %.1f us, bare ctypes call %.1f us: overhead %.1f us (%d calls each)"
                  % (r, into, alloc, bare, into - bare, calls))
        overheads.sort()
        print("package overhead per call: median %.1f us over 5 rounds" % overheads[2])


if __name__ == "__main__":
    main()
