#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kernel-bench: boot the patched kernel, built -O2 (kernel/config-bench), and run
# kernel/bench/mirror_populate on a resident 1 GiB memfd, a 512 MiB memfd of shmem
# THPs and a 512 MiB hugetlb memfd: the cost of a populated mirror by
# MADV_POPULATE_READ, by touching, and by MREMAP_POPULATE, side by side in one VM
# run; then kernel/bench/mirror_lockhold: how long another thread's faults wait
# while a 3 GiB mirror is populated, MREMAP_POPULATE against MADV_POPULATE_READ.
# TCG times are emulated: read the ratios.
# BENCH_ARGS="shmem_MiB thp_MiB hugetlb_MiB rounds", LOCKHOLD_ARGS="MiB rounds".
# BENCH_APPEND adds to the kernel command line (maxcpus=1, acpi=off...), and vm.sh's
# VM_SMP and VM_TCG_THREAD change the emulator: set-ups compared in bench/RESULTS.md.
# BENCH_EXPERIMENT=PATCH: the same run on the series plus PATCH (one of
# kernel/bench/experiments/), in a source tree and build folder of its own.
. "$(dirname "$0")/lib.sh"
"$(dirname "$0")/src.sh"
src=$KSRC out=$KOUT_BENCH label=bench
if [ -n "${BENCH_EXPERIMENT:-}" ]; then
	experiment_tree "$BENCH_EXPERIMENT"
	src=$EXP_SRC out=$EXP_OUT label=$EXP_LABEL
fi
"$(dirname "$0")/build.sh" "$src" "$out" "$KCONFIG_BENCH"
need_pkgs build-essential

res="$KBUILD/kernel-bench${BENCH_EXPERIMENT:+-$label}"
fresh_bin "$res"
gcc -static -O2 -Wall -Wextra -Werror -isystem "$out/usr/include" \
	-o "$bin/mirror_populate" kernel/bench/mirror_populate.c
gcc -static -O2 -Wall -Wextra -Werror -pthread -isystem "$out/usr/include" \
	-o "$bin/mirror_lockhold" kernel/bench/mirror_lockhold.c
read -r shmem thp huge rounds <<<"${BENCH_ARGS:-1024 512 512 5}"
# The lock-hold benchmark: LOCKHOLD_ARGS="MiB rounds" (a resident memfd).
read -r lock_mib lock_rounds <<<"${LOCKHOLD_ARGS:-3072 5}"
cat > "$bin/kernel-bench" <<SH
#!/bin/sh
echo \$(( $huge / 2 + 16 )) > /proc/sys/vm/nr_hugepages
./mirror_populate $shmem $thp $huge $rounds || exit
echo 0 > /proc/sys/vm/nr_hugepages
exec ./mirror_lockhold $lock_mib $lock_rounds
SH
chmod +x "$bin/kernel-bench"
echo kernel-bench > "$bin/LIST"

logf="$res/console.log"
# Under TCG the TSC calibration against the PIT fails on a busy host, leaving 4 ms
# jiffies as the clock (this config has no ACPI, so no HPET either): give the kernel
# the TSC's rate (the host's, which TCG passes through) so that it keeps the TSC.
# Only ratios are read, so an approximate rate is enough.
tsc_khz=$(awk '/^cpu MHz/ { printf "%d", $4 * 1000; exit }' /proc/cpuinfo)
VM_APPEND="clocksource=tsc tsc_early_khz=${tsc_khz:-2000000} ${BENCH_APPEND:-}" VM_BIN="$bin" VM_MEM="${VM_MEM:-6144}" "$(dirname "$0")/vm.sh" "$label" "$out/bzImage" "$logf"
sed -n 's/^\[kernel-bench\] //p' "$logf" | tee "$res/result.txt"
grep -q '^MM-RESULT kernel-bench 0 ' "$logf" || die "the benchmark failed (see $logf)"
grep -q '^populate speedup vs MADV_POPULATE_READ: ' "$res/result.txt"
grep -q '^lock hold: ' "$res/result.txt"
