#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kernel-check-debug: the patched series built with kernel/config-debug on top of
# kernel/config (DEBUG_VM, KASAN inline, PROVE_LOCKING, PAGE_TABLE_CHECK, ...) in
# build/kernel-debug, booted under qemu: the selftests, the library suite, then
# kernel/stress/mirror_stress for STRESS_S seconds (default 60, 30 in CI; STRESS_SEED=N replays a
# seed). Fails on any failing test, a failing or missing stress run (model mismatch,
# unexpected errno or fault, HugePages/Shmem counters not back to their start), a VM
# that does not finish, and on any splat (report.sh) in the console log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/report.sh"
t0=$(date +%s)
"$(dirname "$0")/src.sh"
"$(dirname "$0")/build.sh" "$KSRC" "$KOUT_DEBUG" "$KCONFIG_DEBUG"
KOUT=$KOUT_DEBUG "$(dirname "$0")/tests.sh"
t1=$(date +%s)

logs="$KBUILD/kernel-tests"
logf="$logs/console-debug.log"
# KASAN and lockdep slow the VM down several times: more time for each test.
STRESS_S=${STRESS_S:-$([ -n "${CI:-}" ] && echo 30 || echo 60)} VM_APPEND="mmtimeout=900" "$(dirname "$0")/vm.sh" debug "$KOUT_DEBUG/bzImage" "$logf"
t2=$(date +%s)

pass=0 fail=0 skip=0 failed_tests=
echo
printf '%-22s %-10s %-10s %s\n' TEST - DEBUG DETAIL
for t in $(cat "$logs/bin/LIST"); do
	p=$(verdict "$logf" "$t")
	note=$(totals "$logf" "$t")
	case "$p" in
	PASS) pass=$((pass + 1)) ;;
	SKIP) skip=$((skip + 1)) ;;
	*) fail=$((fail + 1)); failed_tests="$failed_tests $t"; note="FAILURE; $note" ;;
	esac
	printf '%-22s %-10s %-10s %s\n' "$t" - "$p" "$note"
done
library_row "$logf"
case "$lib_ok" in
1) pass=$((pass + 1)) ;;
0) fail=$((fail + 1)) ;;
esac
stress_row "$logf"
case "$stress_ok" in
1) pass=$((pass + 1)) ;;
skip) skip=$((skip + 1)) ;;
*) fail=$((fail + 1)) ;;
esac

for t in $failed_tests; do
	show_failed_test "$logf" "$t"
done
show_stress "$logf"
if splats "$logf"; then
	echo "kernel-check-debug: splats in $logf (the lines above; full text there)"
	fail=$((fail + 1))
fi
[ $fail -eq 0 ] || keep_logs "$logs" "$logf"
echo "kernel-check-debug: build $((t1 - t0))s, VM $((t2 - t1))s; log in $logf"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
