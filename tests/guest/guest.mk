# Guest test programs: every tests/guest/<name>.c is an ordinary static Linux
# program that tests/run.sh runs natively and inside monos, comparing stdout,
# stderr and exit status.  Each is built three ways, since monos must load all
# of them: musl static, glibc static, and glibc static-pie:
#   $(BUILD)/tests/guest/{musl,glibc,glibc-pie}/<name>
# The built-in example, $(BUILD)/examples/hello, is built here too.

GUEST_SRCS := $(wildcard tests/guest/*.c)
GUEST_NAMES := $(patsubst tests/guest/%.c,%,$(GUEST_SRCS))
GUEST_DIR := $(BUILD)/tests/guest
GUEST_BINS := $(foreach v,musl glibc glibc-pie,$(addprefix $(GUEST_DIR)/$(v)/,$(GUEST_NAMES)))
GUEST_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror=implicit-function-declaration
MUSL_CC ?= musl-gcc

.PHONY: guest-programs
guest-programs: $(GUEST_BINS) $(BUILD)/examples/hello

$(GUEST_DIR)/musl/%: tests/guest/%.c tests/guest/guest.h
	@mkdir -p $(dir $@)
	$(MUSL_CC) -static $(GUEST_CFLAGS) -o $@ $<

$(GUEST_DIR)/glibc/%: tests/guest/%.c tests/guest/guest.h
	@mkdir -p $(dir $@)
	$(HOSTCC) -static $(GUEST_CFLAGS) -o $@ $<

$(GUEST_DIR)/glibc-pie/%: tests/guest/%.c tests/guest/guest.h
	@mkdir -p $(dir $@)
	$(HOSTCC) -static-pie -fPIE $(GUEST_CFLAGS) -o $@ $<

$(BUILD)/examples/hello: examples/hello.c
	@mkdir -p $(dir $@)
	$(MUSL_CC) -static -O2 -Wall -Wextra -o $@ $<

# scripts/example.sh names the example by its absolute path.
ifneq ($(abspath $(BUILD)/examples/hello),$(BUILD)/examples/hello)
$(abspath $(BUILD)/examples/hello): $(BUILD)/examples/hello
endif
