#!/bin/sh
# SPDX-License-Identifier: MIT
# The release version is written in VERSION; the files that cannot be
# generated from it at build time (they ship as they are, or are read
# before any build) must say the same. Prints each that disagrees, exits 1.
# usage: sh scripts/check-version.sh       (or: make check-version)
cd "$(dirname "$0")/.."
v=$(cat VERSION)
bad=0
fail() {
	echo "memmirror: $1 (VERSION says $v)" >&2
	bad=1
}
# Python: the package's version is VERSION itself (pyproject.toml reads the
# file), and __version__ is the header's, compiled into the extension.
grep -q '^version = {file = "VERSION"}' pyproject.toml ||
	fail "pyproject.toml: the version is not read from the file VERSION"
grep -q '^__version__: str = _ring.HEADER_VERSION' python/memmirror/__init__.py ||
	fail "python/memmirror/__init__.py: __version__ is not the header's (_ring.HEADER_VERSION)"
th=$(sed -n 's/^\.TH MMR 1 [^ ]* "memmirror \([^"]*\)".*/\1/p' man/mmr.1)
[ "$th" = "$v" ] || fail "man/mmr.1: .TH says 'memmirror $th'"
grep -q "^\.IR \\\\(dq$v\\\\(dq \.\$" man/mmr_version.3 ||
	fail "man/mmr_version.3: its example is not \"$v\""
# debian/changelog: the version (without the Debian revision), the date.
deb=$(sed -n '1s/^memmirror (\([^)-]*\).*/\1/p' debian/changelog)
[ "$deb" = "$v" ] || fail "debian/changelog: its top entry is $deb"
dist=$(sed -n '1s/^[^)]*) \([^;]*\);.*/\1/p' debian/changelog)
deb_date=$(sed -n 's/^ -- .*>  \(.*\)$/\1/p' debian/changelog | head -1)
deb_day=$(date -u -d "$deb_date" +%Y-%m-%d 2>/dev/null)
# CHANGELOG.md: "## VERSION (YYYY-MM-DD)", or "(unreleased)" while
# debian/changelog is UNRELEASED too.
head=$(sed -n 's/^## \([^ ]*\) (\(.*\))$/\1 \2/p' CHANGELOG.md | head -1)
[ "${head%% *}" = "$v" ] || fail "CHANGELOG.md: its top entry is '${head%% *}'"
when=${head#* }
if [ "$dist" = UNRELEASED ]; then
	[ "$when" = unreleased ] ||
		fail "CHANGELOG.md says $when but debian/changelog is UNRELEASED"
elif [ "$when" != "$deb_day" ]; then
	fail "CHANGELOG.md dates $v '$when', debian/changelog releases it on $deb_day"
fi
[ $bad = 0 ] && echo "memmirror: $v in VERSION, python, man pages, CHANGELOG.md and debian/changelog"
exit $bad
