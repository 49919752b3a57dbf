#!/usr/bin/env bash
# The GPU checks, as one call of the device tool on a lent GPU (../shared/device/README.md):
# pack here with ../shared/device/pack.sh, then `run` with carry [".device"] and the command
# `bash bench/gpu_check.sh`. It builds with -tags cuda on the device, runs the engine tests
# there (the conformance suite holds CUDA to the same references as the CPU; the planner's
# determinism test compares CUDA's choice with the CPU's), then the benchmark suites, and
# leaves logs and JSON under $OUT for bench/results/.
set -uo pipefail
out=${OUT:?set by the device tool}
bash .device/setup.sh && . .device/env.sh || exit 1
nvidia-smi -L | tee "$out/device.txt"
bin=$(mktemp -d)/fluxcore
go build -tags cuda -o "$bin" ./cmd/fluxcore || exit 1
go test -tags cuda -count=1 ./engine/... ./fft/... 2>&1 | tail -300 >"$out/test.log"
echo "tests: rc ${PIPESTATUS[0]}" | tee -a "$out/device.txt"
for suite in traj cov mix; do
	"$bin" bench --device cuda --suite "$suite" --json "$out/bench-$suite.json" >"$out/bench-$suite.txt" 2>&1
	echo "bench $suite: rc $?" | tee -a "$out/device.txt"
done
