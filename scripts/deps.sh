#!/bin/sh
# SPDX-License-Identifier: MIT
# Install what memmirror needs on Debian 12 (run as root; a no-op when all
# is there). Usage: sh scripts/deps.sh [--check] [lib|kernel|deb|bench|gnuradio|all]
# (default: all). --check installs nothing: it names what is missing and
# exits 1 (what make's recipes use: a build never installs packages).
#   lib     build the library, mmr and the Python package, run their tests
#   kernel  build and boot the patched kernel (make check, make kernel)
#   deb     build the Debian packages (make deb), check the ABI (check-abi.sh)
#   bench   the C peers of `mmr bench ring` (make bench-peers-c): ZeroMQ,
#           Concurrency Kit, DPDK (GNU Radio, far larger, only on demand by
#           make bench-peers)
#   gnuradio  GNU Radio, the peer of make bench-peers
#   all     all of it, and clang (CI builds with both compilers)
set -e
check=
if [ "$1" = --check ]; then
	check=1
	shift
fi
what=${1:-all}
# Python: numpy and pytest for the tests; python3-dev and setuptools build the
# extension (make python, pip install --no-build-isolation); venv and build
# for the install tests (a venv, a wheel).
lib_pkgs="build-essential valgrind python3-numpy python3-pytest python3-dev python3-setuptools python3-venv python3-build"
# make check-32 builds the library suite as i386 code.
[ "$(dpkg --print-architecture 2>/dev/null)" = amd64 ] && lib_pkgs="$lib_pkgs gcc-multilib"
# The kernel series is based on one exact version of Debian's kernel source
# (kernel/BASE): that version is installed, upgrading or downgrading.
. "$(dirname "$0")/../kernel/BASE"
kernel_pkgs="$KBASE_PACKAGE=$KBASE_VERSION flex bison bc libelf-dev libssl-dev rsync cpio busybox-static qemu-system-x86 man-db"
deb_pkgs="dpkg-dev debhelper dh-python pybuild-plugin-pyproject lintian pkg-config python3-dev python3-setuptools python3-numpy python3-pytest abigail-tools"
bench_pkgs="libzmq3-dev libck-dev libdpdk-dev pkg-config"
gnuradio_pkgs="gnuradio-dev libfmt-dev libspdlog-dev pkg-config"
case $what in
lib) pkgs=$lib_pkgs ;;
kernel) pkgs=$kernel_pkgs ;;
deb) pkgs=$deb_pkgs ;;
bench) pkgs=$bench_pkgs ;;
gnuradio) pkgs=$gnuradio_pkgs ;;
all) pkgs="$lib_pkgs $kernel_pkgs $deb_pkgs $bench_pkgs clang" ;;
*) echo "usage: $0 [--check] [lib|kernel|deb|bench|gnuradio|all]" >&2; exit 2 ;;
esac
missing=
for p in $pkgs; do
	case $p in
	*=*)	# name=version: installed at exactly that version?
		v=$(dpkg-query -W -f '${Status} ${Version}' "${p%%=*}" 2>/dev/null || true)
		[ "$v" = "install ok installed ${p#*=}" ] || missing="$missing $p" ;;
	*)	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0
if [ -n "$check" ]; then
	echo "memmirror: missing Debian packages:$missing" >&2
	echo "memmirror: install them (as root: sh scripts/deps.sh $what, or apt-get install$missing)" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "memmirror: missing Debian packages:$missing" >&2
	echo "memmirror: run as root, or: sudo apt-get install$missing" >&2
	exit 1
fi
echo "memmirror: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# --allow-downgrades: a newer kernel source than kernel/BASE may be installed.
apt-get install -y -q --no-install-recommends --allow-downgrades $missing
