# SPDX-License-Identifier: MIT
# memmirror: libmemmirror, the mmr tool, tests, benchmarks and the kernel series.
#
#   make                 build/libmemmirror.{a,so}, build/mmr
#   make demo            the main job: mirror memory with every backend here
#   make check           every test: library (plain + ASan/UBSan, TSan), kernel VMs (plain + debug)
#   make check-lib       library tests only     make check-sanitize / check-tsan
#   make install PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BUILD ?= build

CC ?= cc
CFLAGS ?= -O2 -g
EXTRA_CFLAGS ?=
EXTRA_LDFLAGS ?=
# Error messages are cut to their buffers on purpose: no format-truncation.
MMR_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-format-truncation -fPIC -pthread \
	-Iinclude -Isrc $(CFLAGS) $(EXTRA_CFLAGS)
LDLIBS := -pthread $(EXTRA_LDFLAGS)

ifeq ($(V),1)
Q :=
else
Q := @
endif

SOVERSION := 0
VERSION := 0.1.0

LIB_SRC := $(sort $(wildcard src/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_OBJ := $(BENCH_SRC:%.c=$(BUILD)/obj/%.o)
TOOL_OBJ := $(BUILD)/obj/tools/mmr.o $(BENCH_OBJ)
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

$(BUILD)/mmr: $(TOOL_OBJ) $(STATIC_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(MMR_CFLAGS) -o $@ $(TOOL_OBJ) $(STATIC_LIB) $(LDLIBS) -lm

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
CHECK_SUITES := check-lib check-sanitize check-tsan $(if $(wildcard kernel/kernel.mk),kernel-check kernel-check-debug kernel-checkpatch)
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

install: all
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	install -m 644 include/memmirror.h $(DESTDIR)$(INCDIR)/
	install -m 644 $(STATIC_LIB) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHARED_LIB) $(DESTDIR)$(LIBDIR)/
	ln -sf libmemmirror.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libmemmirror.so.$(SOVERSION)
	ln -sf libmemmirror.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libmemmirror.so
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCDIR@|$(INCDIR)|; s|@VERSION@|$(VERSION)|' \
		memmirror.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/memmirror.pc
	install -m 755 $(BUILD)/mmr $(DESTDIR)$(BINDIR)/
	for f in man/*.3; do [ -e "$$f" ] && install -m 644 $$f $(DESTDIR)$(MANDIR)/man3/ || true; done
	for f in man/*.1; do [ -e "$$f" ] && install -m 644 $$f $(DESTDIR)$(MANDIR)/man1/ || true; done
	for f in man/*.7; do [ -e "$$f" ] && install -m 644 $$f $(DESTDIR)$(MANDIR)/man7/ || true; done

uninstall:
	rm -f $(DESTDIR)$(INCDIR)/memmirror.h $(DESTDIR)$(LIBDIR)/libmemmirror.* \
		$(DESTDIR)$(LIBDIR)/pkgconfig/memmirror.pc $(DESTDIR)$(BINDIR)/mmr

clean:
	rm -rf $(BUILD)/obj $(BUILD)/tests $(BUILD)/examples $(BUILD)/mmr \
		$(BUILD)/libmemmirror.* build/asan build/tsan build/static build/tests-static

# Feature fragments (ring, heap, peers, kernel) add their own targets.
-include $(sort $(wildcard mk/*.mk))
-include kernel/kernel.mk

-include $(LIB_OBJ:.o=.d) $(TOOL_OBJ:.o=.d)
