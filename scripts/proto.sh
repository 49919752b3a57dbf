#!/usr/bin/env bash
# Generates serve/inferencepb's Go code from its .proto with Debian's protoc and the Go
# generators pinned below (Debian's protoc-gen-go-grpc is years old), installing whatever is
# missing. With --check it generates into a temporary directory and fails if the committed
# files differ, which .ci/run does.
#
#   scripts/proto.sh [--check]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
protoc_gen_go=google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
protoc_gen_go_grpc=google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.0
module=github.com/fluxcore/fluxcore
dir=serve/inferencepb

command -v protoc >/dev/null || bash scripts/apt-install.sh protobuf-compiler
bin=$root/build/bin
GOBIN=$bin go install "$protoc_gen_go"
GOBIN=$bin go install "$protoc_gen_go_grpc"

out=$root
if [ "${1:-}" = --check ]; then
	out=$(mktemp -d)
	trap 'rm -rf "$out"' EXIT
fi
PATH=$bin:$PATH protoc --proto_path="$dir" \
	--go_out="$out" --go_opt=module="$module" \
	--go-grpc_out="$out" --go-grpc_opt=module="$module" \
	"$dir"/*.proto
if [ "${1:-}" = --check ]; then
	for f in "$out/$dir"/*.go; do
		if ! cmp -s "$f" "$dir/$(basename "$f")"; then
			echo "proto: $dir/$(basename "$f") is stale: run make proto and commit it" >&2
			exit 1
		fi
	done
	echo "proto: $dir is fresh"
fi
