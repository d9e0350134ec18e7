#!/bin/sh
# SPDX-License-Identifier: MIT
# Check libmemmirror.so's ABI against the stored baseline
# (abi/libmemmirror.so.0.abi, made by abidw), as DPDK's
# devtools/check-abi.sh does: a removed or changed function, variable or
# public type fails; an added one passes (later versions only add).
# Needs abigail-tools (Debian). Usage:
#   sh scripts/check-abi.sh [LIB]        check (default build/libmemmirror.so.0)
#   sh scripts/check-abi.sh --update [LIB]   store LIB's ABI as the baseline
# The library must be built with -g (the default CFLAGS).
set -e
cd "$(dirname "$0")/.."
base=abi/libmemmirror.so.0.abi
update=
[ "${1:-}" = --update ] && { update=1; shift; }
lib=${1:-build/libmemmirror.so.0}
for t in abidw abidiff; do
	command -v $t >/dev/null || { echo "check-abi: $t missing: apt-get install abigail-tools" >&2; exit 1; }
done
[ -e "$lib" ] || { echo "check-abi: $lib missing: run make lib" >&2; exit 1; }
# Only what include/ declares is ABI: the library's own types are not.
if [ -n "$update" ]; then
	abidw --headers-dir include --drop-private-types --no-corpus-path --no-comp-dir-path --out-file "$base" "$lib"
	echo "check-abi: stored the ABI of $lib in $base"
	exit 0
fi
now=$(mktemp) || exit 1
trap 'rm -f "$now"' EXIT
abidw --headers-dir include --drop-private-types --no-corpus-path --no-comp-dir-path --out-file "$now" "$lib"
set +e
abidiff --no-added-syms --no-unreferenced-symbols "$base" "$now"
rc=$?
set -e
# abidiff's status bits: 1 error, 2 usage, 4 an ABI change, 8 an
# incompatible one. Added symbols are left out above, so any change left
# is a removal or a changed type.
if [ $rc -ne 0 ]; then
	echo "check-abi: $lib differs from $base (abidiff status $rc): a removed or" \
	     "changed symbol or type. An intended change before 0.1.0: sh $0 --update" >&2
	exit 1
fi
echo "check-abi: $lib keeps the ABI of $base"
