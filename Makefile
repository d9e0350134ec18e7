# SPDX-License-Identifier: MIT
# memmirror: libmemmirror, the mmr tool, tests, benchmarks and the kernel series.
#
#   make                 build/libmemmirror.{a,so}, build/mmr
#   make demo            the main job: mirror memory with every backend here
#   make check           every test: library (plain, ASan/UBSan, TSan), Python, kernel VM
#   make check-lib       library tests only     make check-sanitize / check-tsan
#   make install PREFIX=/usr/local DESTDIR=    make uninstall
#   make deb             Debian packages in build/deb (dpkg-buildpackage)
#
# CFLAGS, CPPFLAGS and LDFLAGS are the user's (or dpkg-buildflags'), added
# after ours. Warnings are errors only with WERROR=1 (CI sets it), so a
# newer compiler's new warning does not break a user's build.

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/memmirror
BUILD ?= build

CC ?= cc
CFLAGS ?= -O2 -g
CPPFLAGS ?=
LDFLAGS ?=
EXTRA_CFLAGS ?=
EXTRA_LDFLAGS ?=
WERROR ?= 0
# A warning option only where this compiler knows it (clang has no
# -Wformat-truncation and refuses unknown ones under -Werror).
cc-option = $(shell $(CC) -Werror $(1) -E -x c /dev/null >/dev/null 2>&1 && echo $(1))
# Error messages are cut to their buffers on purpose: no format-truncation.
MMR_WARN := -Wall -Wextra $(call cc-option,-Wno-format-truncation) $(if $(filter 1,$(WERROR)),-Werror)
MMR_CFLAGS := -std=c11 -D_GNU_SOURCE $(MMR_WARN) -fPIC -pthread \
	-Iinclude -Isrc $(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS)
LDLIBS := $(LDFLAGS) -pthread $(EXTRA_LDFLAGS)

ifeq ($(V),1)
Q :=
else
Q := @
endif

SOVERSION := 0
VERSION := $(shell cat VERSION)

