#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# build.sh SRC OUT [FRAGMENT...]: configure (tinyconfig + kernel/config + the extra
# fragments, e.g. kernel/config-debug), build bzImage incrementally, export the uapi
# headers, and leave OUT/bzImage and OUT/usr/include. OUT is reconfigured whenever
# the fragments change (their hash is kept in OUT/.memmirror-config).
. "$(dirname "$0")/lib.sh"
src=${1:?src}
out=${2:?out}
shift 2
need_pkgs build-essential flex bison bc libelf-dev libssl-dev rsync

mkdir -p "$out"
out=$(realpath "$out")
frags=("$(realpath "$KCONFIG_FRAG")")
for f in "$@"; do frags+=("$(realpath "$f")"); done
cfgstamp="$out/.memmirror-config"
want=$(cat "${frags[@]}" | sha256sum | cut -d' ' -f1)
if [ ! -f "$out/.config" ] || [ "$(cat "$cfgstamp" 2>/dev/null)" != "$want" ]; then
	log "configuring $out (tinyconfig + $KCONFIG_FRAG${*:+ + $*})"
	make -s -C "$src" O="$out" tinyconfig >/dev/null
	( cd "$src" && KCONFIG_CONFIG="$out/.config" \
	  scripts/kconfig/merge_config.sh -m -O "$out" "$out/.config" "${frags[@]}" >/dev/null )
	make -s -C "$src" O="$out" olddefconfig >/dev/null
	# Every option of the fragments must survive olddefconfig, "is not set" too.
	grep -hE '^CONFIG_[A-Z0-9_]+=' "${frags[@]}" | while read -r line; do
		grep -qx "$line" "$out/.config" || die "config: $line did not stick"
	done
	{ grep -hE '^# CONFIG_[A-Z0-9_]+ is not set' "${frags[@]}" || true; } | while read -r line; do
		opt=${line#\# }; opt=${opt%% *}
		! grep -q "^$opt=" "$out/.config" || die "config: $line did not stick"
	done
	echo "$want" > "$cfgstamp"
fi
log "building $out"
make -s -C "$src" O="$out" -j"$JOBS" bzImage
make -s -C "$src" O="$out" headers_install >/dev/null
cp -f "$out/arch/x86/boot/bzImage" "$out/bzImage"
