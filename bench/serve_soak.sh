#!/usr/bin/env bash
# The serving soak (not run by CI: it takes MINUTES): `fluxcore serve` on the 2-D golden FNO
# under `fluxcore loadgen` at concurrency 64 (one-sample binary REST requests), sampling the
# server's goroutines and resident memory from /metrics every 30 s. Neither may grow.
#
#   bench/serve_soak.sh [BUILD_DIR] [MINUTES]     (default build and 10)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fluxcore=$(cd "${1:-$root/build}" && pwd)/fluxcore
minutes=${2:-10}
work=$(mktemp -d /tmp/fluxcore-soak.XXXXXX)
mkdir -p "$work/models/fno2d"
cp "$root/engine/fno/testdata/golden/fno2d/model.safetensors" "$work/models/fno2d/"
"$fluxcore" serve --models "$work/models" --http-port 0 --grpc-port 0 --metrics-port 0 --drain-delay 0s 2>"$work/serve.log" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q "REST http" "$work/serve.log" && break; sleep 0.1; done
api=$(sed -n 's/.*REST \(http:[^,]*\),.*/\1/p' "$work/serve.log")
metrics=$(sed -n 's/.*metrics \(http:.*\)\/metrics$/\1/p' "$work/serve.log")
sample() {
  curl -s "$metrics/metrics" | awk -v t="$1" '
    /^go_goroutines /{g=$2} /^process_resident_memory_bytes /{r=$2}
    /^nv_inference_request_success/{s=$2}
    END {printf "%6s s  goroutines %4d  rss %7.1f MB  requests %d\n", t, g, r/1e6, s}'
}
"$fluxcore" loadgen --url "$api" --model fno2d --shape 1,24,24,1 --concurrency 64 --binary --duration "${minutes}m" >"$work/loadgen.out" &
loadgen=$!
start=$(date +%s)
while kill -0 $loadgen 2>/dev/null; do
  sample $(( $(date +%s) - start ))
  sleep 30
done
cat "$work/loadgen.out"
sample $(( $(date +%s) - start ))
