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
bad=0
for f in $(series_files); do
	abs=$(realpath "$f")
	out=$(cd "$KSRC" && perl scripts/checkpatch.pl --strict --no-summary --terse "$abs" 2>/dev/null || true)
	if [ -n "$out" ]; then
		echo "$out"
		bad=$((bad + 1))
	else
		echo "clean: $f"
	fi
done
n=$(series_files | wc -l)
echo "checkpatch: $n patches, $bad with findings"
echo "$((n - bad)) passed, $bad failed"
[ $bad -eq 0 ]
