#!/bin/sh
# SPDX-License-Identifier: MIT
# Build the Debian packages (dpkg-buildpackage -us -uc -b) and check every
# .deb with lintian; the packages and the .changes end up in OUTDIR.
# The packages are built in a copy of the tree (debian/rules clean runs
# make clean, which would empty build/ here).
# usage: sh scripts/deb.sh [OUTDIR]      (default build/deb; or: make deb)
# DEB_BUILD_OPTIONS=nocheck skips the library suite of the build.
set -e
cd "$(dirname "$0")/.."
out=${1:-build/deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)
if ! dpkg-checkbuilddeps; then
	echo "memmirror: missing build dependencies: sh scripts/deps.sh deb installs them" >&2
	exit 1
fi
ver=$(dpkg-parsechangelog -S Version)
if [ "${ver%%-*}" != "$(cat VERSION)" ]; then
	echo "memmirror: debian/changelog is at $ver but VERSION says $(cat VERSION):" >&2
	echo "memmirror: add a changelog entry (dch -v $(cat VERSION)) first" >&2
	exit 1
fi
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
# The copy: the source, without build outputs or git's files.
work=$(mktemp -d "${TMPDIR:-/tmp}/memmirror-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/memmirror"
tar -cf - --exclude=./build --exclude=./.git --exclude='./kernel/build*' \
	--exclude='*.pyc' --exclude=__pycache__ . | tar -xf - -C "$work/memmirror"
(cd "$work/memmirror" && dpkg-buildpackage -us -uc -b)
# dpkg-buildpackage writes next to the source tree: collect what it made.
changes=$work/memmirror_${ver}_${arch}.changes
for f in $(sed -n '/^Files:/,/^[^ ]/s/^ [0-9a-f]* [0-9]* [^ ]* [^ ]* //p' "$changes") \
	"$(basename "$changes")"; do
	mv -f "$work/$f" "$out/"
done
echo "memmirror: packages in $out:"
ls -1 "$out"
# No errors and no warnings on any .deb (info tags are listed, not fatal).
lintian --fail-on error,warning -I "$out"/*.deb
echo "memmirror: lintian: no errors, no warnings"
