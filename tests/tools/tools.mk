# Host tools for the tests (tests/tools/): built with the host flags (so
# `make SAN=1` builds them with ASan and UBSan) as part of `make`.
#   logreplay   replays a QEMU blklogwrites log (tests/cli/volume_blklog.sh)
TOOLS_DIR := $(BUILD)/tests/tools
TOOLS_BINS := $(TOOLS_DIR)/logreplay

.PHONY: tools
tools: $(TOOLS_BINS)

$(TOOLS_DIR)/%: tests/tools/%.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -MMD -MP -o $@ $<

-include $(TOOLS_BINS:=.d)
