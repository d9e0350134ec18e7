#!/bin/sh
# SPDX-License-Identifier: MIT
# Regenerate debian/libmemmirror0.symbols from the shared library, after the
# exported API changed (new functions, memmirror.map). Symbols already in
# the file keep the version that introduced them; new ones get VERSION's.
# A symbol that disappeared breaks the ABI: bump the SONAME, see README.
# usage: sh scripts/deb-symbols.sh      (or: make deb-symbols)
set -e
cd "$(dirname "$0")/.."
ver=$(cat VERSION)
build=${BUILD:-build}
${MAKE:-make} --no-print-directory BUILD="$build" lib
file=debian/libmemmirror0.symbols
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
[ -f "$file" ] || printf 'libmemmirror.so.0 libmemmirror0 #MINVER#\n' >"$file"
# -c1: report added and lost symbols, fail only on lost ones.
if ! dpkg-gensymbols -c1 -plibmemmirror0 -v"$ver" -e"$build/libmemmirror.so.$ver" \
	-I"$file" -O"$tmp"; then
	echo "$file: symbols above were lost, which breaks SONAME 0 (README, ABI policy)." >&2
	echo "Before the first release (a renamed version node, say): rm $file and run this again." >&2
	exit 1
fi
{
	head -n 1 "$tmp"
	echo "* Build-Depends-Package: libmemmirror-dev"
	tail -n +2 "$tmp" | grep -v '^\* Build-Depends-Package:' | grep -v '^#'
} >"$file"
echo "$file: $(grep -c '^ ' "$file") symbols"
