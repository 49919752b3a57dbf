"""The reference FNO architecture (fourier_1d.py / fourier_2d.py layer structure) in PyTorch,
with the state_dict key names fluxcore's zongyi loader reads: fc0, conv{i}.weights1/2, w{i},
fc1, fc2. Shared by bench/fno_vs_torch.py and tools/train_heat_demo.py.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Spectral(nn.Module):
    """zongyi's SpectralConv{1,2,3}d: weights1..2^(d−1), block b taking the negative
    frequencies on every outer axis whose bit is set in b (weights2 is −k₁, weights3 −k₂)."""

    def __init__(self, width, modes, dims):
        super().__init__()
        self.dims = dims
        self.modes = tuple(modes) if isinstance(modes, (tuple, list)) else (modes,) * dims
        scale = 1 / (width * width)
        for b in range(2 ** (dims - 1)):
            setattr(self, f"weights{b + 1}",
                    nn.Parameter(scale * torch.rand(width, width, *self.modes, dtype=torch.cfloat)))

    def forward(self, x):
        d, m = self.dims, self.modes
        axes = list(range(-d, 0))
        x_ft = torch.fft.rfftn(x, dim=axes)
        out = torch.zeros(x.shape[:2] + x_ft.shape[2:], dtype=x_ft.dtype, device=x.device)
        letters = "xyz"[:d]
        for b in range(2 ** (d - 1)):
            sel = [slice(-m[a], None) if b >> a & 1 else slice(0, m[a]) for a in range(d - 1)]
            sel = (slice(None), slice(None), *sel, slice(0, m[-1]))
            w = getattr(self, f"weights{b + 1}").to(x_ft.dtype)
            out[sel] = torch.einsum(f"bi{letters},io{letters}->bo{letters}", x_ft[sel], w)
        return torch.fft.irfftn(out, s=x.shape[-d:], dim=axes)


class FNO(nn.Module):
    def __init__(self, dims, modes, width, padding, cin):
        """padding: one count for every axis, or one per axis (fourier_3d.py pads only the last)."""
        super().__init__()
        self.dims = dims
        self.padding = tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * dims
        self.fc0 = nn.Linear(cin + dims, width)
        conv = (nn.Conv1d, nn.Conv2d, nn.Conv3d)[dims - 1]
        for i in range(4):
            setattr(self, f"conv{i}", Spectral(width, modes, dims))
            setattr(self, f"w{i}", conv(width, width, 1))
        self.fc1 = nn.Linear(width, 128)
        self.fc2 = nn.Linear(128, 1)

    def forward(self, x):
        grids = []
        for a in range(self.dims):
            n = x.shape[1 + a]
            g = torch.tensor(np.linspace(0, 1, n), dtype=torch.float, device=x.device)
            shape = [1] * (self.dims + 2)
            shape[1 + a] = n
            reps = list(x.shape[:-1]) + [1]
            reps[1 + a] = 1
            grids.append(g.reshape(shape).repeat(reps))
        x = self.fc0(torch.cat([x] + grids, dim=-1))
        x = x.permute(0, self.dims + 1, *range(1, self.dims + 1))
        x = F.pad(x, [q for p in reversed(self.padding) for q in (0, p)])
        for i in range(4):
            y = getattr(self, f"conv{i}")(x) + getattr(self, f"w{i}")(x)
            x = F.gelu(y) if i < 3 else y
        x = x[(slice(None), slice(None)) + tuple(slice(0, x.shape[2 + a] - p) for a, p in enumerate(self.padding))]
        x = x.permute(0, *range(2, self.dims + 2), 1)
        return self.fc2(F.gelu(self.fc1(x)))
