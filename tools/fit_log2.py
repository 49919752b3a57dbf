"""Fits fc_log2f_pos's mantissa polynomial (kernels/include/fc_math.h): log₂(1 + f) of degree 7
in f on [√½ − 1, √2 − 1], the range the kernel folds the mantissa into, by least squares on
200 Chebyshev nodes. Prints the coefficients, lowest power first, as the kernel stores them,
and the largest error over a dense grid after rounding them to float32. Needs NumPy.
Usage: /usr/bin/python3 tools/fit_log2.py"""
import numpy as np

DEGREE, NODES = 7, 200
LO, HI = np.sqrt(0.5) - 1, np.sqrt(2) - 1


def fit():
    k = np.arange(NODES)
    f = np.cos(np.pi * (k + 0.5) / NODES) * (HI - LO) / 2 + (LO + HI) / 2
    coef = np.polynomial.polynomial.polyfit(f, np.log2(1 + f), DEGREE)
    return np.float32(coef).astype(np.float64)


def main():
    coef = fit()
    f = np.linspace(LO, HI, 100001)
    err = np.max(np.abs(np.polynomial.polynomial.polyval(f, coef) - np.log2(1 + f)))
    print("coefficients:", ", ".join(f"{c:.10g}f" for c in coef))
    print(f"largest error {err:.2g}")


if __name__ == "__main__":
    main()
