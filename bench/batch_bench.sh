#!/usr/bin/env bash
# The batch runner's two targets, on one node (not run by CI: it reads and writes GBs):
#   - throughput: `fluxcore batch fno` over 20 000 samples (8 chunks, so that reading,
#     computing and writing overlap as they do on a large input) against `fluxcore bench fno`
#     (same model, batch size and device), which times forwards alone. The two alternate
#     five times, because a shared VM's speed drifts by tens of percent over a minute, and
#     the ratio of each pair is reported with their median;
#   - memory: the peak resident set of `batch fno` over an input of GB gigabytes (at least
#     2 for the target), which must stay within 0.5 GB whatever the input's size.
#
#   bench/batch_bench.sh [BUILD_DIR] [GB]     (default build and 2.1; GB=0 skips the memory run)
#
# The model is the 2-D golden FNO (24 × 24 grid, 2304 bytes a sample), batch size 32.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fluxcore=$(cd "${1:-$root/build}" && pwd)/fluxcore
gb=${2:-2.1}
work=$(mktemp -d /tmp/fluxcore-batch-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
model=$root/engine/fno/testdata/golden/fno2d/model.safetensors

# make_input PATH SAMPLES: random samples, written a piece at a time (little memory).
make_input() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import sys, numpy as np
path, n = sys.argv[1], int(sys.argv[2])
a = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, 24, 24, 1))
rng = np.random.default_rng(3)
for lo in range(0, n, 50000):
    hi = min(n, lo + 50000)
    a[lo:hi] = rng.standard_normal((hi - lo, 24, 24, 1), dtype=np.float32)
a.flush()
PY
}

make_input "$work/small.npy" 20000
ratios=()
for round in 1 2 3 4 5; do
  bench=$("$fluxcore" bench fno --model "$model" --input "$work/small.npy" --batch-size 32 --iters 400 | sed -n 's/.*, \([0-9.]*\) samples\/s$/\1/p')
  rm -rf "$work/out"
  t0=$(date +%s%N)
  "$fluxcore" batch fno --model "$model" --input "$work/small.npy" --out-dir "$work/out" --batch-size 32 --chunk-size 2500 >/dev/null 2>&1
  batch=$(( 20000 * 1000000000 / ($(date +%s%N) - t0) ))
  ratio=$(/usr/bin/python3 -c "print(f'{$batch / $bench:.3f}')")
  ratios+=("$ratio")
  echo "round $round: bench fno $bench samples/s, batch fno $batch samples/s (wall, reading and writing included): $ratio"
done
echo "batch/bench throughput ratio, median of 5: $(printf '%s\n' "${ratios[@]}" | sort -n | sed -n 3p)"

if [ "$gb" != 0 ]; then
  samples=$(/usr/bin/python3 -c "print(int($gb * 1e9 / 2304) + 1)")
  make_input "$work/x.npy" "$samples"
  echo "memory: $samples samples, $(du -h "$work/x.npy" | cut -f1) of input"
  /usr/bin/time -f 'memory: batch fno took %e s, peak RSS %M KiB' "$fluxcore" batch fno --model "$model" --input "$work/x.npy" \
    --out-dir "$work/big" --batch-size 32 2>&1 | grep -E '^(memory|shard)'
fi
