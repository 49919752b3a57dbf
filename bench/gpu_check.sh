#!/usr/bin/env bash
# The GPU checks of issue 16, as one unattended call of the device tool on a lent GPU
# (../shared/device/README.md). Here: bash bench/gpu_pack.sh (pack.sh, with the vendored
# modules compressed to fit the tool's 64 MiB), then `run` with carry [".device"] and the
# command `bash bench/gpu_check.sh`. There, in this order:
#
#   1. build fluxcore with -tags cuda (the device's CUDA headers, else the packed 11.8 ones)
#      and run the engine and fft tests, the conformance suite included: every CUDA op
#      against the float64 references and the CPU variants;
#   2. fluxcore bench --device cuda for the mix, cov and traj suites (cov measures the
#      device-to-device copy bandwidth in the same run);
#   3. the PyTorch peer on the same card: bench/fno_vs_torch.py --device cuda, eager and
#      torch.compile, CUDA events, against `fluxcore bench fno --device cuda` (the fno suite);
#   4. the CUDA conformance cases once under compute-sanitizer --tool memcheck.
#
# Every step runs under an overall deadline (GPU_CHECK_BUDGET_S, 540 s by default) so the
# script ends inside the device tool's 10-minute call whatever hangs; a step that gets too
# little time is skipped and says so. Results go to $OUT, eight files at most:
#   device.txt     what ran, each step's exit status and time, the libraries used, fluxcore info,
#                  the conformance suite's line per backend and every failing test
#   nvidia-smi.txt nvidia-smi -q before, and clocks and performance state after the benchmarks
#   test.log       go test -v output;  sanitizer.log  compute-sanitizer's report
#   bench.txt      the suites' tables;  bench.json  their JSON, one object per suite
#   peer.txt       the peer's table;  peer.json    every peer measurement
# Copy them to bench/results/<kind>-<date>-* and commit them with this command.
set -uo pipefail
out=${OUT:?OUT names the output folder (the device tool sets it)}
budget=${GPU_CHECK_BUDGET_S:-540}
deadline=$((SECONDS + budget))
log=$out/device.txt
work=$(mktemp -d)
bin=$work/fluxcore

note() { echo "$*" | tee -a "$log"; }

# step NAME CAP_SECONDS CMD...: runs CMD (a program, not a shell function: timeout runs it)
# with at most CAP seconds, or what is left before the deadline less a 15 s reserve, and
# records its status; it is skipped under 20 s.
step() {
	local name=$1 cap=$2
	shift 2
	local left=$((deadline - SECONDS - 15)) t0=$SECONDS rc
	local limit=$((cap < left ? cap : left))
	if ((limit < 20)); then
		note "== $name: skipped, ${left}s left before the deadline"
		return 1
	fi
	note "== $name (limit ${limit}s)"
	timeout --kill-after=10 "$limit" "$@"
	rc=$?
	note "   $name: rc $rc in $((SECONDS - t0))s$( ((rc == 124)) && echo ' (timed out)')"
	return $rc
}

# cuda_libs makes the linker find libcuda and libcufft under their unversioned names
# (mumax's bindings link -lcuda -lcufft): the driver's folder, the toolkit's, or the
# nvidia-* wheels PyTorch brings, whichever holds them; the folders also go on the
# run-time search path.
cuda_libs() {
	local links=$work/lib dirs=() lib d f
	mkdir -p "$links"
	dirs+=(/usr/local/nvidia/lib64 /usr/lib/x86_64-linux-gnu "${CUDA_HOME:-/usr/local/cuda}/lib64" /usr/local/cuda*/lib64)
	dirs+=($(python3 -c 'import glob, site; print(" ".join(d for p in site.getsitepackages() for d in glob.glob(p + "/nvidia/*/lib")))' 2>/dev/null))
	for lib in libcuda libcufft; do
		for d in "${dirs[@]}"; do
			f=$(ls "$d/$lib.so" "$d/$lib".so.* 2>/dev/null | head -1)
			if [ -n "$f" ]; then
				ln -sf "$f" "$links/$lib.so"
				LD_LIBRARY_PATH="$d:$LD_LIBRARY_PATH"
				note "   $lib: $f"
				break
			fi
		done
		[ -e "$links/$lib.so" ] || note "   $lib: not found in ${dirs[*]}"
	done
	export CGO_LDFLAGS="-L$links $CGO_LDFLAGS" LD_LIBRARY_PATH
}

