# SPDX-License-Identifier: MIT
# The mmr tool's tests link the tools/ and common/ code they exercise (tests/footprint.c
# measures with tools/footprint.c itself); tests/cli.c runs the built mmr
# (so `make tests` builds it).

TOOL_TESTS := footprint hugepool json cli_args
$(foreach t,$(TOOL_TESTS),$(BUILD)/obj/tests/$(t).o): MMR_CFLAGS += -Itools -Icommon

$(BUILD)/tests/footprint: TEST_EXTRA_OBJ = $(BUILD)/obj/tools/footprint.o $(BUILD)/obj/common/json.o
$(BUILD)/tests/footprint: $(BUILD)/obj/tools/footprint.o $(BUILD)/obj/common/json.o
$(BUILD)/tests/hugepool: TEST_EXTRA_OBJ = $(BUILD)/obj/tools/hugepool.o
$(BUILD)/tests/hugepool: $(BUILD)/obj/tools/hugepool.o
$(BUILD)/tests/json: TEST_EXTRA_OBJ = $(BUILD)/obj/common/json.o
$(BUILD)/tests/json: $(BUILD)/obj/common/json.o
$(BUILD)/tests/cli_args: TEST_EXTRA_OBJ = $(BUILD)/obj/common/cli.o
$(BUILD)/tests/cli_args: $(BUILD)/obj/common/cli.o

$(BUILD)/tests/cli: $(BUILD)/mmr
