#!/usr/bin/python3
"""Fits the rational approximation of the normal CDF behind fc_gelu (kernels/include/fc_math.h).

    Φ(x) ≈ 1/2 + x·P(x²)/Q(x²)   for |x| ≤ CLAMP, x clamped to ±CLAMP outside

P has degree 5 and Q degree 5 in x², Q(0) = 1. Beyond CLAMP = 5.5 the true Φ is within 1.9e-8 of
0 or 1, less than half a float32 ulp of 1, so clamping costs nothing measurable. The fit
minimizes the largest absolute error of Φ over [0, CLAMP] (the approximation is odd
around 1/2, so the negative half follows) by Loeb's linearization with Lawson's reweighting,
which converges to the minimax rational. It prints the C coefficients and the error of the
float32 evaluation against mpmath, which is what the conformance test bounds.

Run by hand (python3-numpy, python3-scipy, python3-mpmath from Debian):
    /usr/bin/python3 tools/fit_gelu.py
"""
import mpmath
import numpy as np
from scipy.special import ndtr

CLAMP = 5.5
P_DEGREE, Q_DEGREE = 5, 5


def fit(iterations=400):
    # Chebyshev-distributed nodes resolve the ends of the interval, where the error peaks.
    x = 0.5 * CLAMP * (1 - np.cos(np.linspace(0, np.pi, 6000)))
    x = x[x > 1e-6]
    s = (x / CLAMP) ** 2  # the fit runs in a scaled variable for conditioning
    target = (ndtr(x) - 0.5) / x
    p_powers = s[:, None] ** np.arange(P_DEGREE + 1)
    q_powers = s[:, None] ** np.arange(1, Q_DEGREE + 1)
    q = np.ones_like(s)
    lawson = np.ones_like(s)
    for i in range(iterations):
        # P − target·Q is linear in the coefficients; dividing by the previous Q makes its
        # minimizer that of P/Q − target, and the factor x turns it into Φ's error.
        weight = lawson * x / np.abs(q)
        system = np.hstack([p_powers, -target[:, None] * q_powers]) * weight[:, None]
        sol, *_ = np.linalg.lstsq(system, target * weight, rcond=None)
        a = sol[: P_DEGREE + 1]
        b = np.concatenate([[1.0], sol[P_DEGREE + 1 :]])
        q = np.polyval(b[::-1], s)
        err = x * (np.polyval(a[::-1], s) / q - target)
        if i >= 20:  # let the linearization settle before reweighting towards minimax
            lawson *= np.sqrt(np.abs(err))
            lawson /= lawson.max()
    # Back to powers of x².
    a = a / CLAMP ** (2 * np.arange(P_DEGREE + 1))
    b = b / CLAMP ** (2 * np.arange(Q_DEGREE + 1))
    return a.astype(np.float32), b.astype(np.float32), np.abs(err).max()


def gelu_float32(x, a, b):
    """The kernel's evaluation order in float32 (without FMA contraction, so slightly worse)."""
    f = np.float32
    x = x.astype(f)
    xc = np.clip(x, f(-CLAMP), f(CLAMP))
    t = xc * xc
    p = np.full_like(t, a[-1])
    for coef in a[-2::-1]:
        p = p * t + coef
    q = np.full_like(t, b[-1])
    for coef in b[-2::-1]:
        q = q * t + coef
    return x * (f(0.5) + xc * (p / q))


def main():
    a, b, fit_error = fit()
    xs = np.linspace(-20, 20, 40001)
    exact = np.array([float(0.5 * v * mpmath.erfc(-v / mpmath.sqrt(2))) for v in xs])
    got = gelu_float32(xs, a, b).astype(np.float64)
    scaled = np.abs(got - exact) / np.maximum(1, np.abs(xs))
    print(f"fit: largest |Φ error| {fit_error:.2e} on [0, {CLAMP}]")
    print(f"float32 GELU: largest |error|/max(1,|x|) {scaled.max():.2e} at x = {xs[scaled.argmax()]:.4g}")
    print("P (ascending powers of x²):", ", ".join(f"{c:.9e}f" for c in a))
    print("Q (ascending powers of x²):", ", ".join(f"{c:.9e}f" for c in b))


if __name__ == "__main__":
    main()
