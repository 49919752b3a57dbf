#!/usr/bin/python3
"""Compare fluxcore's FNO forward with PyTorch's on the CPU, same weights, same inputs, same run.

Builds the reference FNO architectures (fourier_1d.py / fourier_2d.py layer structure) for the
issue's three benchmark configurations with random weights, writes each as a safetensors
state_dict plus an input .npy, times PyTorch's eager forward with torch.set_num_threads(T),
then runs `fluxcore bench fno` on the same files with GOMAXPROCS=T and prints the ratio of
samples per second. Needs Debian's python3-torch and python3-numpy; CI does not run it.

The two alternate for --rounds rounds per configuration, and the ratio reported is the median
of the rounds' ratios: on a shared machine the speed of both drifts by tens of percent over a
minute, and pairing each PyTorch measurement with the fluxcore one right after it cancels
that drift where comparing two separate runs would not.

    /usr/bin/python3 bench/fno_vs_torch.py [--threads 2] [--iters 20] [--rounds 3] [--fluxcore ./fluxcore]
"""
import argparse
import json
import os
import sys
import subprocess
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from safetensors_io import write_safetensors  # noqa: E402
from fno_torch import FNO  # noqa: E402

CONFIGS = [
    # name, dims, modes, width, grid n, padding, input channels, batch
    ("burgers1d", 1, 16, 64, 1024, 0, 1, 20),
    ("darcy2d", 2, 12, 32, 85, 9, 1, 20),
    ("navierstokes2d", 2, 12, 20, 64, 0, 10, 20),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=20, help="timed forward passes per round (the median counts)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating PyTorch/fluxcore rounds per configuration")
    ap.add_argument("--fluxcore", default="./fluxcore")
    ap.add_argument("--keep", help="write the models and inputs to this directory and keep them")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    out_dir = args.keep or tempfile.mkdtemp(prefix="fno_vs_torch_")
    os.makedirs(out_dir, exist_ok=True)
    rows = []
    for name, dims, modes, width, n, padding, cin, batch in CONFIGS:
        model = FNO(dims, modes, width, padding, cin).eval()
        x = torch.randn(batch, *([n] * dims), cin)
        meta = {"arch": f"fno{dims}d", "layout": "zongyi", "width": str(width), "padding": str(padding),
                "grid_lb": "0", "grid_ub": "1", "grid_endpoint": "true"}
        weights = os.path.join(out_dir, name + ".safetensors")
        inp = os.path.join(out_dir, name + ".npy")
        write_safetensors(weights, model.state_dict(), meta)
        np.save(inp, x.numpy())
        res_path = os.path.join(out_dir, name + ".json")
        env = dict(os.environ, GOMAXPROCS=str(args.threads))
        rounds = []
        with torch.no_grad():
            for _ in range(3):
                model(x)
            for _ in range(args.rounds):
                times = []
                for _ in range(args.iters):
                    t0 = time.perf_counter()
                    model(x)
                    times.append(time.perf_counter() - t0)
                torch_sps = batch / median(times)
                subprocess.run([args.fluxcore, "bench", "fno", "--model", weights, "--input", inp, "--batch-size",
                                str(batch), "--iters", str(args.iters), "--json", res_path],
                               check=True, env=env, stdout=subprocess.DEVNULL)
                with open(res_path) as f:
                    fc = json.load(f)
                rounds.append((torch_sps, fc["samples_per_second"]))
        rows.append((name, rounds, fc["engine"]["device"]))
    print(f"{'config':16} {'torch samples/s':>16} {'fluxcore samples/s':>19} {'ratio':>6}  {'ratio per round':24} device"
          f"   (threads={args.threads}, medians of {args.rounds} rounds)")
    for name, rounds, dev in rows:
        ratios = " ".join(f"{f / t:.2f}" for t, f in rounds)
        print(f"{name:16} {median([t for t, _ in rounds]):16.1f} {median([f for _, f in rounds]):19.1f} "
              f"{median([f / t for t, f in rounds]):6.2f}  {ratios:24} {dev}")


def median(values):
    s = sorted(values)
    return s[len(s) // 2] if len(s) % 2 else 0.5 * (s[len(s) // 2 - 1] + s[len(s) // 2])


if __name__ == "__main__":
    main()
