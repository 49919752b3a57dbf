#!/usr/bin/env bash
# The serving throughput target (not run by CI): `fluxcore loadgen` at concurrency 64 with
# one-sample binary REST requests against `fluxcore serve` on the 2-D golden FNO, then
# `fluxcore bench fno` (forwards alone) at the mean batch size the batcher formed, read from
# the server's metrics, and the p99 latency that the server itself measured (Triton's
# request summary, the last minute's). The two alternate ROUNDS times, because a shared VM's speed drifts by
# tens of percent over a minute; each round's ratio and the median are printed. The load
# generator runs on the same machine and takes CPU from the server, which the printed CPU
# split shows.
#
#   bench/serve_bench.sh [BUILD_DIR] [ROUNDS] [SECONDS]     (default build, 5 and 10)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fluxcore=$(cd "${1:-$root/build}" && pwd)/fluxcore
rounds=${2:-5}
seconds=${3:-10}
work=$(mktemp -d /tmp/fluxcore-serve-bench.XXXXXX)
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/models/fno2d"
model=$root/engine/fno/testdata/golden/fno2d/model.safetensors
cp "$model" "$work/models/fno2d/"
/usr/bin/python3 -c "import numpy as np; np.save('$work/x.npy', np.random.default_rng(0).normal(size=(64, 24, 24, 1)).astype(np.float32))"

ratios=()
for round in $(seq "$rounds"); do
  "$fluxcore" serve --models "$work/models" --http-port 0 --grpc-port 0 --metrics-port 0 --drain-delay 0s 2>"$work/serve.log" &
  server=$!
  for _ in $(seq 100); do grep -q "REST http" "$work/serve.log" && break; sleep 0.1; done
  api=$(sed -n 's/.*REST \(http:[^,]*\),.*/\1/p' "$work/serve.log")
  metrics=$(sed -n 's/.*metrics \(http:.*\)\/metrics$/\1/p' "$work/serve.log")
  "$fluxcore" loadgen --url "$api" --model fno2d --shape 1,24,24,1 --concurrency 64 --binary --duration 2s >/dev/null # warm the runners
  cpu0=$(awk '{print $14+$15}' /proc/$server/stat)
  served=$("$fluxcore" loadgen --url "$api" --model fno2d --shape 1,24,24,1 --concurrency 64 --binary --duration "${seconds}s" --json)
  cpu1=$(awk '{print $14+$15}' /proc/$server/stat)
  curl -s "$metrics/metrics" >"$work/metrics.txt"
  batch=$(awk '/^fluxcore_batch_size_sum/{s=$2} /^fluxcore_batch_size_count/{c=$2} END {printf "%d", s/c + 0.5}' "$work/metrics.txt")
  server_p99=$(awk '/^nv_inference_request_summary_us\{.*quantile="0.99"/{printf "%.2f", $2/1000}' "$work/metrics.txt")
  kill -TERM $server; wait $server || true; server=
  offline=$("$fluxcore" bench fno --model "$model" --input "$work/x.npy" --batch-size "$batch" --iters 40 | sed 's/.* \([0-9.]*\) samples\/s$/\1/')
  read -r rate p50 p99 < <(echo "$served" | /usr/bin/python3 -c "import json,sys; r=json.load(sys.stdin)[0]; print(r['samples_per_second'], r['p50_ms'], r['p99_ms'])")
  ratio=$(echo "$rate $offline" | awk '{printf "%.3f", $1/$2}')
  ratios+=("$ratio")
  echo "round $round: served $rate samples/s (p50 $p50 ms, p99 $p99 ms, p99 inside the server $server_p99 ms, server CPU $(echo "$cpu0 $cpu1 $seconds" | awk '{printf "%.2f", ($2-$1)/100/$3}') cores), mean batch $batch, bench fno at batch $batch: $offline samples/s: $ratio"
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print "served/offline throughput ratio, median of " NR ": " a[int((NR+1)/2)]}'
