# monos: top-level build.  `make` builds build/monos (the CLI) and
# build/monos-kernel (the one kernel every image boots); `make test` runs every
# test.  Each part has its own fragment, included below; all outputs go to
# $(BUILD), which git ignores.

BUILD ?= build
HOSTCC ?= gcc
HOST_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror=implicit-function-declaration \
	-Iinclude -Ikernel/lib/include

.PHONY: all test unit-test guest-test cli-test clean format example bench
all: $(BUILD)/monos $(BUILD)/monos-kernel

include kernel/kernel.mk
include cli/cli.mk
include tests/unit/unit.mk
include tests/guest/guest.mk
include bench/bench.mk
include tests/fuzz/fuzz.mk

test: all unit-test guest-programs
	bash tests/run.sh

example: all
	$(BUILD)/monos run $(BUILD)/examples/hello

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)
