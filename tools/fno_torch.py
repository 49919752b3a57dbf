"""The reference FNO architecture (fourier_1d.py / fourier_2d.py layer structure) in PyTorch,
with the state_dict key names fluxcore's zongyi loader reads: fc0, conv{i}.weights1/2, w{i},
fc1, fc2. Shared by bench/fno_vs_torch.py and tools/train_heat_demo.py.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Spectral(nn.Module):
    def __init__(self, width, modes, dims):
        super().__init__()
        self.dims, self.modes = dims, modes
        scale = 1 / (width * width)
        shape = (width, width) + (modes,) * dims
        self.weights1 = nn.Parameter(scale * torch.rand(*shape, dtype=torch.cfloat))
        if dims == 2:
            self.weights2 = nn.Parameter(scale * torch.rand(*shape, dtype=torch.cfloat))

    def forward(self, x):
        m = self.modes
        if self.dims == 1:
            x_ft = torch.fft.rfft(x)
            out = torch.zeros(x.shape[0], x.shape[1], x.shape[-1] // 2 + 1, dtype=torch.cfloat)
            out[:, :, :m] = torch.einsum("bix,iox->box", x_ft[:, :, :m], self.weights1)
            return torch.fft.irfft(out, n=x.shape[-1])
        x_ft = torch.fft.rfft2(x)
        out = torch.zeros(x.shape[0], x.shape[1], x.shape[-2], x.shape[-1] // 2 + 1, dtype=torch.cfloat)
        out[:, :, :m, :m] = torch.einsum("bixy,ioxy->boxy", x_ft[:, :, :m, :m], self.weights1)
        out[:, :, -m:, :m] = torch.einsum("bixy,ioxy->boxy", x_ft[:, :, -m:, :m], self.weights2)
        return torch.fft.irfft2(out, s=(x.shape[-2], x.shape[-1]))


class FNO(nn.Module):
    def __init__(self, dims, modes, width, padding, cin):
        super().__init__()
        self.dims, self.padding = dims, padding
        self.fc0 = nn.Linear(cin + dims, width)
        conv = nn.Conv1d if dims == 1 else nn.Conv2d
        for i in range(4):
            setattr(self, f"conv{i}", Spectral(width, modes, dims))
            setattr(self, f"w{i}", conv(width, width, 1))
        self.fc1 = nn.Linear(width, 128)
        self.fc2 = nn.Linear(128, 1)

    def forward(self, x):
        grids = []
        for a in range(self.dims):
            n = x.shape[1 + a]
            g = torch.tensor(np.linspace(0, 1, n), dtype=torch.float)
            shape = [1] * (self.dims + 2)
            shape[1 + a] = n
            reps = list(x.shape[:-1]) + [1]
            reps[1 + a] = 1
            grids.append(g.reshape(shape).repeat(reps))
        x = self.fc0(torch.cat([x] + grids, dim=-1))
        x = x.permute(0, self.dims + 1, *range(1, self.dims + 1))
        if self.padding:
            x = F.pad(x, [0, self.padding] * self.dims)
        for i in range(4):
            y = getattr(self, f"conv{i}")(x) + getattr(self, f"w{i}")(x)
            x = F.gelu(y) if i < 3 else y
        if self.padding:
            x = x[(...,) + (slice(0, -self.padding),) * self.dims]
        x = x.permute(0, *range(2, self.dims + 2), 1)
        return self.fc2(F.gelu(self.fc1(x)))
