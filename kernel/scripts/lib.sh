# SPDX-License-Identifier: GPL-2.0
# Common settings for the kernel harness scripts; sourced, run from the repo root.
set -euo pipefail

# The pinned base: KBASE_PACKAGE at KBASE_VERSION (kernel/BASE).
KBASE_FILE=${KBASE_FILE:-kernel/BASE}
# shellcheck source=../BASE
. "$KBASE_FILE"
KSRC_TARBALL=${KSRC_TARBALL:-/usr/src/$KBASE_PACKAGE.tar.xz}
KBUILD=${KBUILD:-build}
KSRC=${KSRC:-$KBUILD/kernel-src}		# git tree: pristine commit + series
KSRC_BASE=${KSRC_BASE:-$KBUILD/kernel-src-base}	# worktree of the pristine commit
KOUT=${KOUT:-$KBUILD/kernel}			# O= for the patched kernel
KOUT_BASE=${KOUT_BASE:-$KBUILD/kernel-base}	# O= for the unpatched kernel
KOUT_DEBUG=${KOUT_DEBUG:-$KBUILD/kernel-debug}	# O= for the patched debug kernel
KOUT_BENCH=${KOUT_BENCH:-$KBUILD/kernel-o2}	# O= for the patched -O2 benchmark kernel
KPATCHES=${KPATCHES:-kernel/patches}
KCONFIG_FRAG=${KCONFIG_FRAG:-kernel/config}
KCONFIG_DEBUG=${KCONFIG_DEBUG:-kernel/config-debug}	# on top of KCONFIG_FRAG
KCONFIG_BENCH=${KCONFIG_BENCH:-kernel/config-bench}	# on top of KCONFIG_FRAG
# -j2 on the shared development machines; CI has a machine of its own.
JOBS=${JOBS:-$([ -n "${CI:-}" ] && nproc || echo 2)}
# gc.auto=0: an automatic gc of the 80k-file tree after git am costs minutes.
KGIT="git -c user.name=memmirror -c user.email=dev@memmirror.invalid -c gc.auto=0"

log() { printf '[kernel] %s\n' "$*" >&2; }
die() { printf '[kernel] error: %s\n' "$*" >&2; exit 1; }

# Install Debian packages only when missing (CI starts from a fresh Debian 12 as root).
need_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing: ${missing[*]}"
	[ "$(id -u)" -eq 0 ] || die "missing packages ${missing[*]} (need root to install)"
	DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2
}

# The kernel release of a Debian version: 6.12.118-1~deb12u1 -> 6.12.118.
kbase_release() {
	echo "${1%%-*}"
}

# VERSION.PATCHLEVEL.SUBLEVEL of the tree in a linux-source tarball, read from its
# top-level Makefile (the first member of that name: about a second).
tarball_release() {
	tar -xJOf "$1" --occurrence=1 --wildcards --no-wildcards-match-slash '*/Makefile' 2>/dev/null |
		awk '/^VERSION =/ {v=$3} /^PATCHLEVEL =/ {p=$3} /^SUBLEVEL =/ && s == "" {s=$3}
		     END {if (v != "") print v "." p "." s}'
}

# The installed version of KBASE_PACKAGE, or nothing.
installed_base_version() {
	dpkg-query -W -f '${Status} ${Version}\n' "$KBASE_PACKAGE" 2>/dev/null |
		awk '$3 == "installed" {print $4}'
}

# Fail unless KSRC_TARBALL is the pinned base, saying how to get it.
check_base() {
	local want rel got inst fix
	want=$KBASE_VERSION
	rel=$(kbase_release "$want")
	fix="sh scripts/deps.sh kernel   (as root: apt-get install --allow-downgrades $KBASE_PACKAGE=$want)"
	[ -f "$KSRC_TARBALL" ] ||
		die "no $KSRC_TARBALL: the series needs $KBASE_PACKAGE $want; run: $fix"
	# The default tarball belongs to the package: its Debian version must match too
	# (two Debian revisions of one release differ in Debian's own patches).
	if [ "$KSRC_TARBALL" = "/usr/src/$KBASE_PACKAGE.tar.xz" ]; then
		inst=$(installed_base_version)
		[ "$inst" = "$want" ] ||
			die "$KBASE_PACKAGE ${inst:-(not installed)} is installed, but kernel/patches are based on $want (kernel/BASE); run: $fix -- or move the series to the installed version: make kernel-rebase TO=$inst"
	fi
	got=$(tarball_release "$KSRC_TARBALL")
	[ "$got" = "$rel" ] ||
		die "$KSRC_TARBALL is Linux ${got:-(unreadable)}, but kernel/patches are based on $rel ($KBASE_PACKAGE $want, kernel/BASE); run: $fix"
}

