#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the selftests that kernel-check runs, statically, against the uapi headers
# exported by the patched build (a superset of the unpatched ones). kernel-bisect
# builds those of each prefix of the series: KTESTS_BIN elsewhere, and with
# KTESTS_PARTIAL=1 a test whose source the prefix does not have yet is left out.
. "$(dirname "$0")/lib.sh"
need_pkgs build-essential

sel="$KSRC/tools/testing/selftests"
out=${KTESTS_BIN:-$KBUILD/kernel-tests/bin}
partial=${KTESTS_PARTIAL:-0}
hdr="$KOUT/usr/include"
[ -d "$hdr/linux" ] || die "no exported headers in $hdr: run 'make kernel' first"
mkdir -p "$out"
CFLAGS="-static -O2 -g0 -w -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -isystem $hdr -I$sel -pthread"

# name: sources (relative to selftests/)
progs=(
	"mremap_mirror:mm/mremap_mirror.c mm/vm_util.c mm/thp_settings.c"
	"mremap_mirror_hugetlb:mm/mremap_mirror_hugetlb.c mm/vm_util.c mm/thp_settings.c"
	"mremap_populate:mm/mremap_populate.c mm/vm_util.c mm/thp_settings.c"
	"mremap_test:mm/mremap_test.c"
	"mremap_dontunmap:mm/mremap_dontunmap.c"
	"hugepage-mremap:mm/hugepage-mremap.c mm/vm_util.c"
	"mseal_test:mm/mseal_test.c"
	"memfd_test:memfd/memfd_test.c memfd/common.c"
	"hugepage-mmap:mm/hugepage-mmap.c"
	"hugepage-shm:mm/hugepage-shm.c"
	"map_hugetlb:mm/map_hugetlb.c mm/vm_util.c"
	"hugetlb-madvise:mm/hugetlb-madvise.c mm/vm_util.c"
)
for p in "${progs[@]}"; do
	name=${p%%:*}
	srcs=""
	for s in ${p#*:}; do srcs="$srcs $sel/$s"; done
	first=${p#*:}
	if [ "$partial" = 1 ] && [ ! -f "$sel/${first%% *}" ]; then
		rm -f "$out/$name"
		continue
	fi
	# shellcheck disable=SC2086
	if [ ! -x "$out/$name" ] || [ -n "$(find $srcs "$hdr/linux/mman.h" -newer "$out/$name")" ]; then
		log "cc $name"
		# shellcheck disable=SC2086
		gcc $CFLAGS -I"$(dirname "$sel/${p#*:}")" -o "$out/$name" $srcs -lm ||
			die "building $name failed"
	fi
done
for p in "${progs[@]}"; do
	[ ! -x "$out/${p%%:*}" ] || echo "${p%%:*}"
done > "$out/LIST"
[ "$partial" = 0 ] || exit 0

# The random stress: not in LIST (vm.sh gives it its own slot after the library).
mkdir -p "$KBUILD/kernel-tests/stress"
st="$KBUILD/kernel-tests/stress/mirror_stress"
if [ ! -x "$st" ] || [ -n "$(find kernel/stress/mirror_stress.c "$hdr/linux/mman.h" -newer "$st")" ]; then
	log "cc mirror_stress"
	gcc -static -O2 -g -Wall -Wextra -Werror -pthread -isystem "$hdr" \
		-o "$st" kernel/stress/mirror_stress.c || die "building mirror_stress failed"
fi
