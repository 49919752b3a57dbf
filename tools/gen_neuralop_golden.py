#!/usr/bin/python3
"""Golden data for fluxcore's neuraloperator-layout FNO loader (engine/fno/testdata/golden/).

Builds neuraloperator >= 1.0's `FNO` with dense spectral weights and its default block, as the
library documents it, in plain PyTorch so that neither neuraloperator nor network access is
needed: the module tree reproduces the library's state_dict key names, and each forward follows
the library's code path.

  * GridEmbeddingND: the input channels, then one coordinate channel per axis,
    linspace(0, 1, n + 1)[:-1] (the endpoint excluded).
  * lifting / projection: ChannelMLP, 1x1 Conv1d layers over the flattened grid with GELU between.
  * FNOBlocks, post-activation, for layer i of L:
        skip = fno_skips[i](x)                  linear: Conv1d(width, width, 1, bias=False)
        gate = channel_mlp_skips[i](x)          soft-gating: weight (1, width, 1, ...) * x
        y = convs[i](x) + skip;  y = gelu(y) if i < L - 1
        x = channel_mlp[i](y) + gate;  x = gelu(x) if i < L - 1
  * SpectralConv, fft_norm="forward": rfftn, fftshift over the outer axes, keep the centred
    slice of the outer axes and the first modes of the last, contract with the complex weight
    (in, out, m_1, ..., m_d // 2 + 1), fftshift again (the library's choice: for odd extents it
    does not undo the first), irfftn, add the bias.

The reference runs in float64 on the float32 weights that are stored. Run by hand (Debian's
python3-torch and python3-numpy); CI reads the committed output only.

    /usr/bin/python3 tools/gen_neuralop_golden.py [--out engine/fno/testdata/golden]
"""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from safetensors_io import write_safetensors

CASES = [
    # name, grid, n_modes, width, in channels, out channels, batch
    ("neuralop1d", (40,), (8,), 12, 1, 1, 2),
    ("neuralop2d_odd", (15, 12), (6, 8), 10, 2, 1, 2),
    ("neuralop3d", (8, 9, 10), (4, 5, 6), 6, 1, 2, 2),
]


class ChannelMLP(nn.Module):
    def __init__(self, cin, cout, hidden, n_layers=2):
        super().__init__()
        sizes = [cin] + [hidden] * (n_layers - 1) + [cout]
        self.fcs = nn.ModuleList(nn.Conv1d(a, b, 1) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x):
        shape = x.shape
        x = x.reshape(shape[0], shape[1], -1)
        for i, fc in enumerate(self.fcs):
            x = fc(x)
            if i < len(self.fcs) - 1:
                x = F.gelu(x)
        return x.reshape(shape[0], -1, *shape[2:])


