#!/usr/bin/env bash
# localize-archive.sh GO_ARCHIVE OUT HEADER: turns go build's c-archive into one relocatable
# object whose only global definitions are the functions HEADER declares. A static archive
# has no version script; without this, a host program defining crosscall2, fatalf or any of
# the Go runtime's ~230 global symbols fails to link against libfluxcore.a.
set -euo pipefail
in=$(realpath "$1") out=$2 header=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && ar x "$in")
ld -r -o "$tmp/combined.o" "$tmp"/*.o
grep -o '\bfluxcore_[a-z0-9_]*(' "$header" | tr -d '(' | sort -u > "$tmp/keep"
objcopy --keep-global-symbols="$tmp/keep" "$tmp/combined.o" "$tmp/fluxcore.o"
rm -f "$out"
ar rcs "$out" "$tmp/fluxcore.o"
