#!/usr/bin/python3
"""Compare fluxcore's FNO forward with PyTorch's, same weights, same inputs, same run, on the
CPU or on a CUDA device.

Builds the reference FNO architectures (fourier_1d.py / fourier_2d.py layer structure) with
random weights, writes each as a safetensors state_dict plus an input .npy, times PyTorch's
forward, then runs `fluxcore bench fno` on the same files and reports the ratio of samples
per second.

On the CPU (the default) PyTorch runs eager with torch.set_num_threads(T) and fluxcore with
GOMAXPROCS=T, on the CPU configurations. With --device cuda both run on the GPU, on the GPU
configurations (the issue's: 1-D at n = 1024 with a batch of 64, and 2-D at 128²). PyTorch
is timed with CUDA events after warm-up, eager and, where it works, torch.compile, each in
two placements: "resident" (the input already on the device, the output left there) and
"host" (input copied in, output copied back), which is the work `fluxcore bench fno` times
per batch; the ratios compare like with like. TF32 is off in PyTorch unless --tf32, since
fluxcore computes in float32.

The two alternate for --rounds rounds per configuration, and each ratio reported is the
median of the rounds' ratios: on a shared machine the speed of both drifts by tens of
percent over a minute, and pairing each PyTorch measurement with the fluxcore one right after
it cancels that drift where comparing two separate runs would not.

    /usr/bin/python3 bench/fno_vs_torch.py [--threads 2] [--iters 20] [--rounds 3] [--fluxcore ./fluxcore]
    python3 bench/fno_vs_torch.py --device cuda --fluxcore ./fluxcore --json peer.json

Needs PyTorch and NumPy (Debian's python3-torch on the CPU machines); CI does not run it.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from safetensors_io import write_safetensors  # noqa: E402
from fno_torch import FNO  # noqa: E402

# name, dims, modes, width, grid n, padding, input channels, batch
CPU_CONFIGS = [
    ("burgers1d", 1, 16, 64, 1024, 0, 1, 20),
    ("darcy2d", 2, 12, 32, 85, 9, 1, 20),
    ("navierstokes2d", 2, 12, 20, 64, 0, 10, 20),
]
GPU_CONFIGS = [
    ("burgers1d_b64", 1, 16, 64, 1024, 0, 1, 64),
    ("darcy2d_128", 2, 12, 32, 128, 0, 1, 64),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--threads", type=int, default=2, help="CPU threads of both (CPU only)")
    ap.add_argument("--iters", type=int, default=20, help="timed forward passes per round (the median counts)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating PyTorch/fluxcore rounds per configuration")
    ap.add_argument("--fluxcore", default="./fluxcore")
    ap.add_argument("--no-compile", action="store_true", help="CUDA: skip torch.compile")
    ap.add_argument("--tf32", action="store_true", help="CUDA: let PyTorch use TF32 in its convolutions and matmuls")
    ap.add_argument("--json", help="write every measurement to this file")
    ap.add_argument("--keep", help="write the models and inputs to this directory and keep them")
    args = ap.parse_args()
    cuda = args.device == "cuda"
    if cuda and not torch.cuda.is_available():
        sys.exit("fno_vs_torch: --device cuda, but PyTorch sees no CUDA device")
    torch.set_num_threads(args.threads)
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.manual_seed(0)
    out_dir = args.keep or tempfile.mkdtemp(prefix="fno_vs_torch_")
    os.makedirs(out_dir, exist_ok=True)
    report = {
        "device": torch.cuda.get_device_name() if cuda else "cpu",
        "torch_version": torch.__version__, "threads": args.threads, "iters": args.iters, "rounds": args.rounds,
        "tf32": args.tf32, "timer": "cuda events" if cuda else "perf_counter", "configs": [],
    }
    for config in GPU_CONFIGS if cuda else CPU_CONFIGS:
        report["configs"].append(compare(config, args, out_dir))
        print_row(report["configs"][-1])
        if args.json:  # after each configuration, so that a run cut short keeps what it measured
            with open(args.json, "w") as f:
                json.dump(report, f, indent=2)


def compare(config, args, out_dir):
    name, dims, modes, width, n, padding, cin, batch = config
    cuda = args.device == "cuda"
    model = FNO(dims, modes, width, padding, cin).eval()
    x = torch.randn(batch, *([n] * dims), cin)
    meta = {"arch": f"fno{dims}d", "layout": "zongyi", "width": str(width), "padding": str(padding),
            "grid_lb": "0", "grid_ub": "1", "grid_endpoint": "true"}
    weights, inp = os.path.join(out_dir, name + ".safetensors"), os.path.join(out_dir, name + ".npy")
    write_safetensors(weights, model.state_dict(), meta)
    np.save(inp, x.numpy())
    model = model.to(args.device)
    variants = {"eager": model}
    errors = {}
    if cuda and not args.no_compile:
        try:
            compiled = torch.compile(model)
            with torch.no_grad():
                compiled(x.to(args.device))  # compiles here, outside the timing
            variants["compile"] = compiled
        except Exception as e:  # noqa: BLE001 (any failure of the compiler is reported, not fatal)
            errors["compile"] = f"{type(e).__name__}: {e}"[:400]
    placements = {"resident": lambda m, xd: m(xd)}
    if cuda:
        placements["host"] = lambda m, _: m(x.to(args.device)).cpu()
    xd = x.to(args.device)
    rounds = []
    fc = None
    with torch.no_grad():
        for m in variants.values():
            for _ in range(3):
                m(xd)
        for _ in range(args.rounds):
            torch_sps = {}
            for vname, m in variants.items():
                for pname, run in placements.items():
                    torch_sps[f"{vname}_{pname}"] = batch / median(timed(lambda: run(m, xd), args.iters, cuda))
            fc = run_fluxcore(args, weights, inp, batch, out_dir, name)
            rounds.append({"torch_samples_per_second": torch_sps, "fluxcore_samples_per_second": fc["samples_per_second"]})
    ratios = {}
    for key in rounds[0]["torch_samples_per_second"]:
        ratios[f"fluxcore_vs_{key}"] = median([r["fluxcore_samples_per_second"] / r["torch_samples_per_second"][key] for r in rounds])
    return {
        "name": name, "dims": dims, "modes": modes, "width": width, "grid": n, "padding": padding, "batch": batch,
        "torch_samples_per_second": {k: median([r["torch_samples_per_second"][k] for r in rounds]) for k in rounds[0]["torch_samples_per_second"]},
        "fluxcore_samples_per_second": median([r["fluxcore_samples_per_second"] for r in rounds]),
        "fluxcore": {"device": fc["engine"]["device"], "transform": fc.get("transform"), "median_seconds_per_batch_last_round": fc["median_seconds_per_batch"]},
        "ratios": ratios, "errors": errors, "rounds": rounds,
    }


def timed(fn, iters, cuda):
    """Seconds per call of fn, iters of them: CUDA events around each call on a GPU (the
    event pair brackets the device work, the host waits for the end event), the host's
    monotonic clock on the CPU."""
    times = []
    for _ in range(iters):
        if cuda:
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end) / 1e3)
        else:
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    return times


def run_fluxcore(args, weights, inp, batch, out_dir, name):
    res_path = os.path.join(out_dir, name + ".fluxcore.json")
    cmd = [args.fluxcore, "bench", "fno", "--model", weights, "--input", inp, "--batch-size", str(batch),
           "--iters", str(args.iters), "--json", res_path]
    env = dict(os.environ)
    if args.device == "cuda":
        cmd += ["--device", "cuda"]
    else:
        env["GOMAXPROCS"] = str(args.threads)
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    with open(res_path) as f:
        return json.load(f)


def print_row(c):
    if not hasattr(print_row, "header"):
        print_row.header = True
        print(f"{'config':16} {'batch':>5} {'torch samples/s':>40} {'fluxcore samples/s':>19}  ratios (fluxcore / torch, median of rounds)")
    torch_cols = " ".join(f"{k}={v:.0f}" for k, v in c["torch_samples_per_second"].items())
    ratios = " ".join(f"{k.removeprefix('fluxcore_vs_')}={v:.2f}" for k, v in c["ratios"].items())
    print(f"{c['name']:16} {c['batch']:5} {torch_cols:>40} {c['fluxcore_samples_per_second']:19.1f}  {ratios}  [{c['fluxcore']['device']}]")
    for k, e in c["errors"].items():
        print(f"    {k}: {e}")


def median(values):
    s = sorted(values)
    return s[len(s) // 2] if len(s) % 2 else 0.5 * (s[len(s) // 2 - 1] + s[len(s) // 2])


if __name__ == "__main__":
    main()
