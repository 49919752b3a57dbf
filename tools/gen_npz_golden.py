"""Writes npy/testdata/savez_compressed.npz with NumPy, for npy.ReadNPZ's test:
a float32 [2, 3] array a = 0.5·arange(6) and a float64 [4] array b = linspace(-1, 2, 4),
deflated as np.savez_compressed does."""
import numpy as np

np.savez_compressed(
    "npy/testdata/savez_compressed.npz",
    a=(0.5 * np.arange(6, dtype=np.float32)).reshape(2, 3),
    b=np.linspace(-1, 2, 4),
)
