#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Tests of the pinned base (kernel/BASE) without building a kernel: src.sh
# refuses a source of another version with a message naming both versions
# and the fix, records the base it extracted, extracts again when the base
# changes, and never throws away unexported commits. Fake tarballs stand in
# for Debian's (a Makefile and one file), so this runs in seconds anywhere.
# Last line: N passed, N failed, N skipped.
set -uo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 skip=0

ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# fake_tarball FILE SUBLEVEL CONTENT: a linux-source-6.12 tree of two files
fake_tarball() {
	local d="$tmp/mk/linux-source-6.12"
	rm -rf "$tmp/mk" && mkdir -p "$d"
	printf 'VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = %s\nEXTRAVERSION =\n' "$2" > "$d/Makefile"
	echo "$3" > "$d/README"
	tar -cJf "$1" -C "$tmp/mk" linux-source-6.12
}

# A base file pinning VERSION
base_file() {
	printf 'KBASE_PACKAGE=linux-source-6.12\nKBASE_VERSION=%s\n' "$2" > "$1"
}

run_src() {
	env KBASE_FILE="$tmp/BASE" KSRC_TARBALL="$1" KSRC="$tmp/src" \
		KSRC_BASE="$tmp/src-base" KPATCHES="$tmp/patches" \
		KCONFIG_FRAG=kernel/config kernel/scripts/src.sh
}

mkdir -p "$tmp/patches"
base_file "$tmp/BASE" 6.12.118-1~deb12u1

# 1. A tarball of another release is refused, with both versions and the fix.
fake_tarball "$tmp/117.tar.xz" 117 old
out=$(run_src "$tmp/117.tar.xz" 2>&1)
rc=$?
if [ $rc -ne 0 ] && echo "$out" | grep -q 'is Linux 6.12.117, but kernel/patches are based on 6.12.118' &&
   echo "$out" | grep -q 'apt-get install --allow-downgrades linux-source-6.12=6.12.118-1~deb12u1' &&
   [ ! -d "$tmp/src" ]; then
	ok "a 6.12.117 source is refused before extraction, the message names both versions and the fix"
else
	bad "6.12.117 source: rc=$rc, output: $out"
fi

# 2. The pinned release is extracted and its base recorded.
fake_tarball "$tmp/118.tar.xz" 118 new118
out=$(run_src "$tmp/118.tar.xz" 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ "$(cat "$tmp/src/.git/memmirror-base" 2>/dev/null)" = 6.12.118-1~deb12u1 ] &&
   [ "$(cat "$tmp/src/README")" = new118 ] &&
   git -C "$tmp/src" log -1 --format=%s pristine | grep -q '6.12.118-1~deb12u1'; then
	ok "the pinned source is extracted; the tree records its base"
else
	bad "extraction of 6.12.118: rc=$rc, output: $out"
fi

# 3. Same base again: the tree is reused, not extracted again.
out=$(run_src "$tmp/118.tar.xz" 2>&1)
if [ $? -eq 0 ] && ! echo "$out" | grep -q extracting; then
	ok "an up-to-date tree is reused"
else
	bad "second run: $out"
fi

# 4. The base moves on: the old tree is extracted again, never reused.
base_file "$tmp/BASE" 6.12.119-1~deb12u1
fake_tarball "$tmp/119.tar.xz" 119 new119
out=$(run_src "$tmp/119.tar.xz" 2>&1)
rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q 'extracted from linux-source-6.12 6.12.118-1~deb12u1.*extracting again' &&
   [ "$(cat "$tmp/src/README")" = new119 ] &&
   [ "$(cat "$tmp/src/.git/memmirror-base")" = 6.12.119-1~deb12u1 ] &&
   [ "$(cat "$tmp/src-base/README")" = new119 ]; then
	ok "a tree from the previous base is extracted again (patched tree and pristine worktree)"
else
	bad "base change: rc=$rc, output: $out"
fi

# 5. A tree with commits not exported is not thrown away on a base change.
echo hack >> "$tmp/src/README"
git -C "$tmp/src" -c user.name=t -c user.email=t@t commit -qam hack
base_file "$tmp/BASE" 6.12.118-1~deb12u1
out=$(run_src "$tmp/118.tar.xz" 2>&1)
rc=$?
if [ $rc -ne 0 ] && echo "$out" | grep -q 'has commits that are not in' &&
   grep -q hack "$tmp/src/README"; then
	ok "unexported commits stop a re-extraction"
else
	bad "unexported commits: rc=$rc, output: $out"
fi

# 6. kernel-base-status never fails, and names the pinned base.
out=$(KBASE_FILE="$tmp/BASE" kernel/scripts/base-status.sh 2>&1)
if [ $? -eq 0 ] && echo "$out" | grep -q 'pinned linux-source-6.12 6.12.118-1~deb12u1'; then
	ok "base-status names the pinned base and exits 0"
else
	bad "base-status: $out"
fi

# 7. The real base file parses, and deps.sh pins exactly its version.
if (. kernel/BASE && [ -n "$KBASE_PACKAGE" ] &&
    echo "$KBASE_VERSION" | grep -qE '^[0-9]+\.[0-9]+\.[0-9]+-') &&
   grep -q 'KBASE_PACKAGE=\$KBASE_VERSION' scripts/deps.sh; then
	ok "kernel/BASE names a package and an exact Debian version; deps.sh installs that version"
else
	bad "kernel/BASE or scripts/deps.sh"
fi

echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
