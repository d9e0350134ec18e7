#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kernel-man-patch: kernel/man/mremap.2 as a patch against man-pages' man2/mremap.2
# (the page Debian's manpages-dev ships), to send to linux-man with the series:
# kernel/man/0001-mremap.2-document-MREMAP_MIRROR-and-MREMAP_POPULATE.patch.
. "$(dirname "$0")/lib.sh"
need_pkgs git manpages-dev
ver=$(dpkg-query -W -f '${Version}' manpages-dev)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/man2"
zcat /usr/share/man/man2/mremap.2.gz > "$tmp/man2/mremap.2"
( cd "$tmp" && $KGIT init -q && $KGIT add man2/mremap.2 &&
  GIT_AUTHOR_DATE=2025-01-01T00:00:00Z GIT_COMMITTER_DATE=2025-01-01T00:00:00Z \
  $KGIT commit -q -m "man-pages man2/mremap.2 (Debian manpages-dev $ver)" )
# The title line is the man-pages release's, never a patch's.
th=$(grep -m1 '^\.TH ' "$tmp/man2/mremap.2")
awk -v th="$th" '/^\.TH / && !done { print th; done = 1; next } { print }' \
	kernel/man/mremap.2 > "$tmp/man2/mremap.2"
cat > "$tmp/msg" <<MSG
mremap.2: document MREMAP_MIRROR and MREMAP_POPULATE

Document the kernel series "mm/mremap: MREMAP_MIRROR", "mm/mremap: let
shared hugetlb mappings grow" and "mm/mremap: MREMAP_POPULATE", and the
old_size == 0 duplicate as that series defines it: a new mapping of the
same pages, made as mmap(2) of the object with the source's protection
would make it (seals, noexec mounts, security modules, limits), which
file classes can be mirrored, and every errno.

Also correct the error for old_size == 0 without MREMAP_MAYMOVE: Linux
has always returned ENOMEM there (the mapping cannot grow in place), not
EINVAL as this page said.

The text says "memmirror patches, not in mainline" where the kernel side
is not merged; that becomes "since Linux X.Y" when it is.  Against
man-pages $ver (Debian's manpages-dev, the one this machine has): to be
rebased onto current man-pages (Linux 6.17's multi-mapping moves) before
it is sent.

Signed-off-by: memmirror developers <dev@memmirror.invalid>
MSG
( cd "$tmp" && $KGIT add man2/mremap.2 &&
  GIT_AUTHOR_NAME="memmirror developers" GIT_AUTHOR_EMAIL=dev@memmirror.invalid \
  GIT_AUTHOR_DATE=2026-12-05T09:00:00Z GIT_COMMITTER_DATE=2026-12-05T09:00:00Z \
  $KGIT commit -q -F msg &&
  git format-patch -q -1 --zero-commit --no-signature --subject-prefix="PATCH man-pages" -o out )
cp "$tmp"/out/0001-*.patch kernel/man/
log "wrote $(ls kernel/man/0001-*.patch)"
