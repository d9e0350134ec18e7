#!/bin/sh
# SPDX-License-Identifier: MIT
# Installed-tests smoke check, run after the Debian packages are installed:
# the README's example built with pkg-config against the installed -dev
# package, mmr probe from memmirror-tools, and the Python package.
# Uses nothing from the build tree but README.md.
set -e
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The first C block after "## A short example".
awk '/^## A short example/ { on = 1 } on && /^```c/ { inb = 1; next }
     inb && /^```/ { exit } inb { print }' README.md >"$tmp/ex.c"
grep -q mmr_region_create "$tmp/ex.c" || { echo "smoke: no example in README.md" >&2; exit 1; }
# shellcheck disable=SC2046 # pkg-config output is meant to split
cc -Wall -Werror -o "$tmp/ex" "$tmp/ex.c" $(pkg-config --cflags --libs memmirror)
out=$("$tmp/ex")
[ "$out" = x ] || { echo "smoke: README example printed '$out', not 'x'" >&2; exit 1; }
echo "smoke: README example (pkg-config $(pkg-config --modversion memmirror)): $out"
ldd "$tmp/ex" | grep -Eq 'libmemmirror.so.0 => (/usr)?/lib/' ||
	{ echo "smoke: example not linked to the installed libmemmirror.so.0" >&2; exit 1; }
ldd /usr/bin/mmr | grep -Eq 'libmemmirror.so.0 => (/usr)?/lib/' ||
	{ echo "smoke: mmr not linked to the installed libmemmirror.so.0" >&2; exit 1; }
mmr probe >"$tmp/probe"
head -n 1 "$tmp/probe"
mmr probe --json >/dev/null
man -w mmr >/dev/null && man -w mmr_ring_create >/dev/null && man -w mmr_backend_name >/dev/null &&
	man -w mmr_circbuf_trim >/dev/null
ls /usr/share/doc/libmemmirror0/CHANGELOG.md* >/dev/null ||
	{ echo "smoke: CHANGELOG.md is not installed" >&2; exit 1; }
cd "$tmp" && env -u MEMMIRROR_LIBRARY -u PYTHONPATH /usr/bin/python3 -c '
import memmirror, numpy as np
assert memmirror.__file__.startswith("/usr/lib/python3/dist-packages/"), memmirror.__file__
import importlib.metadata
assert importlib.metadata.version("memmirror") == memmirror.__version__   # dist-info
r = memmirror.Region(1 << 20)
a, b = r.view(), r.view(writable=False)
a[7] = 42
assert b[7] == 42
g = memmirror.Ring(1 << 16)
w = g.reserve(10, np.float32); w[:] = 1.5; g.produce(w.nbytes)
assert g.peek(10, np.float32).sum() == 15
c = memmirror.CircBuf(4096).array
c[c.size // 2] = 5
assert c[0] == 5
print("smoke: python3 memmirror", memmirror.__version__, "from", memmirror.__file__)
'
echo "smoke: passed"
