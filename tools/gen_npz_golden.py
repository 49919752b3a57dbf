"""Writes npy/testdata/savez_compressed.npz and npy/testdata/savez.npz with NumPy, for
npy.ReadNPZ's and npy.OpenNPZ's tests: a float32 [2, 3] array a = 0.5·arange(6) and a
float64 [4] array b = linspace(-1, 2, 4), deflated as np.savez_compressed does, and stored
(with NumPy's zip64 extra fields) as np.savez does."""
import numpy as np

arrays = dict(
    a=(0.5 * np.arange(6, dtype=np.float32)).reshape(2, 3),
    b=np.linspace(-1, 2, 4),
)
np.savez_compressed("npy/testdata/savez_compressed.npz", **arrays)
np.savez("npy/testdata/savez.npz", **arrays)
