#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kernel-check: build the patched and unpatched kernels and the tests, boot both under
# qemu, compare. loglevel=5 after quiet keeps WARN() (KERN_WARNING) on the console. Fails on a test that fails on the patched kernel (unless it fails on
# the unpatched one too), on a failing library test, on a VM that does not finish and
# on any WARN/BUG/Oops/Call Trace in the patched kernel's console log.
. "$(dirname "$0")/lib.sh"
t0=$(date +%s)
"$(dirname "$0")/src.sh"
"$(dirname "$0")/build.sh" "$KSRC" "$KOUT"
"$(dirname "$0")/build.sh" "$KSRC_BASE" "$KOUT_BASE"
"$(dirname "$0")/tests.sh"
t1=$(date +%s)

logs="$KBUILD/kernel-tests"
"$(dirname "$0")/vm.sh" unpatched "$KOUT_BASE/bzImage" "$logs/console-unpatched.log"
"$(dirname "$0")/vm.sh" patched "$KOUT/bzImage" "$logs/console-patched.log"
t2=$(date +%s)

verdict() { # LOG NAME -> PASS/FAIL/SKIP/MISSING
	local rc
	rc=$(awk -v n="$2" '$1 == "MM-RESULT" && $2 == n { print $3 }' "$1")
	case "$rc" in
	0) echo PASS ;;
	4) echo SKIP ;;
	"") echo MISSING ;;
	*) echo "FAIL($rc)" ;;
	esac
}
totals() { # LOG NAME -> kselftest totals, if any
	grep -E "^\[$2\] # Totals: " "$1" | tail -1 | sed -E 's/.*Totals: //; s/ xfail:0 xpass:0//; s/ error:0//' || true
}

# The series' own tests must pass on the patched kernel, whatever the unpatched one does.
is_new() {
	case "$1" in
	mremap_mirror | mremap_mirror_hugetlb | mremap_populate) return 0 ;;
	*) return 1 ;;
	esac
}

pass=0 fail=0 skip=0 failed_tests=
echo
printf '%-22s %-10s %-10s %s\n' TEST UNPATCHED PATCHED "PATCHED DETAIL"
for t in $(cat "$logs/bin/LIST"); do
	u=$(verdict "$logs/console-unpatched.log" "$t")
	p=$(verdict "$logs/console-patched.log" "$t")
	note=$(totals "$logs/console-patched.log" "$t")
	case "$p" in
	PASS) pass=$((pass + 1)) ;;
	SKIP) skip=$((skip + 1)) ;;
	*)	if ! is_new "$t" && [ "$u" != PASS ]; then
			skip=$((skip + 1)); note="fails unpatched too; $note"
		else
			fail=$((fail + 1)); note="REGRESSION/FAILURE; $note"
		fi ;;
	esac
	printf '%-22s %-10s %-10s %s\n' "$t" "$u" "$p" "$note"
	case "$note" in
	REGRESSION*) failed_tests="$failed_tests $t" ;;
	esac
done
# A failure is shown in full, and its logs are kept: CI has nothing else to read.
for t in $failed_tests; do
	echo "---- $t on the patched kernel:"
	grep -E "^\[$t\] " "$logs/console-patched.log" | grep -vE '^\[[^]]*\] (ok|#  RUN|#            OK) ' | tail -n 60
done
if [ -n "$failed_tests" ]; then
	keep="$logs/failed-$(date +%Y%m%d-%H%M%S)"
	mkdir -p "$keep" && cp "$logs"/console-*.log "$keep"/
	echo "kernel-check: logs kept in $keep"
fi

lib=$(grep '^MM-LIBRARY' "$logs/console-patched.log" || true)
if [ -n "$lib" ]; then
	counts=$(echo "$lib" | grep -oE '[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?' || true)
	printf '%-22s %-10s %-10s %s\n' library - "$(echo "$lib" | grep -q 'rc=0' && echo PASS || echo FAIL)" "$counts"
	if echo "$lib" | grep -q 'rc=0' && [ -n "$counts" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi
else
	printf '%-22s %-10s %-10s %s\n' library - - "not built (no build/tests-static or tests/run.sh)"
fi

if grep -nE 'WARNING:|BUG:|BUG |Oops|Call Trace|kernel BUG|general protection' "$logs/console-patched.log"; then
	echo "kernel-check: warnings or oopses in $logs/console-patched.log"
	fail=$((fail + 1))
fi
grep -qE 'WARNING:|BUG:|Oops|Call Trace' "$logs/console-unpatched.log" &&
	echo "note: the unpatched kernel's log has warnings ($logs/console-unpatched.log)"
echo "kernel-check: builds $((t1 - t0))s, VMs $((t2 - t1))s; logs in $logs/console-{unpatched,patched}.log"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
