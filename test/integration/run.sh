#!/usr/bin/env bash
# Runs every test/integration/t-*.sh (or those named as arguments), each in
# its own scratch directory, and ends with the line 'N passed, N failed'.
# Needs HSYNC_BIN (our programs) and HSYNC_TOP (the source tree); make sets both.
set -u
top=${HSYNC_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
export HSYNC_TOP=$top
export HSYNC_BIN=${HSYNC_BIN:-$top/build/bin}
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=("$top"/test/integration/t-*.sh)
pass=0 fail=0 failed=()
for t in "${tests[@]}"; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	work=$(mktemp -d "/tmp/hsync-$name.XXXXXX")
	start=$(date +%s)
	if HSYNC_WORK=$work bash "$t" >"$work/out.log" 2>&1; then
		pass=$((pass + 1)); echo "PASS $name ($(( $(date +%s) - start )) s)"
		rm -rf "$work"
	else
		fail=$((fail + 1)); failed+=("$name")
		echo "FAIL $name ($(( $(date +%s) - start )) s); output follows, work dir $work"
		sed 's/^/    /' "$work/out.log" | tail -60
	fi
done
echo "integration: $pass passed, $fail failed"
[ $fail -eq 0 ]
