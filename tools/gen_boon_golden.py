#!/usr/bin/python3
"""Golden data for fluxcore's BOON corrections beyond 1-D (engine/fno/testdata/golden/).

BOON checkpoints (layout "boon", reference=True in boon_torch): BOON_FNO2d with Dirichlet,
Neumann and periodic boundaries, and BOON_FNO3d with Dirichlet (the only 3-D condition the
published code defines). Plain FNO checkpoints with corrections asked for at run time (layout
"zongyi", reference=False): 1-D Neumann with the default third-order stencils, 2-D Dirichlet
with the time axis padded, 3-D periodic; and a plain FNO3d, which pads its last axis only.

boon_torch reproduces the published 1-D BOON goldens (../shared/golden/fno/boon1d_*) to 2.4e-8,
which is the check on it; this script asserts that before writing anything. The forward runs in
float64 on the float32 weights that are stored. Run by hand (Debian's python3-torch and numpy);
CI reads the committed output only.

    /usr/bin/python3 tools/gen_boon_golden.py [--out engine/fno/testdata/golden]
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boon_torch  # noqa: E402
from boon_torch import boon_key, boon_state, default_stencils, layers_of  # noqa: E402
from fno_torch import FNO  # noqa: E402
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402

# name, layout, bc, grid, modes, width, padding, batch
CASES = [
    ("boon2d_dirichlet", "boon", "dirichlet", (12, 10), (4, 4), 8, (0, 9), 2),
    ("boon2d_neumann", "boon", "neumann", (12, 10), (4, 4), 8, (0, 9), 2),
    ("boon2d_periodic", "boon", "periodic", (12, 10), (4, 4), 8, (0, 0), 2),
    ("boon3d_dirichlet", "boon", "dirichlet", (8, 7, 6), (3, 3, 2), 6, (0, 0, 6), 2),
    ("fno1d_neumann_plain", "zongyi", "neumann", (48,), (8,), 12, (0,), 3),
    ("fno2d_dirichlet_plain", "zongyi", "dirichlet", (14, 11), (5, 4), 8, (0, 9), 2),
    ("fno3d_periodic_plain", "zongyi", "periodic", (8, 6, 7), (3, 2, 3), 6, (0, 0, 6), 2),
    ("fno3d", "zongyi", None, (8, 6, 7), (3, 2, 3), 6, (0, 0, 6), 2),
]


def as_double(name, t):
    """A stored tensor as float64, or complex128 for spectral weights (view_as_real pairs)."""
    if ".weights" in name:
        return torch.view_as_complex(t.contiguous()).to(torch.cdouble)
    return t.double()


def check_reference_1d(shared):
    """boon_torch against the published code's own 1-D outputs."""
    for case in ("boon1d_dirichlet", "boon1d_neumann", "boon1d_periodic"):
        d = os.path.join(shared, case)
        st, meta = read_safetensors(os.path.join(d, "model.safetensors"))
        c = json.load(open(os.path.join(d, "case.json")))
        width, modes = int(meta["width"]), int(meta["modes"])
        fno = FNO(1, modes, width, 0, 1).double()
        fno.load_state_dict({k: as_double(k, st[boon_key(k)]) for k in fno.state_dict()})
        x = torch.from_numpy(np.load(os.path.join(d, "input.npy"))).double()
        batch = x.shape[0]
        bc = {}
        if c["bc"] == "dirichlet":
            bc = {s: torch.from_numpy(np.load(os.path.join(d, s + ".npy"))).double().reshape(batch)
                  for s in ("left", "right")}
        elif c["bc"] == "neumann":
            bc = {"left": torch.full((batch,), c["flux_left"], dtype=torch.float64),
                  "right": torch.full((batch,), c["flux_right"], dtype=torch.float64),
                  "stencil_left": c["stencil_left"], "stencil_right": c["stencil_right"]}
        with torch.no_grad():
            y = boon_torch.forward(x, fno.fc0, layers_of(fno), fno.fc1, fno.fc2, c["bc"], bc, True, (0,)).numpy()
        ref = np.load(os.path.join(d, "output.npy"))
        err = np.linalg.norm(y - ref) / np.linalg.norm(ref)
        print(f"{case}: boon_torch against the published code's output, rel. L2 {err:.2g}")
        assert err < 1e-6, case


