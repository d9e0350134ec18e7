#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kernel-check: build the patched and unpatched kernels and the tests, boot both under
# qemu, compare. loglevel=5 after quiet keeps WARN() (KERN_WARNING) on the console. Fails on a test that fails on the patched kernel (unless it fails on
# the unpatched one too), on a failing library test, on a failing stress run (a short one:
# STRESS_S, default 20 s), on a VM that does not finish and on any splat (report.sh) in the
# patched kernel's console log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/report.sh"
t0=$(date +%s)
"$(dirname "$0")/src.sh"
"$(dirname "$0")/build.sh" "$KSRC" "$KOUT"
"$(dirname "$0")/build.sh" "$KSRC_BASE" "$KOUT_BASE"
"$(dirname "$0")/tests.sh"
t1=$(date +%s)

logs="$KBUILD/kernel-tests"
"$(dirname "$0")/vm.sh" unpatched "$KOUT_BASE/bzImage" "$logs/console-unpatched.log"
# A short random stress run on the plain patched kernel (STRESS_S=0 skips it).
export STRESS_S=${STRESS_S:-20}
"$(dirname "$0")/vm.sh" patched "$KOUT/bzImage" "$logs/console-patched.log"
t2=$(date +%s)

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
			failed_tests="$failed_tests $t"
		fi ;;
	esac
	printf '%-22s %-10s %-10s %s\n' "$t" "$u" "$p" "$note"
done

library_row "$logs/console-patched.log"
case "$lib_ok" in
1) pass=$((pass + 1)) ;;
0) fail=$((fail + 1)) ;;
esac
if [ -n "${LIB_TESTS32_DIR:-}" ] && [ -d "$LIB_TESTS32_DIR" ]; then
	library_row "$logs/console-patched.log" MM-LIBRARY32 library32
	case "$lib_ok" in
	1) pass=$((pass + 1)) ;;
	*) fail=$((fail + 1)) ;;
	esac
fi
stress_row "$logs/console-patched.log"
case "$stress_ok" in
1) pass=$((pass + 1)) ;;
skip) skip=$((skip + 1)) ;;
*) fail=$((fail + 1)) ;;
esac

# A failure is shown in full, and its logs are kept: CI has nothing else to read.
for t in $failed_tests; do
	show_failed_test "$logs/console-patched.log" "$t"
done
show_stress "$logs/console-patched.log"
if splats "$logs/console-patched.log"; then
	echo "kernel-check: warnings or oopses in $logs/console-patched.log"
	fail=$((fail + 1))
fi
grep -qE 'WARNING:|BUG:|Oops|Call Trace' "$logs/console-unpatched.log" &&
	echo "note: the unpatched kernel's log has warnings ($logs/console-unpatched.log)"
[ $fail -eq 0 ] || keep_logs "$logs" "$logs"/console-*.log
echo "kernel-check: builds $((t1 - t0))s, VMs $((t2 - t1))s; logs in $logs/console-{unpatched,patched}.log"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
