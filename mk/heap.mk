# SPDX-License-Identifier: MIT
# Multi-view heap: the example collector (examples/gc/) and its test.
# tests/heap_gc.c includes examples/gc/gc.c: its -MMD dependencies rebuild it.

GC_SRC := examples/gc/gc.c examples/gc/main.c
GC_HDR := examples/gc/gc.h

examples: $(BUILD)/examples/gc

$(BUILD)/examples/gc: $(GC_SRC) $(GC_HDR) $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(MMR_CFLAGS) -Iexamples/gc -o $@ $(GC_SRC) $(STATIC_LIB) $(LDLIBS)
