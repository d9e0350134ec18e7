#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# build.sh SRC OUT: configure (tinyconfig + kernel/config), build bzImage incrementally,
# export the uapi headers, and leave OUT/bzImage and OUT/usr/include.
. "$(dirname "$0")/lib.sh"
src=${1:?src}
out=${2:?out}
need_pkgs build-essential flex bison bc libelf-dev libssl-dev rsync

mkdir -p "$out"
out=$(realpath "$out")
frag=$(realpath "$KCONFIG_FRAG")
cfgstamp="$out/.memmirror-config"
want=$(sha256sum "$frag" | cut -d' ' -f1)
if [ ! -f "$out/.config" ] || [ "$(cat "$cfgstamp" 2>/dev/null)" != "$want" ]; then
	log "configuring $out (tinyconfig + $KCONFIG_FRAG)"
	make -s -C "$src" O="$out" tinyconfig >/dev/null
	( cd "$src" && KCONFIG_CONFIG="$out/.config" \
	  scripts/kconfig/merge_config.sh -m -O "$out" "$out/.config" "$frag" >/dev/null )
	make -s -C "$src" O="$out" olddefconfig >/dev/null
	# Every option of the fragment must survive olddefconfig.
	grep -E '^CONFIG_[A-Z0-9_]+=' "$frag" | while read -r line; do
		grep -qx "$line" "$out/.config" || die "config: $line did not stick"
	done
	echo "$want" > "$cfgstamp"
fi
log "building $out"
make -s -C "$src" O="$out" -j"$JOBS" bzImage
make -s -C "$src" O="$out" headers_install >/dev/null
cp -f "$out/arch/x86/boot/bzImage" "$out/bzImage"
