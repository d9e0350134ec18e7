#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vm.sh LABEL BZIMAGE LOG: pack the initramfs (once per call) and boot BZIMAGE under
# qemu TCG; the serial console goes to LOG.
. "$(dirname "$0")/lib.sh"
need_pkgs busybox-static cpio qemu-system-x86
label=$1 image=$2 logf=$3
root="$KBUILD/kernel-tests/initramfs-$label"
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,tests,root}
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
cp kernel/scripts/init.sh "$root/init"
chmod +x "$root/init"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
cp "${VM_BIN:-$KBUILD/kernel-tests/bin}/"* "$root/tests/"
cp "$(dirname "$image")/.config" "$root/config" 2>/dev/null || true
case "$label" in patched | debug) full=1 ;; *) full=0 ;; esac
if [ $full = 1 ] && [ -n "${LIB_TESTS_DIR:-}" ] && [ -d "$LIB_TESTS_DIR" ] && [ -f tests/run.sh ]; then
	mkdir -p "$root/lib-tests/bin"
	cp -r "$LIB_TESTS_DIR"/. "$root/lib-tests/bin/"
	cp tests/run.sh "$root/lib-tests/run.sh"
	chmod +x "$root/lib-tests/run.sh"
	# The same suite as i386 code (kernel-check only: LIB_TESTS32_DIR).
	if [ -n "${LIB_TESTS32_DIR:-}" ] && [ -d "$LIB_TESTS32_DIR" ]; then
		mkdir -p "$root/lib-tests/bin32"
		cp -r "$LIB_TESTS32_DIR"/. "$root/lib-tests/bin32/"
	fi
fi
# The random stress, on the patched and debug kernels, unless STRESS_S=0. STRESS_KNOWN defaults to the
# list in kernel/stress/known-issues (the series' open findings it works around);
# STRESS_ARGS adds options (e.g. "--threads 1 --child-threads 0 --verbose").
stress_bin="$KBUILD/kernel-tests/stress/mirror_stress"
if [ $full = 1 ] && [ -x "$stress_bin" ] && [ "${STRESS_S:-60}" != 0 ]; then
	mkdir -p "$root/stress"
	cp "$stress_bin" "$root/stress/"
	known=${STRESS_KNOWN:-$(sed 's/#.*//' kernel/stress/known-issues | tr -s ' \n' ',' | sed 's/^,//; s/,$//')}
	{
		echo "export STRESS_S=${STRESS_S:-60}"
		echo "export STRESS_KNOWN=${known:-none}"
		[ -z "${STRESS_SEED:-}" ] || echo "export STRESS_SEED=$STRESS_SEED"
		echo "STRESS_ARGS='${STRESS_ARGS:-}'"
	} > "$root/stress/env"
fi
( cd "$root" && find . | cpio -o -H newc --quiet ) | gzip -1 > "$root.cpio.gz"
log "booting $label kernel ($image), console log in $logf"
# qemu64 with protection keys, which TCG emulates: the selftests of mirrors of
# pkey-protected and execute-only memory run instead of skipping.  VM_SMP and
# VM_TCG_THREAD are for benchmarks that compare emulator set-ups (bench.sh).
set +e
timeout "${VM_TIMEOUT:-1500}" qemu-system-x86_64 -m "${VM_MEM:-4096}" -smp "${VM_SMP:-2}" \
	-accel tcg,thread="${VM_TCG_THREAD:-multi}" -cpu "${VM_CPU:-qemu64,+pku}" -nographic -no-reboot \
	-kernel "$image" -initrd "$root.cpio.gz" \
	-append "console=ttyS0 quiet loglevel=5 panic=-1 tsc=reliable mmlabel=$label ${VM_APPEND:-}" \
	</dev/null >"$logf" 2>&1
rc=$?
set -e
tr -d '\r' < "$logf" > "$logf.tmp" && mv "$logf.tmp" "$logf"
[ $rc -eq 0 ] || log "qemu exited with $rc"
grep -q '^MM-END' "$logf" || die "$label VM did not finish (see $logf)"
