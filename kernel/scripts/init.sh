#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# /init of the test initramfs: mount, run every test with a timeout, report
# "MM-RESULT <name> <exit status>" lines on the serial console, power off.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/shm /dev/hugepages /tmp
mount -t tmpfs tmp /tmp
mount -t tmpfs shm /dev/shm
mount -t hugetlbfs huge /dev/hugepages
# 256 MiB upstream hugetlb tests (hugepage-mmap, -shm, map_hugetlb) + the series own
echo 160 > /proc/sys/vm/nr_hugepages
# No brk randomisation: upstream mremap_test's 40MB-preamble case maps at fixed
# low addresses that a randomised heap of these static binaries can occupy
# (EEXIST in about 1 run of 4, on patched and unpatched kernels alike).
echo 1 > /proc/sys/kernel/randomize_va_space
label=$(sed -n 's/.*mmlabel=\([^ ]*\).*/\1/p' /proc/cmdline)
tmo=$(sed -n 's/.*mmtimeout=\([0-9]*\).*/\1/p' /proc/cmdline)
MM_TIMEOUT=${tmo:-${MM_TIMEOUT:-300}}
echo "MM-BEGIN $label $(uname -r) hugepages=$(cat /proc/sys/vm/nr_hugepages)"
cd /tests
for t in $(cat LIST); do
	echo "MM-START $t"
	start=$(date +%s)
	timeout ${MM_TIMEOUT:-300} ./$t > /tmp/$t.log 2>&1
	rc=$?
	sed "s/^/[$t] /" /tmp/$t.log
	echo "MM-RESULT $t $rc $(( $(date +%s) - start ))s"
done
# The library suite (64-bit, then i386 when packed), with a TIME line per program
# and per case (MMR_TEST_TIMES) to see what makes a run slow.
if [ -x /lib-tests/run.sh ]; then
	cd /lib-tests
	export MMR_TEST_TIMES=1
	for bits in "" 32; do
		[ -d /lib-tests/bin$bits ] || continue
		echo "MM-START library$bits"
		start=$(date +%s)
		# The i386 run checks 32-bit code, not load: the quick sizes (as valgrind).
		[ -z "$bits" ] || export MMR_TEST_QUICK=1
		# Streamed, so that a run that hangs shows where.
		{ ./run.sh /lib-tests/bin$bits 2>&1; echo $? > /tmp/lib$bits.rc; } |
			tee /tmp/lib$bits.log | sed "s/^/[library$bits] /"
		rc=$(cat /tmp/lib$bits.rc)
		echo "MM-LIBRARY$bits rc=$rc time=$(( $(date +%s) - start ))s" \
			"$(grep -E '[0-9]+ passed, [0-9]+ failed' /tmp/lib$bits.log | tail -1)"
	done
fi
# The random stress (kernel/stress/mirror_stress.c): through a pipe, not a file in
# /tmp, so that its own output does not move the Shmem counter it checks.
if [ -x /stress/mirror_stress ]; then
	echo "MM-START stress"
	. /stress/env
	cd /stress
	( timeout $((${STRESS_S:-60} + 600)) ./mirror_stress --require-series $STRESS_ARGS 2>&1
	  echo "MM-STRESS rc=$?" ) | sed 's/^/[stress] /; s/^\[stress\] MM-STRESS/MM-STRESS/'
fi
echo "MM-END"
sync
reboot -f
