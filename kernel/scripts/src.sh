#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Extract the pristine source into a git tree once, and (re)apply kernel/patches with
# git am whenever the series changes. Also keeps a worktree of the pristine commit for
# the unpatched comparison build.
. "$(dirname "$0")/lib.sh"

need_pkgs git
check_base

stamp="$KSRC/.git/memmirror-series"
based="$KSRC/.git/memmirror-base"
# A tree extracted from another base is never reused: extract the pinned one.
if [ -d "$KSRC/.git" ] && [ "$(cat "$based" 2>/dev/null)" != "$KBASE_VERSION" ]; then
	[ -f "$stamp" ] && [ "$(git -C "$KSRC" rev-parse HEAD)" != "$(sed -n 2p "$stamp")" ] &&
		die "$KSRC (base $(cat "$based" 2>/dev/null || echo unknown)) has commits that are not in $KPATCHES: run 'make kernel-export' on that base first (or rm -rf $KSRC)"
	log "$KSRC was extracted from $KBASE_PACKAGE $(cat "$based" 2>/dev/null || echo '(unknown version)'), the series is on $KBASE_VERSION: extracting again"
	rm -rf "$KSRC"
fi
if ! git -C "$KSRC" rev-parse -q --verify pristine >/dev/null 2>&1; then
	log "extracting $KSRC_TARBALL ($KBASE_PACKAGE $KBASE_VERSION) into $KSRC"
	rm -rf "$KSRC" "$KSRC_BASE"
	mkdir -p "$KSRC"
	tar -xJf "$KSRC_TARBALL" -C "$KSRC" --strip-components=1
	( cd "$KSRC" && $KGIT init -q -b series && $KGIT add -Af . &&
	  GIT_AUTHOR_DATE=2025-01-01T00:00:00Z GIT_COMMITTER_DATE=2025-01-01T00:00:00Z \
	  $KGIT commit -q -m "$KBASE_PACKAGE $KBASE_VERSION (pristine Debian source)" &&
	  $KGIT tag pristine )
	echo "$KBASE_VERSION" > "$based"
fi

if [ ! -d "$KSRC_BASE" ]; then
	log "checking out the pristine tree in $KSRC_BASE"
	$KGIT -C "$KSRC" worktree prune
	$KGIT -C "$KSRC" worktree add -q --detach "$(realpath -m "$KSRC_BASE")" pristine
fi

want=$(series_hash)
if [ -f "$stamp" ] && [ "$(sed -n 1p "$stamp")" = "$want" ]; then
	exit 0
fi
# A changed series replaces the tree's commits: never lose unexported work.
if [ -f "$stamp" ] && [ "$(git -C "$KSRC" rev-parse HEAD)" != "$(sed -n 2p "$stamp")" ]; then
	die "$KSRC has commits that are not in $KPATCHES: run 'make kernel-export' first (or rm -rf $KSRC)"
fi
if [ -n "$(git -C "$KSRC" status --porcelain --untracked-files=no)" ]; then
	die "$KSRC has uncommitted changes: commit and 'make kernel-export', or 'git -C $KSRC reset --hard'"
fi
log "applying $(series_files | wc -l) patches from $KPATCHES"
( cd "$KSRC" && $KGIT am --abort >/dev/null 2>&1 || true )
$KGIT -C "$KSRC" checkout -q -B series pristine
files=$(series_files)
if [ -n "$files" ]; then
	# shellcheck disable=SC2086
	$KGIT -C "$KSRC" am -q --keep-cr $(realpath $files) ||
		die "git am failed; fix the series (see git -C $KSRC am --show-current-patch)"
fi
printf '%s\n%s\n' "$want" "$(git -C "$KSRC" rev-parse HEAD)" > "$stamp"
