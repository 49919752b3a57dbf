#!/usr/bin/env bash
# Prepares .device/ for bench/gpu_check.sh and checks that it can travel. It runs
# ../shared/device/pack.sh and mends two things in what it packs:
#   - the vendored module sources are compressed (26 MB of Go source as a folder, about a
#     fifth of that as .tar.xz): the device tool sends at most 64 MiB of working tree and
#     carried paths together, and the folder alone put this project over it;
#   - pack.sh drops every folder named doc from the Go toolchain, which takes the standard
#     library's go/doc and go/doc/comment with it; go/format (kernels/gen) imports them
#     through go/printer, so no build could succeed. They travel in a small archive of their own.
# gpu_check.sh unpacks both on the device around setup.sh.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
bash "$root/../shared/device/pack.sh"
tar -C .device -cJf .device/vendor.tar.xz vendor
rm -rf .device/vendor
goroot=$(go env GOROOT)
tar -C "$(dirname "$goroot")" --exclude='*_test.go' --exclude=testdata --transform "s,^$(basename "$goroot"),go," \
	-cJf .device/go-std-doc.tar.xz "$(basename "$goroot")/src/go/doc"
limit=$((64 << 20))
tree=$(git ls-files -co --exclude-standard -z | du -cb --files0-from=- | tail -1 | cut -f1)
device=$(du -sb .device | cut -f1)
echo "gpu_pack: working tree $((tree >> 20)) MiB + .device $((device >> 20)) MiB of the device tool's 64 MiB"
if ((tree + device > limit)); then
	echo "gpu_pack: $((tree + device)) bytes is over the limit of $limit" >&2
	exit 1
fi
