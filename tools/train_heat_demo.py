#!/usr/bin/python3
"""Trains the small FNO that `fluxcore demo fno` ships with: the 1-D heat equation on an
insulated rod, after the BOON paper's "insulator at boundary" example.

    u_t = k·u_xx on x ∈ [0, 1],  u_x(0, t) = u_x(1, t) = 0  (no heat flows through the ends)

Initial conditions are random cosine series u₀ = Σ_j a_j·cos(jπx); each term decays exactly,
u(x, T) = Σ_j a_j·e^{−k(jπ)²T}·cos(jπx), so the training targets are the exact solution,
not a numerical one. The operator learned is u₀ ↦ u(·, T). A plain FNO fits it well in the
interior but does not know that the flux at the ends must be zero; BOON's Neumann correction
(fluxcore `--bc neumann`) makes it exact.

Without --boon it trains the plain FNO and writes model.safetensors (zongyi FNO1d layout, its
hyper-parameters in the metadata) and the held-out input.npy / exact.npy. With --boon it trains
the same network inside BOON's Neumann correction, as the published code trains BOON_FNO1d
(tools/boon_torch.py, reference form; zero flux at both ends with fluxcore's default
third-order stencils), and writes boon.safetensors in BOON's layout. The plain model takes about
5 minutes on two CPU cores, the BOON one about five times as long; needs Debian's python3-torch
and numpy.

    /usr/bin/python3 tools/train_heat_demo.py [--out internal/experiments/heat/data] [--epochs 200] [--boon]
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boon_torch  # noqa: E402
from boon_torch import boon_state, default_stencils, layers_of  # noqa: E402
from fno_torch import FNO  # noqa: E402
from safetensors_io import write_safetensors  # noqa: E402

N = 128           # grid points, both ends included
TERMS = 10        # cosine terms in an initial condition
DIFFUSIVITY = 1.0
T_END = 0.01      # mode j decays by e^{−(jπ)²·0.01}: j = 1 keeps 91 %, j = 9 keeps 0.03 %
MODES, WIDTH = 16, 32


def sample(rng, count):
    x = np.linspace(0.0, 1.0, N)
    j = np.arange(TERMS)
    a = rng.standard_normal((count, TERMS)) / (1.0 + j)  # rougher terms are smaller
    basis = np.cos(np.pi * np.outer(j, x))               # [TERMS, N]
    decay = np.exp(-DIFFUSIVITY * (np.pi * j) ** 2 * T_END)
    u0 = a @ basis
    uT = (a * decay) @ basis
    return u0[..., None].astype(np.float32), uT[..., None].astype(np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="internal/experiments/heat/data")
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--boon", action="store_true", help="train inside BOON's Neumann correction")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    train_x, train_y = map(torch.from_numpy, sample(rng, 1000))
    test_x, test_y = sample(rng, 16)

    model = FNO(dims=1, modes=MODES, width=WIDTH, padding=0, cin=1)
    net = model
    if args.boon:
        sl, sr = default_stencils(1 / (N - 1))

        def net(x):
            zero = torch.zeros(x.shape[0])
            bc = {"left": zero, "right": zero, "stencil_left": sl, "stencil_right": sr}
            return boon_torch.forward(x, model.fc0, layers_of(model), model.fc1, model.fc2, "neumann", bc, True, (0,))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    t0 = time.time()
    for epoch in range(args.epochs):
        perm = torch.randperm(len(train_x))
        total = 0.0
        for i in range(0, len(perm), 25):
            idx = perm[i:i + 25]
            pred = net(train_x[idx])
            # relative L2 per sample, as the FNO papers train
            loss = (torch.linalg.norm(pred - train_y[idx], dim=(1, 2)) /
                    torch.linalg.norm(train_y[idx], dim=(1, 2))).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        if epoch % 25 == 0 or epoch == args.epochs - 1:
            print(f"epoch {epoch:4d}  train rel. L2 {total / len(perm):.4f}  ({time.time() - t0:.0f}s)", flush=True)

    with torch.no_grad():
        pred = net(torch.from_numpy(test_x)).numpy()
    err = np.linalg.norm(pred - test_y, axis=(1, 2)) / np.linalg.norm(test_y, axis=(1, 2))
    print(f"held-out rel. L2 {err.mean():.4f}")
    os.makedirs(args.out, exist_ok=True)
    meta = {"arch": "FNO1d", "layout": "zongyi", "modes": str(MODES), "width": str(WIDTH), "padding": "0",
            "grid_lb": "0", "grid_ub": "1", "grid_endpoint": "true",
            "problem": f"heat u_t = {DIFFUSIVITY}·u_xx, insulated ends, u0 -> u(T={T_END}), {N} points"}
    if args.boon:
        meta.update(arch="BOON_FNO1d", layout="boon", bc="neumann")
        fc = {k: v for k, v in model.state_dict().items() if k.startswith("fc")}
        write_safetensors(os.path.join(args.out, "boon.safetensors"), boon_state(model, fc), meta)
        return
    write_safetensors(os.path.join(args.out, "model.safetensors"), model.state_dict(), meta)
    np.save(os.path.join(args.out, "input.npy"), test_x)
    np.save(os.path.join(args.out, "exact.npy"), test_y)


if __name__ == "__main__":
    main()
