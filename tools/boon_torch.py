"""BOON's boundary-corrected FNO forward pass (Saad et al., ICLR 2023) in PyTorch, 1-D to 3-D.

Written for fluxcore's golden data and demo training, after the semantics of the published code
(amazon-science/boon: src/models/corrections.py, operator.py, single_step/BOON_1d.py,
multi_step/BOON_2d.py and BOON_3d.py). One function runs both forms that fluxcore implements:

reference=True reproduces the published code, quirks included, so that trained BOON checkpoints
give the outputs they gave in PyTorch:
  * 1-D: pivots clamped on |K| < 1e-7; Neumann eliminates on the right only; GELU also runs at the
    boundary points (the code tests isinstance(bdy_left, Tensor) on a dict, which is never true).
  * 2-D: pivots clamped on the signed K < 1e-4; the right elimination reads 2·y[0] where 2·y[N−1]
    is meant; Dirichlet smooths rows 1..4 and N−5..N−2 with a 3-point mollifier after setting the
    boundary, in every layer and at the output; Neumann eliminates on both sides.
  * 3-D (Dirichlet only): pivots clamped on |K| < 1e-4, the 2·y[0] right elimination along x,
    then both x faces and both y faces set; GELU skips the x and y faces.
  * Neumann layers halve their output. 2-D and 3-D pad the last axis (time) by 9 and 6 unless
    periodic, and the boundary data are zero-padded with it.
  * Probes are K(e₁) and K(e_N) read at batch 0, channel 0 (and y = 0 in 3-D): scalars in 1-D,
    vectors over the last axis in 2-D and 3-D.

reference=False is the mathematically consistent form fluxcore applies to plain FNO checkpoints:
|K| < 1e-7 clamps, 2·y[N−1], both eliminations for Dirichlet and Neumann, no mollifier, no
halving, GELU skipping every corrected face, and the model's own padding (which must leave the
corrected axes unpadded).

The tensors are channels-first inside the layers, [batch, width, x, (y,) (t,)]; the corrected
axis is x (tensor dim 2); 3-D Dirichlet also sets the y faces (dim 3).
"""
import numpy as np
import torch
import torch.nn.functional as F


def layers_of(fno):
    return [(getattr(fno, f"conv{i}"), getattr(fno, f"w{i}")) for i in range(4)]


def boon_key(fno_key):
    """conv{i}.weights1 → conv_correction{i}.layer.weights1, w{i}.bias → w_correction{i}.layer.bias."""
    for prefix, wrapper in (("conv", "conv_correction"), ("w", "w_correction")):
        head, _, rest = fno_key.partition(".")
        if head.startswith(prefix) and head[len(prefix):].isdigit():
            return f"{wrapper}{head[len(prefix):]}.layer.{rest}"
    return fno_key


def boon_state(fno, boon_fc):
    """A BOON_FNO checkpoint's state_dict: BOON's own fc0/fc1/fc2, the base FNO's layers reached
    through conv_correction{i}.layer and w_correction{i}.layer, and base_no.* (unused by the
    forward pass, present in every real checkpoint)."""
    state = {k: v for k, v in boon_fc.items()}
    for k, v in fno.state_dict().items():
        state["base_no." + k] = v.clone()
        if boon_key(k) != k:
            state[boon_key(k)] = v.clone()
    return state


def default_stencils(h):
    """fluxcore's default normalized stencils (fno.NeumannStencils): third-order one-sided."""
    return [-6 * h / 11, -18 / 11, 9 / 11, -2 / 11], [-2 / 11, 9 / 11, -18 / 11, 6 * h / 11]


def grid_channels(shape, lb, ub):
    """The coordinate channels the reference appends: linspace(lb, ub, n) per axis, endpoint in."""
    dims = len(shape) - 2
    out = []
    for a in range(dims):
        n = shape[1 + a]
        g = torch.tensor(np.linspace(lb, ub, n), dtype=torch.float)
        view = [1] * (dims + 2)
        view[1 + a] = n
        reps = list(shape[:-1]) + [1]
        reps[1 + a] = 1
        out.append(g.reshape(view).repeat(reps))
    return out


def mollify(t, dim, k=5):
    """The reference's 3-point smoothing of rows 1..k−1 and N−k..N−2 along dim (each block's
    right-hand side read before it is written, the second block after the first)."""
    u = t.transpose(0, dim)
    u[1:k] = (u[0:k - 1] + u[1:k] + u[2:k + 1]) / 3
    u[-k:-1] = (u[-k - 1:-2] + u[-k:-1] + u[-k + 1:]) / 3


def stencil_value(t, dim, stencil, flux, right):
    """BOON's Neumann boundary value along dim: g·c_b − Σ_interior c_j·u_j, with c_b the first
    coefficient on the left and the last on the right."""
    u = t.movedim(dim, -1)
    c = torch.tensor(stencil, dtype=t.dtype)
    if right:
        return flux * c[-1] - (u[..., -len(c):-1] * c[:-1]).sum(-1)
    return flux * c[0] - (u[..., 1:len(c)] * c[1:]).sum(-1)


