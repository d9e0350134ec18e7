# SPDX-License-Identifier: GPL-2.0
# Common settings for the kernel harness scripts; sourced, run from the repo root.
set -euo pipefail

KSRC_TARBALL=${KSRC_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
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

# The series: every numbered patch but the cover letter, in order.
series_files() {
	ls "$KPATCHES"/[0-9][0-9][0-9][0-9]-*.patch 2>/dev/null | grep -v '/0000-' || true
}

series_hash() {
	{ series_files | xargs -r cat; cat "$KCONFIG_FRAG"; } | sha256sum | cut -d' ' -f1
}
