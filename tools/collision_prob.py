"""Measures the error of fc_traj.h's two collision-probability forms in float64 against a
fine chord integral, over random offsets, orientations and standard deviations from R/20 to
5R (R = 1), and prints the largest absolute errors the header comment and engine/backend
quote. Needs NumPy. Usage: /usr/bin/python3 tools/collision_prob.py [cases]"""
import sys
from math import erf, pi, sqrt

import numpy as np
from numpy.polynomial.legendre import leggauss

Phi = np.vectorize(lambda x: 0.5 * (1 + erf(x / sqrt(2))))


def chord_integral(ds, dl, ss, sl, r, s):
    """∫ φ(z/ss)/ss · [Φ((dl + h)/sl) − Φ((dl − h)/sl)] dz over chord positions s (units of R)."""
    z = ds + r * s
    h = r * np.sqrt(np.maximum(1 - s * s, 0))
    return np.exp(-0.5 * (z / ss) ** 2) / (ss * sqrt(2 * pi)) * (Phi((dl + h) / sl) - Phi((dl - h) / sl))


def reference(ds, dl, ss, sl, r, n=8001):
    s = np.linspace(-1, 1, n)
    return r * np.trapz(chord_integral(ds, dl, ss, sl, r, s), s)


def accurate(ds, dl, ss, sl, r):
    x, w = leggauss(16)
    lo, hi = max(-1.0, (-6 * ss - ds) / r), min(1.0, (6 * ss - ds) / r)
    if lo >= hi:
        return 0.0
    s = 0.5 * (hi + lo) + 0.5 * (hi - lo) * x
    return r * 0.5 * (hi - lo) * np.sum(w * chord_integral(ds, dl, ss, sl, r, s))


COARSE = [3.972468674e-01, -6.277999282e-02, 7.621082943e-03, -5.233872798e-04, 1.495873312e-05]


def phi_coarse(x):
    """fc_phi_coarse: ½ + an odd degree-9 polynomial (tools/fit_phi_coarse.py), x clamped to ±3.25."""
    xc = min(max(x, -3.25), 3.25)
    return 0.5 + xc * sum(c * xc ** (2 * k) for k, c in enumerate(COARSE))


def fast(ds, dl, ss, sl, r):
    a = sqrt(pi) / 2 * r
    f = phi_coarse
    return (f((ds + a) / ss) - f((ds - a) / ss)) * (f((dl + a) / sl) - f((dl - a) / sl))


def main():
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    rng = np.random.default_rng(1)
    rows = []
    for _ in range(cases):
        sl = 10 ** rng.uniform(np.log10(0.05), np.log10(5))
        ss = 10 ** rng.uniform(np.log10(0.05), np.log10(sl))  # the smaller axis
        ds, dl = rng.uniform(-2.5, 2.5, 2) * max(sl, 1)
        p = reference(ds, dl, ss, sl, 1.0)
        rows.append((ss, abs(accurate(ds, dl, ss, sl, 1.0) - p), abs(fast(ds, dl, ss, sl, 1.0) - p)))
    rows = np.array(rows)
    print(f"{cases} cases, sigma from R/20 to 5R")
    print(f"accurate (16-point Gauss-Legendre on the chords): max |error| {rows[:, 1].max():.2g}")
    for bound in (0.25, 0.1, 0.05):
        sel = rows[:, 0] >= bound
        print(f"fast (equal-area square), sigma_min >= {bound}R: max |error| {rows[sel, 2].max():.3f}")


if __name__ == "__main__":
    main()