class Corrected:
    """One corrected kernel (a spectral convolution or a 1×1 convolution)."""

    def __init__(self, layer, kind, dims, reference, like):
        self.layer, self.kind, self.dims, self.reference = layer, kind, dims, reference
        if kind == "periodic":
            return
        signed = reference and dims == 2
        tol = 1e-7 if (dims == 1 or not reference) else 1e-4
        e1, eN = torch.zeros_like(like), torch.zeros_like(like)
        e1[:, :, 0] = 1
        eN[:, :, -1] = 1
        k1, kN = layer(e1), layer(eN)
        pick = (lambda t, i: t[0, 0, i]) if dims == 1 else (lambda t, i: t[(0, 0, i) + (0,) * (dims - 2)].clone())

        def clamp(v):
            if dims == 1:
                return torch.full_like(v, tol) if abs(v) < tol else v
            v = v.clone()
            v[(v < tol) if signed else (v.abs() < tol)] = tol
            return v

        self.k00, self.kn0 = clamp(pick(k1, 0)), pick(k1, -1)
        self.k0n, self.knn = pick(kN, 0), clamp(pick(kN, -1))
        self.tk00 = clamp(self.k00 - self.kn0 * self.k0n / self.knn)

    def eliminate(self, x, left, right):
        if left:
            kx = self.layer(x)
            t2 = x.clone()
            t2[:, :, 0] = 2 * x[:, :, 0] - (1 / self.tk00) * (kx[:, :, 0] - kx[:, :, -1] * self.k0n / self.knn
                                                              + self.k0n * x[:, :, -1])
        else:
            t2 = x
        ky = self.layer(t2)
        if right:
            t3 = t2.clone()
            base = t2[:, :, 0] if (self.reference and self.dims > 1) else t2[:, :, -1]
            t3[:, :, -1] = 2 * base - ky[:, :, -1] / self.knn
        else:
            t3 = t2
        return self.layer(t3)

    def __call__(self, x, bc):
        if self.kind == "periodic":
            t = self.layer(x)
            avg = 0.5 * t[:, :, 0] + 0.5 * t[:, :, -1]
            t[:, :, 0] = avg
            t[:, :, -1] = avg
            if self.dims == 3 and not self.reference:
                avg = 0.5 * t[:, :, :, 0] + 0.5 * t[:, :, :, -1]
                t[:, :, :, 0] = avg
                t[:, :, :, -1] = avg
            return t
        if self.kind == "dirichlet":
            t = self.eliminate(x, True, True)
            t[:, :, 0] = bc["left"]
            t[:, :, -1] = bc["right"]
            if self.dims == 3:
                t[:, :, :, 0] = bc["top"]
                t[:, :, :, -1] = bc["down"]
            if self.reference and self.dims == 2:
                mollify(t, 2)
            return t
        # Neumann
        t = self.eliminate(x, not (self.reference and self.dims == 1), True)
        left = stencil_value(t, 2, bc["stencil_left"], bc["left"], False)
        right = stencil_value(t, 2, bc["stencil_right"], bc["right"], True)
        t[:, :, 0] = left
        t[:, :, -1] = right
        return t / 2 if self.reference else t


def forward(x, fc0, layers, fc1, fc2, kind, bc, reference, padding, lb=0.0, ub=1.0):
    """The corrected forward pass. x: [batch, *grid, channels]; layers: four (conv, w) pairs;
    bc: for dirichlet "left"/"right" (and "top"/"down" in 3-D) as [batch, *face]; for neumann
    "left"/"right" fluxes of the same shape and "stencil_left"/"stencil_right". padding: per axis."""
    dims = x.dim() - 2
    faces0 = {"left", "right"} | ({"top", "down"} if dims == 3 else set())
    # [batch, *face] → [batch, 1, *face], zero-padded like the activations.
    padded = {}
    for key in faces0 & bc.keys():
        v = bc[key].unsqueeze(1)
        pads = padding[1:] if key in ("left", "right") else (padding[0],) + tuple(padding[2:])
        padded[key] = F.pad(v, [q for p in reversed(pads) for q in (0, p)]) if pads else v
    lbc = dict(bc, **padded)

    x = fc0(torch.cat([x] + grid_channels(x.shape, lb, ub), dim=-1))
    x = x.permute(0, dims + 1, *range(1, dims + 1))
    x = F.pad(x, [q for p in reversed(padding) for q in (0, p)])

    # Which points the GELUs skip: the 1-D reference skips none (its isinstance test on a dict);
    # periodic skips none; otherwise the corrected faces.
    def interior_gelu(t, channel_dim):
        if kind == "periodic" or (reference and dims == 1):
            return F.gelu(t)
        sel = [slice(None)] * t.dim()
        first = 2 if channel_dim == 1 else 1
        sel[first] = slice(1, -1)
        if dims == 3:
            sel[first + 1] = slice(1, -1)
        t = t.clone()
        t[tuple(sel)] = F.gelu(t[tuple(sel)].clone())
        return t

    corrected = [(Corrected(c, kind, dims, reference, x), Corrected(w, kind, dims, reference, x)) for c, w in layers]
    for i, (c, w) in enumerate(corrected):
        x = c(x, lbc) + w(x, lbc)
        if i < len(corrected) - 1:
            x = interior_gelu(x, 1)
    x = x[(slice(None), slice(None)) + tuple(slice(0, x.shape[2 + a] - p) for a, p in enumerate(padding))]
    x = x.permute(0, *range(2, dims + 2), 1)
    x = fc2(interior_gelu(fc1(x), -1))

    # strict_enforce_bdy on [batch, *grid, 1]
    u = x[..., 0]
    if kind == "dirichlet":
        u[:, 0] = bc["left"]
        u[:, -1] = bc["right"]
        if dims == 3:
            u[:, :, 0] = bc["top"]
            u[:, :, -1] = bc["down"]
        if reference and dims == 2:
            mollify(u, 1)
    elif kind == "periodic":
        for d in range(1, (3 if dims == 3 else 2)):
            avg = 0.5 * u.select(d, 0) + 0.5 * u.select(d, -1)
            u.select(d, 0).copy_(avg)
            u.select(d, -1).copy_(avg)
    else:
        u[:, 0] = stencil_value(u, 1, bc["stencil_left"], bc["left"], False)
        u[:, -1] = stencil_value(u, 1, bc["stencil_right"], bc["right"], True)
    return x