def generate(out, name, layout, kind, grid, modes, width, padding, batch, rng):
    dims = len(grid)
    fno = FNO(dims, tuple(modes), width, padding, 1)
    meta = {"arch": (f"BOON_FNO{dims}d" if layout == "boon" else f"FNO{dims}d"), "layout": layout,
            "width": str(width), "padding": ",".join(map(str, padding)),
            "grid_lb": "0", "grid_ub": "1", "grid_endpoint": "true"}
    for a, m in enumerate(modes):
        meta[f"modes{a + 1}"] = str(m)
    fc = {}
    if layout == "boon":
        meta["bc"] = kind
        fc0, fc1, fc2 = torch.nn.Linear(1 + dims, width), torch.nn.Linear(width, 128), torch.nn.Linear(128, 1)
        fc = {f"{n}.{p}": t.detach() for n, l in (("fc0", fc0), ("fc1", fc1), ("fc2", fc2))
              for p, t in l.state_dict().items()}
        state = boon_state(fno, fc)
    else:
        fc0, fc1, fc2 = fno.fc0, fno.fc1, fno.fc2
        state = fno.state_dict()
    # What is stored is float32; the reference runs in float64 on exactly those values.
    for mod in (fno, fc0, fc1, fc2):
        for p in mod.parameters():
            p.data = p.data.to(torch.cfloat if p.is_complex() else torch.float32).to(
                torch.cdouble if p.is_complex() else torch.float64)
    x = torch.from_numpy(rng.standard_normal((batch, *grid, 1)).astype(np.float32)).double()

    case = {"arch": meta["arch"], "layout": layout, "batch": batch, "grid": list(grid), "padding": list(padding)}
    files = {}
    bc = {}
    face0 = (batch, *grid[1:])
    if kind == "dirichlet":
        sides = ("left", "right", "top", "down") if dims == 3 else ("left", "right")
        for s in sides:
            shape = face0 if s in ("left", "right") else (batch, grid[0], *grid[2:])
            v = rng.standard_normal(shape).astype(np.float32)
            files[s] = v
            bc[s] = torch.from_numpy(v).double()
    elif kind == "neumann":
        h = 1 / (grid[0] - 1)
        if layout == "boon":
            # The BOON notebooks' stencils: a first-order left one and the third-order right one.
            sl, sr = [1.0, -1.0], [-2 / 11, 9 / 11, -18 / 11, 6 * h / 11]
        else:
            sl, sr = default_stencils(h)
        case["stencil_left"], case["stencil_right"] = sl, sr
        for s in ("left", "right"):
            v = rng.uniform(-2, 2, face0).astype(np.float32)
            files["flux_" + s] = v
            bc[s] = torch.from_numpy(v).double()
        bc["stencil_left"], bc["stencil_right"] = sl, sr
    with torch.no_grad():
        if kind is None:
            fno.double()
            y = fno(x)
        else:
            y = boon_torch.forward(x, fc0, layers_of(fno), fc1, fc2, kind, bc, layout == "boon", padding)
    if kind is not None:
        case["bc"] = kind

    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    write_safetensors(os.path.join(d, "model.safetensors"), state, meta)
    np.save(os.path.join(d, "input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(d, "output.npy"), y.numpy().astype(np.float32))
    for f, v in files.items():
        np.save(os.path.join(d, f + ".npy"), v)
    with open(os.path.join(d, "case.json"), "w") as f:
        json.dump(case, f, indent=1)
    print(f"{name}: output {tuple(y.shape)}, |y| {float(y.abs().max()):.3g}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="engine/fno/testdata/golden")
    ap.add_argument("--shared", default="engine/fno/testdata/golden")
    args = ap.parse_args()
    check_reference_1d(args.shared)
    torch.manual_seed(3)
    rng = np.random.default_rng(3)
    for c in CASES:
        generate(args.out, *c, rng)


if __name__ == "__main__":
    main()
