#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kernel-bisect: build the series one patch at a time, as a bisection would, so that
# every prefix compiles without a warning in the files the series touches (W=1 for
# those objects would drown in the tree's own warnings: their build output is read
# instead), and boot each prefix with the selftests it has: every one must pass or
# skip (BISECT_TESTS=0: builds only; BISECT_FROM=N starts at prefix N). Incremental, in a worktree of its own
# (build/kernel-src-bisect, O= build/kernel-bisect) with the test config: about two
# minutes per patch after the first.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/report.sh"
"$(dirname "$0")/src.sh"
need_pkgs build-essential flex bison bc libelf-dev libssl-dev rsync

wt=$KBUILD/kernel-src-bisect
out=$KBUILD/kernel-bisect
# A worktree left from a source tree since re-extracted is not one any more.
git -C "$wt" rev-parse -q --verify HEAD >/dev/null 2>&1 || rm -rf "$wt"
if [ ! -d "$wt" ]; then
	$KGIT -C "$KSRC" worktree prune
	$KGIT -C "$KSRC" worktree add -q --detach "$(realpath -m "$wt")" pristine
fi
commits=$(git -C "$KSRC" rev-list --reverse pristine..HEAD)
n=$(echo "$commits" | wc -l)
i=0 bad=0
from=${BISECT_FROM:-1}	# BISECT_FROM=N: start at prefix N
ran=0
for c in $commits; do
	i=$((i + 1))
	[ "$i" -ge "$from" ] || continue
	ran=$((ran + 1))
	subj=$(git -C "$KSRC" log -1 --format=%s "$c")
	$KGIT -C "$wt" checkout -q --detach "$c"
	log "[$i/$n] $subj"
	if ! build=$("$(dirname "$0")/build.sh" "$wt" "$out" 2>&1); then
		echo "$build" | tail -20
		echo "FAIL [$i/$n] $subj: does not build"
		bad=$((bad + 1))
		continue
	fi
	# Warnings in any file this patch touches.
	files=$(git -C "$KSRC" diff-tree --no-commit-id --name-only -r "$c" | grep '\.[ch]$' || true)
	warn=""
	for f in $files; do
		warn+=$(echo "$build" | grep -E "^([^ ]*/)?$f:[0-9]+:[0-9]+: (warning|error)" || true)
	done
	if [ -n "$warn" ]; then
		echo "$warn"
		echo "FAIL [$i/$n] $subj: warnings"
		bad=$((bad + 1))
		continue
	fi
	if [ "${BISECT_TESTS:-1}" = 1 ]; then
		tbin=$KBUILD/kernel-bisect-tests/bin
		logf=$KBUILD/kernel-bisect-tests/console-$i.log
		if ! KSRC=$wt KOUT=$out KTESTS_BIN=$tbin KTESTS_PARTIAL=1 \
			"$(dirname "$0")/tests.sh" >/dev/null 2>&1 ||
		   ! VM_BIN=$tbin STRESS_S=0 "$(dirname "$0")/vm.sh" bisect "$out/bzImage" "$logf" 2>/dev/null; then
			echo "FAIL [$i/$n] $subj: the selftests did not build or the VM did not finish ($logf)"
			bad=$((bad + 1))
			continue
		fi
		failed=""
		for t in $(cat "$tbin/LIST"); do
			case "$(verdict "$logf" "$t")" in
			PASS | SKIP) ;;
			*) failed="$failed $t" ;;
			esac
		done
		if [ -n "$failed" ] || splats "$logf" >/dev/null; then
			for t in $failed; do show_failed_test "$logf" "$t"; done
			splats "$logf" || true
			echo "FAIL [$i/$n] $subj: selftests failed:${failed:- (splat)} ($logf)"
			bad=$((bad + 1))
			continue
		fi
		echo "ok [$i/$n] $subj (builds; $(wc -l < "$tbin/LIST") selftests pass or skip)"
	else
		echo "ok [$i/$n] $subj"
	fi
done
[ "$from" -le 1 ] || echo "kernel-bisect: prefixes 1-$((from - 1)) not run (BISECT_FROM=$from)"
echo "kernel-bisect: $((ran - bad)) passed, $bad failed"
[ "$bad" -eq 0 ]
