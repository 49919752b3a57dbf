#!/usr/bin/env bash
# check-lib.sh LIB HEADER [ARCHIVE]: libfluxcore.so exports exactly the functions HEADER declares,
# nothing of the Go runtime, and its SONAME carries the header's ABI version.
set -euo pipefail
lib=$1 header=$2
abi=$(sed -n 's/^#define FLUXCORE_ABI_VERSION \([0-9]*\)$/\1/p' "$header")
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
if [[ $soname != "libfluxcore.so.$abi" ]]; then
    echo "check-lib: $lib has SONAME '$soname', want libfluxcore.so.$abi (FLUXCORE_ABI_VERSION in $header)" >&2
    exit 1
fi
exported=$(nm -D --defined-only "$lib" | awk '{print $3}' | sort)
declared=$(grep -o '\bfluxcore_[a-z0-9_]*(' "$header" | tr -d '(' | sort -u)
if [[ $exported != "$declared" ]]; then
    echo "check-lib: $lib exports other symbols than $header declares:" >&2
    diff <(echo "$declared") <(echo "$exported") | sed -n 's/^</  declared, not exported:/p; s/^>/  exported, not declared:/p' >&2
    exit 1
fi
echo "check-lib: $lib (SONAME $soname) exports the $(echo "$exported" | wc -l) functions of $header, nothing else"

# The static archive (when given): the same functions are its only global definitions, so
# that a host program's own symbols never clash with the Go runtime's.
if [[ $# -ge 3 ]]; then
    archive=$3
    defined=$(nm -g --defined-only "$archive" 2>/dev/null | awk 'NF == 3 && $2 != "C" {print $3}' | sort)
    if [[ $defined != "$declared" ]]; then
        echo "check-lib: $archive defines other global symbols than $header declares:" >&2
        diff <(echo "$declared") <(echo "$defined") | sed -n 's/^</  declared, not defined:/p; s/^>/  defined, not declared:/p' >&2
        exit 1
    fi
    echo "check-lib: $archive defines the $(echo "$defined" | wc -l) functions of $header as its only globals"
fi
