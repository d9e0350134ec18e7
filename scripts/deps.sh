#!/bin/sh
# SPDX-License-Identifier: MIT
# Install what memmirror needs on Debian 12 (run as root; a no-op when all
# is there). Usage: sh scripts/deps.sh [lib|kernel|deb|bench|all]   (default: all)
#   lib     build the library, mmr and the Python package, run their tests
#   kernel  build and boot the patched kernel (make check, make kernel)
#   deb     build the Debian packages (make deb)
#   bench   the C peers of `mmr bench ring` (make bench-peers-c): ZeroMQ,
#           Concurrency Kit, DPDK (GNU Radio, far larger, only on demand by
#           make bench-peers)
#   all     all of it, and clang (CI builds with both compilers)
set -e
what=${1:-all}
# Python: numpy and pytest for the tests; python3-dev and setuptools build the
# extension (make python, pip install --no-build-isolation); venv and build
# for the install tests (a venv, a wheel).
lib_pkgs="build-essential valgrind python3-numpy python3-pytest python3-dev python3-setuptools python3-venv python3-build"
# make check-32 builds the library suite as i386 code.
[ "$(dpkg --print-architecture 2>/dev/null)" = amd64 ] && lib_pkgs="$lib_pkgs gcc-multilib"
kernel_pkgs="linux-source-6.12 flex bison bc libelf-dev libssl-dev rsync cpio busybox-static qemu-system-x86 man-db"
deb_pkgs="dpkg-dev debhelper dh-python pybuild-plugin-pyproject lintian pkg-config python3-dev python3-setuptools python3-numpy python3-pytest"
bench_pkgs="libzmq3-dev libck-dev libdpdk-dev pkg-config"
case $what in
lib) pkgs=$lib_pkgs ;;
kernel) pkgs=$kernel_pkgs ;;
deb) pkgs=$deb_pkgs ;;
bench) pkgs=$bench_pkgs ;;
all) pkgs="$lib_pkgs $kernel_pkgs $deb_pkgs $bench_pkgs clang" ;;
*) echo "usage: $0 [lib|kernel|deb|bench|all]" >&2; exit 2 ;;
esac
missing=
for p in $pkgs; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "memmirror: missing Debian packages:$missing" >&2
	echo "memmirror: run as root, or: sudo apt-get install$missing" >&2
	exit 1
fi
echo "memmirror: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends $missing
