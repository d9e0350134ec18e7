#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Re-export the commits of the hacking tree (pristine..HEAD) into kernel/patches, so
# that the series stays the source of truth. The cover letter (0000-*) is kept.
. "$(dirname "$0")/lib.sh"

git -C "$KSRC" rev-parse -q --verify pristine >/dev/null || die "no tree: run 'make kernel-tree'"
[ -z "$(git -C "$KSRC" status --porcelain --untracked-files=no)" ] ||
	die "$KSRC has uncommitted changes: commit them first"
mkdir -p "$KPATCHES"
series_files | xargs -r rm -f
# --zero-commit and no signature keep the files stable across re-applications.
# core.abbrev=7: the index lines stay stable as the tree gains objects.
git -C "$KSRC" -c core.abbrev=7 format-patch -q --zero-commit --no-signature -N -o "$(realpath "$KPATCHES")" pristine..HEAD
# Numbered patches are ~N/M; re-number with [PATCH n/m] for mailing.
n=$(git -C "$KSRC" rev-list --count pristine..HEAD)
i=0
for f in $(series_files); do
	i=$((i + 1))
	sed -i "0,/^Subject: \[PATCH\]/s//Subject: [PATCH $i\/$n]/" "$f"
done
printf '%s\n%s\n' "$(series_hash)" "$(git -C "$KSRC" rev-parse HEAD)" > "$KSRC/.git/memmirror-series"
log "exported $n patches to $KPATCHES"
series_files
