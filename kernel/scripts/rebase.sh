#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kernel-rebase: move kernel/patches from the base in kernel/BASE to another version
# of Debian's kernel source package, then export the moved series and pin the new base.
#
#   make kernel-rebase TO=6.12.119-1~deb12u1     start (or restart) a rebase
#   make kernel-rebase CONTINUE=1                     after resolving a conflict
#
# Both sources come from the package archive (apt-get download: nothing is installed).
# In build/kernel-rebase the old base is a commit, the series is applied to it, and the
# new base is a commit on top of the old one: git rebase then moves each patch with a
# three-way merge against the old blobs, and stops at the first patch that conflicts.
. "$(dirname "$0")/lib.sh"
need_pkgs git

work=$KBUILD/kernel-rebase
debs=$KBUILD/kernel-debs

# The source tarball of VERSION in $debs (downloaded and unpacked once).
fetch_tarball() {
	local ver=$1 tb deb dir
	tb=$(realpath -m "$debs/$KBASE_PACKAGE-$ver.tar.xz")
	if [ ! -f "$tb" ]; then
		mkdir -p "$debs"
		dir=$(mktemp -d)
		log "downloading $KBASE_PACKAGE $ver"
		( cd "$dir" && apt-get download -q "$KBASE_PACKAGE=$ver" >&2 ) ||
			die "apt-get download $KBASE_PACKAGE=$ver failed: 'apt-cache policy $KBASE_PACKAGE' lists the versions the archive serves (run 'apt-get update' as root if it is stale)"
		deb=$(ls "$dir"/*.deb)
		dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$KBASE_PACKAGE.tar.xz" > "$tb.tmp"
		mv "$tb.tmp" "$tb"
		rm -rf "$dir"
	fi
	echo "$tb"
}

# Replace the work tree's files by the tarball's and commit them on top of HEAD.
commit_source() {
	local tb=$1 ver=$2
	git -C "$work" rev-parse -q --verify HEAD >/dev/null && $KGIT -C "$work" rm -q -r --cached . >/dev/null
	find "$work" -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +
	tar -xJf "$tb" -C "$work" --strip-components=1
	$KGIT -C "$work" add -Af .
	GIT_AUTHOR_DATE=2025-01-01T00:00:00Z GIT_COMMITTER_DATE=2025-01-01T00:00:00Z \
		$KGIT -C "$work" commit -q --allow-empty -m "$KBASE_PACKAGE $ver (pristine Debian source)"
}

# The conflict report: which patch, which files, what to do.
report_conflict() {
	local subj
	subj=$(git -C "$work" log -1 --format=%s REBASE_HEAD 2>/dev/null || echo '?')
	echo "kernel-rebase: CONFLICT moving the series from $KBASE_VERSION to $(cat "$work/.git/memmirror-target")"
	echo "  patch:  $subj"
	echo "  files:"
	git -C "$work" diff --name-only --diff-filter=U | sed 's/^/    /'
	echo "  resolve in $work (the files carry <<<<<<< markers; the patch: git -C $work show REBASE_HEAD),"
	echo "  then: git -C $work add <files> && make kernel-rebase CONTINUE=1"
	echo "  (or give up: git -C $work rebase --abort; kernel/patches and kernel/BASE are untouched)"
	exit 1
}

# Export the moved series and pin the new base.
finish() {
	local to
	to=$(cat "$work/.git/memmirror-target")
	export_series "$work" new-base
	sed -i "s/^KBASE_VERSION=.*/KBASE_VERSION=$to/" "$KBASE_FILE"
	log "kernel/patches moved onto $KBASE_PACKAGE $to; kernel/BASE updated"
	log "next: sh scripts/deps.sh kernel (installs $to), make kernel-check kernel-checkpatch kernel-bisect"
}

if [ -n "${CONTINUE:-}" ]; then
	[ -d "$work/.git" ] || die "no rebase in $work: start one with make kernel-rebase TO=..."
	if [ -d "$work/.git/rebase-merge" ] || [ -d "$work/.git/rebase-apply" ]; then
		GIT_EDITOR=true $KGIT -C "$work" rebase --continue >&2 || report_conflict
	fi
	finish
	exit 0
fi

to=${TO:-}
[ -n "$to" ] || die "usage: make kernel-rebase TO=<debian version of $KBASE_PACKAGE> (apt-cache policy $KBASE_PACKAGE lists them)"
from=$KBASE_VERSION
[ "$to" != "$from" ] || die "kernel/patches are already based on $from"

old_tb=$(fetch_tarball "$from")
new_tb=$(fetch_tarball "$to")
log "new base: Linux $(tarball_release "$new_tb") ($KBASE_PACKAGE $to)"

rm -rf "$work"
mkdir -p "$work"
$KGIT -C "$work" init -q -b series
echo "$to" > "$work/.git/memmirror-target"
log "old base $from"
commit_source "$old_tb" "$from"
$KGIT -C "$work" tag old-base
files=$(series_files)
# shellcheck disable=SC2086
$KGIT -C "$work" am -q --keep-cr $(realpath $files) ||
	die "kernel/patches do not apply to their own base $from: fix the series first"
$KGIT -C "$work" checkout -q -b new-base-branch old-base
log "new base $to"
commit_source "$new_tb" "$to"
$KGIT -C "$work" tag new-base
$KGIT -C "$work" checkout -q series
log "moving $(echo "$files" | wc -l) patches"
$KGIT -C "$work" rebase -q --onto new-base old-base series >&2 || report_conflict
finish
