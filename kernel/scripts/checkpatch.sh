#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# checkpatch.pl --strict on every patch of the series (not the cover letter).
. "$(dirname "$0")/lib.sh"
"$(dirname "$0")/src.sh"
# checkpatch's SPDX check runs scripts/spdxcheck.py, which needs python3-ply and -git.
if ! python3 -c 'import ply, git' 2>/dev/null; then
	if [ -n "${CI:-}" ]; then
		need_pkgs python3-ply python3-git
	else
		log "python3-ply/python3-git missing: the SPDX licence check is skipped"
	fi
fi
# The tree is the Debian source without history: checkpatch cannot look up the
# commit of a Fixes: tag (UNKNOWN_COMMIT_ID), and warns about any added file
# whether MAINTAINERS covers it or not (FILE_PATH_CHANGES). The second is
# checked below instead: every file the series adds must have a maintainer.
ignore=UNKNOWN_COMMIT_ID,FILE_PATH_CHANGES
bad=0
for f in $(series_files); do
	abs=$(realpath "$f")
	out=$(cd "$KSRC" && perl scripts/checkpatch.pl --strict --no-summary --terse --ignore "$ignore" "$abs" 2>/dev/null || true)
	if [ -n "$out" ]; then
		echo "$out"
		bad=$((bad + 1))
	else
		echo "clean: $f"
	fi
done
for f in $(git -C "$KSRC" diff --diff-filter=A --name-only pristine..HEAD); do
	m=$(cd "$KSRC" && perl scripts/get_maintainer.pl --nogit --nogit-fallback --norolestats --nol -f "$f" 2>/dev/null || true)
	if [ -z "$m" ]; then
		echo "MAINTAINERS: no maintainer for $f, added by the series"
		bad=$((bad + 1))
	fi
done
n=$(series_files | wc -l)
echo "checkpatch: $n patches, $bad with findings"
echo "$((n - bad)) passed, $bad failed"
[ $bad -eq 0 ]