class Flattened1dConv(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv1d(cin, cout, 1, bias=False)

    def forward(self, x):
        shape = x.shape
        return self.conv(x.reshape(shape[0], shape[1], -1)).reshape(shape[0], -1, *shape[2:])


class SoftGating(nn.Module):
    def __init__(self, channels, dims):
        super().__init__()
        self.weight = nn.Parameter(1 + 0.3 * torch.randn(1, channels, *(1,) * dims))

    def forward(self, x):
        return self.weight * x


class SpectralConv(nn.Module):
    def __init__(self, cin, cout, n_modes):
        super().__init__()
        modes = list(n_modes)
        modes[-1] = modes[-1] // 2 + 1
        self.modes = modes
        std = (2 / (cin + cout)) ** 0.5
        self.weight = nn.Parameter(std * torch.randn(cin, cout, *modes, dtype=torch.cfloat))
        self.bias = nn.Parameter(std * torch.randn(cout, *(1,) * len(modes)))

    def forward(self, x):
        order = len(self.modes)
        dims = list(range(-order, 0))
        sizes = list(x.shape[2:])
        xf = torch.fft.rfftn(x, norm="forward", dim=dims)
        if order > 1:
            xf = torch.fft.fftshift(xf, dim=dims[:-1])
        fft_size = sizes[:-1] + [sizes[-1] // 2 + 1]
        out = torch.zeros(x.shape[0], self.weight.shape[1], *fft_size, dtype=xf.dtype)
        slices = [slice(None), slice(None)]
        for size, m in zip(fft_size[:-1], self.modes[:-1]):
            start = size - min(size, m)
            slices.append(slice(start // 2, -start // 2) if start else slice(start, None))
        start = fft_size[-1] - min(fft_size[-1], self.modes[-1])
        slices.append(slice(None, -start) if start else slice(None))
        w = self.weight.to(xf.dtype)
        out[tuple(slices)] = torch.einsum("bi...,io...->bo...", xf[tuple(slices)], w)
        if order > 1:
            out = torch.fft.fftshift(out, dim=dims[:-1])
        return torch.fft.irfftn(out, s=sizes, dim=dims, norm="forward") + self.bias.to(x.dtype)


class FNOBlocks(nn.Module):
    def __init__(self, width, n_modes, n_layers):
        super().__init__()
        dims = len(n_modes)
        self.n_layers = n_layers
        self.convs = nn.ModuleList(SpectralConv(width, width, n_modes) for _ in range(n_layers))
        self.fno_skips = nn.ModuleList(Flattened1dConv(width, width) for _ in range(n_layers))
        self.channel_mlp = nn.ModuleList(ChannelMLP(width, width, round(width * 0.5)) for _ in range(n_layers))
        self.channel_mlp_skips = nn.ModuleList(SoftGating(width, dims) for _ in range(n_layers))

    def forward(self, x, i):
        skip = self.fno_skips[i](x)
        gate = self.channel_mlp_skips[i](x)
        x = self.convs[i](x) + skip
        if i < self.n_layers - 1:
            x = F.gelu(x)
        x = self.channel_mlp[i](x) + gate
        if i < self.n_layers - 1:
            x = F.gelu(x)
        return x


class FNO(nn.Module):
    def __init__(self, n_modes, width, cin, cout, n_layers=4):
        super().__init__()
        self.dims = len(n_modes)
        self.lifting = ChannelMLP(cin + self.dims, width, 2 * width)
        self.fno_blocks = FNOBlocks(width, n_modes, n_layers)
        self.projection = ChannelMLP(width, cout, 2 * width)

    def forward(self, x):
        grids = []
        for a, n in enumerate(x.shape[2:]):
            line = torch.linspace(0, 1, n + 1, dtype=x.dtype)[:-1]
            shape = [1] * (self.dims + 2)
            shape[2 + a] = n
            grids.append(line.reshape(shape).expand(x.shape[0], 1, *x.shape[2:]))
        x = self.lifting(torch.cat([x] + grids, dim=1))
        for i in range(self.fno_blocks.n_layers):
            x = self.fno_blocks(x, i)
        return self.projection(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="engine/fno/testdata/golden")
    args = ap.parse_args()
    torch.manual_seed(1)
    for name, grid, n_modes, width, cin, cout, batch in CASES:
        model = FNO(n_modes, width, cin, cout)
        x_last = torch.randn(batch, *grid, cin)
        meta = {"arch": f"fno{len(grid)}d", "layout": "neuraloperator", "width": str(width),
                "n_modes": ",".join(map(str, n_modes))}
        with torch.no_grad():
            ref = model.double()
            x = x_last.double().movedim(-1, 1)
            y = ref(x).movedim(1, -1).float().numpy()
        model = model.float()  # exact: the weights were float32 to begin with
        d = os.path.join(args.out, name)
        os.makedirs(d, exist_ok=True)
        write_safetensors(os.path.join(d, "model.safetensors"), model.state_dict(), meta)
        np.save(os.path.join(d, "input.npy"), x_last.numpy())
        np.save(os.path.join(d, "output.npy"), y)
        case = dict(meta, batch=batch, grid=list(grid))
        with open(os.path.join(d, "case.json"), "w") as f:
            json.dump(case, f, indent=1, sort_keys=True)
        print(f"{name}: grid {grid}, modes {n_modes}, width {width}, output {y.shape}")


if __name__ == "__main__":
    main()