# kernel/patches holds the series one would post, each in a directory of its own
# with its cover letter (0000-cover-letter.patch), in the order they apply:
# kernel/patches/SERIES names each directory and its number of patches.
KSERIES=${KSERIES:-$KPATCHES/SERIES}

series_dirs() { # DIR COUNT, one series a line, in order
	sed 's/#.*//' "$KSERIES" | awk 'NF >= 2 { print $1, $2 }'
}

# Export the commits BASE..HEAD of TREE into kernel/patches: the first COUNT of
# them into the first series' directory, and so on (the cover letters are kept).
export_series() {
	local tree=$1 base=$2 d n i f total want=0 idx=0 commits
	[ -f "$KSERIES" ] || die "no $KSERIES"
	commits=($(git -C "$tree" rev-list --reverse "$base..HEAD"))
	total=${#commits[@]}
	while read -r d n; do want=$((want + n)); done < <(series_dirs)
	[ "$want" -eq "$total" ] ||
		die "$KSERIES counts $want patches, $tree has $total commits on $base: update the counts"
	while read -r d n; do
		mkdir -p "$KPATCHES/$d"
		{ ls "$KPATCHES/$d"/[0-9][0-9][0-9][0-9]-*.patch 2>/dev/null | grep -v '/0000-' || true; } |
			xargs -r rm -f
		# --zero-commit and no signature keep the files stable across re-applications.
		# core.abbrev=7: the index lines stay stable as the tree gains objects.
		git -C "$tree" -c core.abbrev=7 format-patch -q --zero-commit --no-signature -N \
			-o "$(realpath "$KPATCHES/$d")" "${commits[idx]}^..${commits[idx + n - 1]}"
		# Numbered patches are ~N/M; re-number with [PATCH n/m] for mailing.
		i=0
		for f in $(ls "$KPATCHES/$d"/[0-9][0-9][0-9][0-9]-*.patch | grep -v '/0000-'); do
			i=$((i + 1))
			sed -i "0,/^Subject: \[PATCH\]/s//Subject: [PATCH $i\/$n]/" "$f"
		done
		idx=$((idx + n))
		log "exported $n patches to $KPATCHES/$d"
	done < <(series_dirs)
}

# Every numbered patch but the cover letters, in the order they apply (a flat
# kernel/patches without SERIES is read as one series).
series_files() {
	local d n
	if [ ! -f "$KSERIES" ]; then
		ls "$KPATCHES"/[0-9][0-9][0-9][0-9]-*.patch 2>/dev/null | grep -v '/0000-' || true
		return
	fi
	series_dirs | while read -r d n; do
		ls "$KPATCHES/$d"/[0-9][0-9][0-9][0-9]-*.patch 2>/dev/null | grep -v '/0000-' || true
	done
}

series_hash() {
	{ series_files | xargs -r cat; cat "$KCONFIG_FRAG" "$KBASE_FILE"; } | sha256sum | cut -d' ' -f1
}

# fresh_bin RES: an empty $RES/bin, the programs a benchmark VM gets; sets $bin.
fresh_bin() {
	bin="$1/bin"
	rm -rf "$bin"
	mkdir -p "$bin"
}

# experiment_tree PATCH: the series plus PATCH (one of kernel/bench/experiments/) in a
# worktree of $KSRC of its own, $EXP_SRC, built -O2 in $EXP_OUT; $EXP_LABEL names
# both. The worktree is reset to the series and patched on every call: files the
# patch does not touch keep their times, so the build is incremental.
experiment_tree() {
	local patch=$1
	[ -f "$patch" ] || die "no $patch"
	EXP_LABEL=$(basename "$patch" .patch)
	EXP_SRC="$KBUILD/kernel-src-$EXP_LABEL" EXP_OUT="$KBUILD/kernel-o2-$EXP_LABEL"
	git -C "$KSRC" worktree prune
	[ -d "$EXP_SRC" ] || git -C "$KSRC" worktree add -q --detach "$(realpath -m "$EXP_SRC")" HEAD
	git -C "$EXP_SRC" checkout -q -f --detach "$(git -C "$KSRC" rev-parse HEAD)"
	git -C "$EXP_SRC" apply "$(realpath "$patch")" || die "$patch does not apply on the series"
}
