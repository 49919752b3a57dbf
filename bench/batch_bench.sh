#!/usr/bin/env bash
# The batch runner's two targets, on one node (not run by CI: it reads and writes a few GB):
#   - throughput: `fluxcore batch fno` against `fluxcore bench fno` (same model, batch size
#     and device), which times forwards alone;
#   - memory: the peak resident set of `batch fno` over an input of at least 2 GB, which
#     must stay within 0.5 GB whatever the input's size.
#
#   bench/batch_bench.sh [BUILD_DIR] [GB]     (default build, 2.1 GB)
#
# The model is the 2-D golden FNO (24 × 24 grid, 2304 bytes a sample).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fluxcore=$(cd "${1:-$root/build}" && pwd)/fluxcore
gb=${2:-2.1}
work=$(mktemp -d /tmp/fluxcore-batch-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
model=$root/engine/fno/testdata/golden/fno2d/model.safetensors

# The input, written a piece at a time so that this script needs little memory either.
/usr/bin/python3 - "$work/x.npy" "$gb" <<'PY'
import sys, numpy as np
path, gb = sys.argv[1], float(sys.argv[2])
n = int(gb * 1e9 / (24 * 24 * 4)) + 1
a = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, 24, 24, 1))
rng = np.random.default_rng(3)
for lo in range(0, n, 50000):
    hi = min(n, lo + 50000)
    a[lo:hi] = rng.standard_normal((hi - lo, 24, 24, 1), dtype=np.float32)
a.flush()
print(f"input: {n} samples, {a.nbytes / 1e9:.2f} GB")
PY
/usr/bin/python3 -c "
import numpy as np; np.save('$work/small.npy', np.load('$work/x.npy', mmap_mode='r')[:20000])"
"$fluxcore" bench fno --model "$model" --input "$work/small.npy" --batch-size 32 --iters 100
/usr/bin/time -f 'batch fno: %e s wall, peak RSS %M KiB' "$fluxcore" batch fno --model "$model" --input "$work/x.npy" \
  --out-dir "$work/out" --batch-size 32 2>&1 | grep -v '^fluxcore batch: shard'
samples=$(/usr/bin/python3 -c "import numpy as np; print(np.load('$work/x.npy', mmap_mode='r').shape[0])")
echo "batch fno: $samples samples"
