# SPDX-License-Identifier: MIT
# The mmr tool's tests: tests/footprint.c measures with tools/footprint.c
# itself; tests/cli.c runs the built mmr (so `make tests` builds it).

FOOTPRINT_SRC := tools/footprint.c
FOOTPRINT_HDR := tools/footprint.h

$(BUILD)/tests/footprint: tests/footprint.c tests/helpers.h $(FOOTPRINT_SRC) \
		$(FOOTPRINT_HDR) $(STATIC_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(MMR_CFLAGS) -Itests -Itools -o $@ $< $(FOOTPRINT_SRC) $(STATIC_LIB) \
		$(LDLIBS) -lm

$(BUILD)/tests/cli: $(BUILD)/mmr

$(BUILD)/tests/hugepool: tests/hugepool.c tests/helpers.h tools/hugepool.c tools/hugepool.h \
		$(STATIC_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(MMR_CFLAGS) -Itests -Itools -o $@ $< tools/hugepool.c $(STATIC_LIB) $(LDLIBS)

$(BUILD)/tests/json: tests/json.c tests/helpers.h tools/json.c tools/json.h $(STATIC_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(MMR_CFLAGS) -Itests -Itools -o $@ $< tools/json.c $(STATIC_LIB) $(LDLIBS) -lm

$(BUILD)/tests/cli_args: tests/cli_args.c tests/helpers.h tools/cli.c tools/cli.h $(STATIC_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(MMR_CFLAGS) -Itests -Itools -o $@ $< tools/cli.c $(STATIC_LIB) $(LDLIBS)
