"""Fits fc_phi_coarse (kernels/include/fc_traj.h): Φ(x) ≈ ½ + x·P(x²) of odd degree 9 on
|x| ≤ 3.25, by reweighted least squares toward minimax, with x clamped to ±3.25 beyond (so
that the CPU loop needs a min and a max, not compares and blends). Prints the coefficients,
the largest error over the whole line and whether the polynomial is monotone on the
interval, which keeps its values inside (0, 1) with no clamp of the result. Needs NumPy.
Usage: /usr/bin/python3 tools/fit_phi_coarse.py"""
from math import erf, pi, sqrt

import numpy as np

LIMIT, TERMS = 3.25, 5
Phi = np.vectorize(lambda x: 0.5 * (1 + erf(x / sqrt(2))))


def fit():
    x = np.cos(np.linspace(0, pi, 4000)) * LIMIT
    y = Phi(x) - 0.5
    basis = np.stack([x ** (2 * i + 1) for i in range(TERMS)], 1)
    w = np.ones_like(x)
    for _ in range(60):
        coef, *_ = np.linalg.lstsq(basis * w[:, None], y * w, rcond=None)
        r = np.abs(basis @ coef - y)
        w *= np.sqrt(r / r.max() + 1e-3)
        w /= w.max()
    return np.float32(coef).astype(np.float64)  # as the kernel stores them


def phi_coarse(x, coef):
    xc = np.clip(x, -LIMIT, LIMIT)
    return 0.5 + xc * sum(c * xc ** (2 * k) for k, c in enumerate(coef))


def main():
    coef = fit()
    xs = np.linspace(-10, 10, 200001)
    err = np.abs(phi_coarse(xs, coef) - Phi(xs)).max()
    inside = np.linspace(-LIMIT, LIMIT, 100001)
    monotone = bool(np.all(np.diff(phi_coarse(inside, coef)) > 0))
    print("coefficients:", ", ".join(f"{c:.9e}" for c in coef))
    print(f"max |error| over the line {err:.2g}; monotone on |x| <= {LIMIT}: {monotone}; "
          f"range [{phi_coarse(-LIMIT, coef):.6f}, {phi_coarse(LIMIT, coef):.6f}]")


if __name__ == "__main__":
    main()
