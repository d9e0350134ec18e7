#!/bin/sh
# SPDX-License-Identifier: MIT
# make check: run every suite, then one total line "N passed, N failed,
# N skipped" over all of them. A suite that fails without a summary line
# (a build error, a crash) counts as one failure.
# usage: check-all.sh suite...   (each a make target)
make=${MAKE:-make}
pass=0 fail=0 skip=0 status=0 report=
log=$(mktemp) || exit 1
for suite in "$@"; do
	echo "=== make $suite"
	{ $make --no-print-directory "$suite" 2>&1; echo "$?" >"$log.rc"; } | tee "$log"
	rc=$(cat "$log.rc")
	line=$(grep -E '^[A-Za-z-]*:? ?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
	f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
	s=$(echo "$line" | grep -oE '[0-9]+ skipped' | grep -oE '[0-9]+')
	if [ -z "$line" ]; then
		p=0 f=1 s=0
		line="no summary line (build or harness failure)"
	fi
	[ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ] && f=1
	[ "${f:-0}" -ne 0 ] && status=1
	pass=$((pass + ${p:-0})) fail=$((fail + ${f:-0})) skip=$((skip + ${s:-0}))
	report="$report$(printf '  %-16s %s' "$suite" "$line")
"
done
rm -f "$log" "$log.rc"
echo
echo "=== summary"
printf '%s' "$report"
echo "$pass passed, $fail failed, $skip skipped"
exit $status