LIB_SRC := $(sort $(wildcard src/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_OBJ := $(BENCH_SRC:%.c=$(BUILD)/obj/%.o)
TOOL_SRC := $(sort $(wildcard tools/*.c))
TOOL_OBJ := $(TOOL_SRC:%.c=$(BUILD)/obj/%.o) $(BENCH_OBJ)
TEST_SRC := $(sort $(wildcard tests/*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
EXAMPLE_SRC := $(sort $(wildcard examples/*.c))
EXAMPLE_BIN := $(EXAMPLE_SRC:examples/%.c=$(BUILD)/examples/%)

STATIC_LIB := $(BUILD)/libmemmirror.a
SHARED_LIB := $(BUILD)/libmemmirror.so.$(VERSION)

.PHONY: all lib tests examples demo check check-lib check-sanitize check-tsan \
	check-valgrind tests-static install uninstall clean deps

all: lib $(BUILD)/mmr examples

lib: $(STATIC_LIB) $(SHARED_LIB)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(MMR_CFLAGS) -MMD -MP -c -o $@ $<

$(STATIC_LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@
	@$(if $(Q),echo "  AR      $@")
	$(Q)$(AR) rcs $@ $^

$(SHARED_LIB): $(LIB_OBJ) src/memmirror.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(MMR_CFLAGS) -shared -Wl,-soname,libmemmirror.so.$(SOVERSION) \
		-Wl,--version-script=src/memmirror.map -o $@ $(LIB_OBJ) $(LDLIBS)
	$(Q)ln -sf libmemmirror.so.$(VERSION) $(BUILD)/libmemmirror.so.$(SOVERSION)
	$(Q)ln -sf libmemmirror.so.$(SOVERSION) $(BUILD)/libmemmirror.so

# MMR_LINK=shared links mmr to libmemmirror.so.0 (the Debian package does);
# the default static mmr runs from build/ without LD_LIBRARY_PATH.
MMR_LINK ?= static
MMR_TOOL_LIB := $(if $(filter shared,$(MMR_LINK)),$(SHARED_LIB),$(STATIC_LIB))

$(BUILD)/mmr: $(TOOL_OBJ) $(MMR_TOOL_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(MMR_CFLAGS) -o $@ $(TOOL_OBJ) \
		$(if $(filter shared,$(MMR_LINK)),-L$(BUILD) -lmemmirror,$(STATIC_LIB)) $(LDLIBS) -lm

tests: $(TEST_BIN)

$(BUILD)/tests/%: tests/%.c tests/helpers.h $(STATIC_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(MMR_CFLAGS) -Itests -o $@ $< $(STATIC_LIB) $(LDLIBS) -lm

examples: $(EXAMPLE_BIN)

$(BUILD)/examples/%: examples/%.c $(STATIC_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  EXAMPLE $@")
	$(Q)$(CC) $(MMR_CFLAGS) -o $@ $< $(STATIC_LIB) $(LDLIBS)

demo: $(BUILD)/mmr
	$(BUILD)/mmr probe
	$(BUILD)/mmr demo

# The README's test command: every suite, then one total line.
CHECK_SUITES := check-lib check-sanitize check-tsan $(if $(wildcard kernel/kernel.mk),kernel-check kernel-checkpatch)
check:
	@MAKE="$(MAKE)" sh scripts/check-all.sh $(CHECK_SUITES)

check-lib: tests
	sh tests/run.sh $(BUILD)/tests

check-sanitize:
	$(MAKE) BUILD=build/asan \
		EXTRA_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		EXTRA_LDFLAGS="-fsanitize=address,undefined" check-lib

check-tsan:
	$(MAKE) BUILD=build/tsan EXTRA_CFLAGS="-fsanitize=thread -O1" \
		EXTRA_LDFLAGS="-fsanitize=thread" check-lib

check-valgrind: tests
	MMR_TEST_QUICK=1 MMR_TEST_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite" \
		sh tests/run.sh $(BUILD)/tests

# Static test binaries for the kernel VM (kernel/kernel.mk picks them up).
tests-static:
	$(MAKE) BUILD=build/static EXTRA_LDFLAGS="-static" tests
	rm -rf build/tests-static && mkdir -p build/tests-static
	cp build/static/tests/* build/tests-static/

deps:
	sh scripts/deps.sh all

MAN_PAGES := $(sort $(wildcard man/*.[137]))
EXAMPLE_FILES := $(sort $(wildcard examples/*.c examples/*/*.c examples/*/*.h))
PYTHON ?= /usr/bin/python3
# Where Debian's python3 looks: dist-packages, version-less under /usr.
PYTHONDIR ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/lib/python3/dist-packages,$(PREFIX)/lib/python$(shell \
	$(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo 3)/dist-packages)
PY_FILES := $(sort $(wildcard python/memmirror/*.py))

install: all
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	install -m 644 include/memmirror.h $(DESTDIR)$(INCDIR)/
	install -m 644 $(STATIC_LIB) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHARED_LIB) $(DESTDIR)$(LIBDIR)/
	ln -sf libmemmirror.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libmemmirror.so.$(SOVERSION)
	ln -sf libmemmirror.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libmemmirror.so
	sed -e '/^# SPDX/d; s|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCDIR@|$(INCDIR)|; s|@VERSION@|$(VERSION)|' \
		memmirror.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/memmirror.pc
	install -m 755 $(BUILD)/mmr $(DESTDIR)$(BINDIR)/
	for f in $(MAN_PAGES); do \
		install -m 644 $$f $(DESTDIR)$(MANDIR)/man$${f##*.}/ || exit 1; done
	for f in $(EXAMPLE_FILES); do \
		install -D -m 644 $$f $(DESTDIR)$(DOCDIR)/$$f || exit 1; done
	$(if $(PY_FILES),install -d $(DESTDIR)$(PYTHONDIR)/memmirror)
	$(if $(PY_FILES),install -m 644 $(PY_FILES) $(DESTDIR)$(PYTHONDIR)/memmirror/)
	@case "$(DESTDIR)$(LIBDIR)" in /usr/local/lib|/usr/local/lib64) \
		echo "memmirror: run ldconfig (as root) so the loader finds libmemmirror.so.$(SOVERSION) in $(LIBDIR)";; \
	esac

uninstall:
	rm -f $(DESTDIR)$(INCDIR)/memmirror.h $(DESTDIR)$(LIBDIR)/libmemmirror.a \
		$(DESTDIR)$(LIBDIR)/libmemmirror.so $(DESTDIR)$(LIBDIR)/libmemmirror.so.$(SOVERSION) \
		$(DESTDIR)$(LIBDIR)/libmemmirror.so.$(VERSION) \
		$(DESTDIR)$(LIBDIR)/pkgconfig/memmirror.pc $(DESTDIR)$(BINDIR)/mmr
	for f in $(MAN_PAGES); do rm -f $(DESTDIR)$(MANDIR)/man$${f##*.}/$${f#man/}; done
	rm -rf $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(PYTHONDIR)/memmirror
	rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true

clean:
	rm -rf $(BUILD)/obj $(BUILD)/tests $(BUILD)/examples $(BUILD)/mmr \
		$(BUILD)/libmemmirror.* build/asan build/tsan build/static build/tests-static

# Feature fragments (ring, heap, peers, kernel) add their own targets.
-include $(sort $(wildcard mk/*.mk))
-include kernel/kernel.mk

-include $(LIB_OBJ:.o=.d) $(TOOL_OBJ:.o=.d)
