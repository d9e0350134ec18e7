#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Re-export the commits of the hacking tree (pristine..HEAD) into kernel/patches, so
# that the series stays the source of truth. The cover letter (0000-*) is kept.
. "$(dirname "$0")/lib.sh"

git -C "$KSRC" rev-parse -q --verify pristine >/dev/null || die "no tree: run 'make kernel-tree'"
[ -z "$(git -C "$KSRC" status --porcelain --untracked-files=no)" ] ||
	die "$KSRC has uncommitted changes: commit them first"
[ "$(cat "$KSRC/.git/memmirror-base" 2>/dev/null)" = "$KBASE_VERSION" ] ||
	die "$KSRC is not on the base in kernel/BASE ($KBASE_VERSION): to move the series, use make kernel-rebase"
export_series "$KSRC" pristine
printf '%s\n%s\n' "$(series_hash)" "$(git -C "$KSRC" rev-parse HEAD)" > "$KSRC/.git/memmirror-series"
series_files
