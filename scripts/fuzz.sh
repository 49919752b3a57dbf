#!/usr/bin/env bash
# Runs each native fuzz target for FUZZTIME and prints its execution count. A target fails
# only on a finding: a panic or failed check, which Go writes to the package's
# testdata/fuzz/<target>/. Go 1.26's coordinator can also end a clean run with a bare
# "context deadline exceeded" when -fuzztime expires mid-execution (golang/go#75804, fixed in
# Go 1.27); that, with no reproducer written, is reported and not counted as a failure.
#
# usage: scripts/fuzz.sh FUZZTIME pkg:Target...
set -uo pipefail
fuzztime=$1
shift
failed=0
for t in "$@"; do
	pkg=${t%%:*}
	name=${t##*:}
	log=$(mktemp)
	go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime 3s "$pkg" >"$log" 2>&1
	status=$?
	execs=$(grep 'execs:' "$log" | tail -1 | sed 's/.*execs: \([0-9]*\).*/\1/')
	if [ "$status" -eq 0 ]; then
		echo "$name: ${execs:-0} executions, no finding"
	elif grep -q 'Failing input written to\|panic:' "$log" || ! grep -q 'context deadline exceeded' "$log"; then
		echo "$name: FAILED after ${execs:-0} executions"
		grep -v 'fuzz: elapsed' "$log"
		failed=1
	else
		echo "$name: ${execs:-0} executions, no finding (coordinator deadline race, golang/go#75804)"
	fi
	rm -f "$log"
done
exit $failed
