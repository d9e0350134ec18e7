#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kernel-bench: boot the patched kernel and run kernel/bench/mirror_populate on a
# resident 1 GiB memfd and a 512 MiB hugetlb memfd: the cost of a populated mirror by
# MADV_POPULATE_READ, by touching, and by MREMAP_POPULATE, side by side in one VM run.
# TCG times are emulated: read the ratios. BENCH_ARGS="shmem_MiB hugetlb_MiB rounds".
. "$(dirname "$0")/lib.sh"
"$(dirname "$0")/src.sh"
"$(dirname "$0")/build.sh" "$KSRC" "$KOUT"
need_pkgs build-essential

bin="$KBUILD/kernel-bench/bin"
rm -rf "$bin"
mkdir -p "$bin"
gcc -static -O2 -Wall -Wextra -Werror -isystem "$KOUT/usr/include" \
	-o "$bin/mirror_populate" kernel/bench/mirror_populate.c
read -r shmem huge rounds <<<"${BENCH_ARGS:-1024 512 5}"
cat > "$bin/kernel-bench" <<SH
#!/bin/sh
echo \$(( $huge / 2 + 16 )) > /proc/sys/vm/nr_hugepages
exec ./mirror_populate $shmem $huge $rounds
SH
chmod +x "$bin/kernel-bench"
echo kernel-bench > "$bin/LIST"

logf="$KBUILD/kernel-bench/console.log"
# Under TCG the TSC calibration can fail on a busy host, leaving jiffies (4 ms) as the
# clock: the emulated HPET (10 MHz) is slower to read but always there.
VM_APPEND="clocksource=hpet" VM_BIN="$bin" VM_MEM="${VM_MEM:-4096}" "$(dirname "$0")/vm.sh" bench "$KOUT/bzImage" "$logf"
sed -n 's/^\[kernel-bench\] //p' "$logf" | tee "$KBUILD/kernel-bench/result.txt"
grep -q '^MM-RESULT kernel-bench 0 ' "$logf" || die "the benchmark failed (see $logf)"
grep -q '^populate speedup vs MADV_POPULATE_READ: ' "$KBUILD/kernel-bench/result.txt"
