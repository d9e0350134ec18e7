#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kernel-lsm-recheck-demo: show that mremap_mirror's lsm_check_follows_changing_source
# can fail. The LSM hook of a mirror runs with the mmap lock dropped; under the write
# lock the kernel checks that the source is still what the hook was asked about, and
# starts again if not. The experiment kernel (kernel/bench/experiments/
# review-experiments.patch, built by make kernel-bench-variants) can skip that check at
# run time (/sys/module/mremap/parameters/mirror_skip_recheck): the test must pass
# with the check and fail without it, in one VM run. It needs the VM's second CPU: on
# one CPU the thread that swaps the source never runs between the unlocked hook and the
# write lock, and the test passed either way.
. "$(dirname "$0")/lib.sh"
"$(dirname "$0")/src.sh"
experiment_tree kernel/bench/experiments/review-experiments.patch
"$(dirname "$0")/build.sh" "$EXP_SRC" "$EXP_OUT" "$KCONFIG_BENCH"
need_pkgs build-essential

res="$KBUILD/kernel-lsm-recheck-demo"
fresh_bin "$res"
sel="$EXP_SRC/tools/testing/selftests"
gcc -static -O2 -g0 -w -D_GNU_SOURCE -isystem "$EXP_OUT/usr/include" -I"$sel" -I"$sel/mm" \
	-pthread -o "$bin/mremap_mirror" "$sel/mm/mremap_mirror.c" "$sel/mm/vm_util.c" \
	"$sel/mm/thp_settings.c" -lm || die "building mremap_mirror failed"
cat > "$bin/lsm-recheck-demo" <<'SH'
#!/bin/sh
knob=/sys/module/mremap/parameters/mirror_skip_recheck
for skip in 0 1; do
	echo $skip > $knob || exit 2
	./mremap_mirror -t lsm_check_follows_changing_source > /tmp/demo.log 2>&1
	echo "DEMO skip_recheck=$skip rc=$?"
	grep -E "mirrors of the allowed|^(not )?ok" /tmp/demo.log
	echo "mirrors of the refused file: $(grep -c "Expected peek" /tmp/demo.log)"
done
echo 0 > $knob
SH
chmod +x "$bin/lsm-recheck-demo"
echo lsm-recheck-demo > "$bin/LIST"
logf="$res/console.log"
VM_BIN="$bin" "$(dirname "$0")/vm.sh" lsm-demo "$EXP_OUT/bzImage" "$logf"
sed -n 's/^\[lsm-recheck-demo\] //p' "$logf" | tee "$res/result.txt"
grep -q '^DEMO skip_recheck=0 rc=0$' "$res/result.txt" ||
	die "the test failed with the recheck in place (see $logf)"
if grep -q '^DEMO skip_recheck=1 rc=0$' "$res/result.txt"; then
	log "without the recheck the test still passed: the race was not hit in this run"
	exit 1
fi
log "the test passes with the recheck and fails without it"