note "gpu_check $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), budget ${budget}s"
if [ -f .device/vendor.tar.xz ] && [ ! -d .device/vendor ]; then
	tar -C .device -xJf .device/vendor.tar.xz || { note "unpacking the vendored modules failed"; exit 1; }
fi
bash .device/setup.sh || { note "setup.sh failed"; exit 1; }
if [ -f .device/go-std-doc.tar.xz ]; then
	tar -C .device/toolchain -xJf .device/go-std-doc.tar.xz || { note "restoring go/doc to the toolchain failed"; exit 1; }
fi
base_cflags=${CGO_CFLAGS:-} base_ldflags=${CGO_LDFLAGS:-}
. .device/env.sh
nvidia-smi -L | tee -a "$log"
nvidia-smi -q >"$out/nvidia-smi.txt" 2>&1
note "go $(go version | cut -d' ' -f3), nvcc $(nvcc --version 2>/dev/null | grep -o 'release [0-9.]*' || echo absent), python3 $(python3 -c 'import torch; print("torch", torch.__version__)' 2>&1 | tail -1)"
cuda_libs

# 1. Build and tests. CUDA 13 changed cuCtxCreate; if the device's headers reject the
# bindings, build against the packed 11.8 headers and the device's libraries.
if ! step "build (device headers)" 240 go build -tags cuda -o "$bin" ./cmd/fluxcore >>"$out/test.log" 2>&1; then
	export CGO_CFLAGS=$base_cflags CGO_LDFLAGS=$base_ldflags FLUXCORE_CUDA_HEADERS=carried
	. .device/env.sh
	cuda_libs
	step "build (carried 11.8 headers)" 240 go build -tags cuda -o "$bin" ./cmd/fluxcore >>"$out/test.log" 2>&1 ||
		{ note "no build; see test.log"; exit 1; }
fi
"$bin" info 2>&1 | tee -a "$log"
step "go test -tags cuda -v ./engine/... ./fft/..." 240 go test -tags cuda -count=1 -v ./engine/... ./fft/... >>"$out/test.log" 2>&1
# One line per backend of the conformance suite, and every failure, from the same run.
grep -E '^\s*--- (PASS|FAIL|SKIP): TestConformance/(cpu/[^/ ]+|cuda(/[^/ ]+)?) |--- FAIL|^(ok|FAIL)' "$out/test.log" | tee -a "$log"

# 2. The benchmark suites on the device, one JSON object per suite.
for suite in mix:60 cov:90 traj:150; do
	step "bench --suite ${suite%:*}" "${suite#*:}" "$bin" bench --device cuda --suite "${suite%:*}" \
		--json "$work/bench-${suite%:*}.json" >>"$out/bench.txt" 2>&1
done
python3 - "$work" >"$out/bench.json" <<'EOF'
import glob, json, os, sys
suites = {}
for path in sorted(glob.glob(os.path.join(sys.argv[1], "bench-*.json"))):
    with open(path) as f:
        suites[os.path.basename(path)[len("bench-"):-len(".json")]] = json.load(f)
json.dump(suites, sys.stdout, indent=1)
EOF
nvidia-smi -q -d CLOCK,PERFORMANCE >>"$out/nvidia-smi.txt" 2>&1

# 3. The PyTorch peer on the same card, with fluxcore's fno suite on the same files.
PYTHONUNBUFFERED=1 step "fno_vs_torch --device cuda" 200 python3 bench/fno_vs_torch.py --device cuda --iters 30 --rounds 3 \
	--fluxcore "$bin" --json "$out/peer.json" >"$out/peer.txt" 2>&1

# 4. The CUDA conformance cases under the memory checker (last: it is the slowest per case).
if go test -c -tags cuda -o "$work/enginetest.test" ./engine/enginetest >>"$out/sanitizer.log" 2>&1; then
	step "compute-sanitizer memcheck" 240 compute-sanitizer --tool memcheck --error-exitcode 86 --print-limit 50 \
		"$work/enginetest.test" -test.run 'TestConformance/cuda' -test.count=1 -test.v >>"$out/sanitizer.log" 2>&1
	grep -E 'ERROR SUMMARY|^(--- FAIL|ok|FAIL|PASS)' "$out/sanitizer.log" | tail -5 | tee -a "$log"
fi
note "done in ${SECONDS}s"
