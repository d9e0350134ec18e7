#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Print the series' pinned base and the newest version of the same package that the
# archive serves, and say plainly when they differ. Never fails: a newer source is
# news for the maintainers (make kernel-rebase), not a broken build.
. "$(dirname "$0")/lib.sh"

newest=$(apt-cache madison "$KBASE_PACKAGE" 2>/dev/null | awk -F'|' '{gsub(/ /, "", $2); print $2}' |
	sort -V | tail -1)
echo "kernel base: pinned $KBASE_PACKAGE $KBASE_VERSION (kernel/BASE); newest in the archive: ${newest:-unknown (apt-cache knows no version: apt-get update)}"
if [ -n "$newest" ] && [ "$newest" != "$KBASE_VERSION" ]; then
	if dpkg --compare-versions "$newest" gt "$KBASE_VERSION"; then
		echo "WARNING: Debian serves a newer $KBASE_PACKAGE ($newest) than the series' base ($KBASE_VERSION)."
		echo "WARNING: the build still uses $KBASE_VERSION; to move the series: make kernel-rebase TO=$newest"
	else
		echo "WARNING: the archive's newest $KBASE_PACKAGE ($newest) is older than the base ($KBASE_VERSION)"
	fi
fi
exit 0
