#!/usr/bin/env bash
# The in-flight memory bound against a flood (not run by CI): CALLS gRPC calls of MIB MiB
# each, sent at once to `fluxcore serve` with its default limits, then the server's peak
# resident memory (VmHWM). With --max-inflight-bytes at its 1 GiB default, the peak must
# stay near it, however many calls come.
#
#   bench/serve_flood.sh [BUILD_DIR] [CALLS] [MIB]     (default build, 64 and 32)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
calls=${2:-64}
mib=${3:-32}
work=$(mktemp -d /tmp/fluxcore-serve-flood.XXXXXX)
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
(cd "$root" && go build -o "$work/grpcflood" ./bench/grpcflood)
mkdir -p "$work/models/fno2d"
cp "$root/engine/fno/testdata/golden/fno2d/model.safetensors" "$work/models/fno2d/"
"$build/fluxcore" serve --models "$work/models" --http-port 0 --grpc-port 0 --metrics-port 0 --drain-delay 0s 2>"$work/serve.log" &
server=$!
for _ in $(seq 100); do grep -q "REST http" "$work/serve.log" && break; sleep 0.1; done
grpc=$(sed -n 's/.*gRPC \([^,]*\),.*/\1/p' "$work/serve.log")
echo "server at start: $(grep VmHWM /proc/$server/status)"
start=$(date +%s.%N)
"$work/grpcflood" "$grpc" fno2d "$calls" "$mib"
echo "in $(echo "$start $(date +%s.%N)" | awk '{printf "%.1f", $2-$1}') s; server peak: $(grep VmHWM /proc/$server/status)"
