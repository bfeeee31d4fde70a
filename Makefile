# monos: top-level build.  `make` builds build/monos (the CLI) and
# build/monos-kernel (the one kernel every image boots); `make test` runs every
# test.  Each part has its own fragment, included below; all outputs go to
# $(BUILD), which git ignores.

# `make SAN=1` builds the host code only (the CLI and the host unit tests)
# with AddressSanitizer and UndefinedBehaviorSanitizer into build/san, so the
# normal build is never mixed with it; -fno-sanitize-recover makes every
# report fatal (a failing test; -O1, as ASan advises: at -O2 GCC loses
# use-after-scope reports), and tests/run.sh runs that build as its
# san/ stage.
SAN ?=
ifeq ($(SAN),1)
BUILD ?= build/san
SAN_FLAGS := -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
BUILD ?= build
SAN_FLAGS :=
endif
HOSTCC ?= gcc
HOST_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror=implicit-function-declaration \
	-Iinclude -Ikernel/lib/include $(SAN_FLAGS)

.PHONY: all test unit-test guest-test cli-test clean format example bench failinject soak crash-test
ifeq ($(SAN),1)
all: $(BUILD)/monos unit-test tools
else
all: $(BUILD)/monos $(BUILD)/monos-kernel $(BUILD)/monos-agent tools
endif

include kernel/kernel.mk
include cli/cli.mk
include tests/unit/unit.mk
include tests/guest/guest.mk
include agent/agent.mk
include bench/bench.mk
include tests/fuzz/fuzz.mk
include tests/tools/tools.mk

test: all unit-test guest-programs
	bash tests/run.sh

# Allocation failure injection over every N of several programs' runs
# (scripts/failinject.sh); tests/cli/failinject.sh runs a sample in CI.  Only
# programs that end when a call fails: a threaded test waits at its barrier
# for a thread that could not start, as on Linux, and looks like a hang.
FAILINJECT_PROGRAMS ?= examples/hello tests/guest/musl/pipe tests/guest/musl/fs_tmp \
	tests/guest/musl/timers tests/guest/musl/signals tests/guest/musl/poll
failinject: all guest-programs
	@set -e; for p in $(FAILINJECT_PROGRAMS); do bash scripts/failinject.sh -- $(BUILD)/$$p; done

# Each server under load in monos for SOAK_SECONDS (default 10 minutes):
# zero errors, and the kernel's memory the same after as after warm-up.
SOAK_SECONDS ?= 600
soak: all guest-programs
	@bash scripts/deps.sh bench
	BUILD=$(BUILD) bash bench/soak.sh $(SOAK_SECONDS)

# Issue 9's crash tests at full size (docs/benchmarks.md 14f), run as
# tests/run.sh runs tests/cli/*.sh: CRASH_ROUNDS (default 300) rounds of
# SIGKILL mid-write (CI runs fewer), then the blklogwrites log of a writer
# checked at every one of its flush points.
CRASH_ROUNDS ?= 300
crash-test: all guest-programs
	@set -e; t=$$(mktemp -d); trap 'rm -rf "$$t"' EXIT; \
	for s in volume_crash volume_blklog; do \
		mkdir -p "$$t/$$s"; \
		VOLCRASH_ROUNDS=$(CRASH_ROUNDS) BLKLOG_RECORDS=200 BLKLOG_POINTS=0 MONOS=$(abspath $(BUILD))/monos \
		BUILD=$(abspath $(BUILD)) GUEST=$(abspath $(BUILD))/tests/guest/musl \
		TMPDIR="$$t/$$s" nice bash tests/cli/$$s.sh; \
	done

example: all
	$(BUILD)/monos run $(BUILD)/examples/hello

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)
