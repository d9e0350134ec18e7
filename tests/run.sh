#!/bin/sh
# SPDX-License-Identifier: MIT
# Run every test program in a directory; each prints PASS/FAIL/SKIP lines.
# Ends with "N passed, N failed, N skipped". Exit 1 if anything failed.
# MMR_TEST_WRAPPER (e.g. valgrind ...) runs each program under a wrapper.
# MMR_TEST_TIMES=1 adds "TIME <case> Ns" lines and one "TIME <program> Ns".
dir=${1:-build/tests}
limit=${MMR_TEST_TIMEOUT:-600}
pass=0 fail=0 skip=0
log=$(mktemp) || exit 1
for t in "$dir"/*; do
	[ -x "$t" ] && [ -f "$t" ] || continue
	name=$(basename "$t")
	start=$(date +%s)
	if command -v timeout >/dev/null 2>&1; then
		timeout "$limit" $MMR_TEST_WRAPPER "$t" >"$log" 2>&1
	else
		$MMR_TEST_WRAPPER "$t" >"$log" 2>&1
	fi
	rc=$?
	cat "$log"
	[ -z "${MMR_TEST_TIMES:-}" ] || echo "TIME $name $(($(date +%s) - start))s"
	p=$(grep -c '^PASS ' "$log")
	f=$(grep -c '^FAIL ' "$log")
	s=$(grep -c '^SKIP ' "$log")
	# A program that failed without saying which case (crash, timeout,
	# sanitizer or valgrind report) counts as one failure.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $name: exited with status $rc"
		f=1
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
done
rm -f "$log"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
