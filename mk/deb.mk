# SPDX-License-Identifier: MIT
# Debian packages (debian/): libmemmirror0, libmemmirror-dev, memmirror-tools,
# python3-memmirror.
#
#   make deb            dpkg-buildpackage -us -uc -b, then lintian; the .debs
#                       land in $(BUILD)/deb
#   make deb-symbols    regenerate debian/libmemmirror0.symbols after the
#                       exported API changed

.PHONY: deb deb-symbols

deb:
	sh scripts/deb.sh $(BUILD)/deb

deb-symbols:
	MAKE="$(MAKE)" BUILD=$(BUILD) sh scripts/deb-symbols.sh
