# Fuzzing (tests/fuzz/): the syscall fuzzer, a static musl guest program run
# inside monos, and the host libFuzzer targets of the parsers that read
# untrusted bytes (ELF checks, cpio reader, channel decoder, command line,
# ext4 images, HTTP answers).
#   make fuzz-programs   build them all into $(BUILD)/tests/fuzz/
#   make fuzz            fuzz for FUZZ_SECONDS (default 600) each: every host
#                        target (two at a time, niced; new inputs merged into
#                        tests/fuzz/corpus/TARGET with -merge=1), then the
#                        syscall fuzzer over seeds from FUZZ_SEED (default 1)
#                        with FUZZ_CALLS calls each (default 20000), at
#                        most FUZZ_SEEDS seeds (default 0: no limit).
#                        FUZZ_TARGETS picks a subset: "sys elf cpio ...".
# tests/run.sh's fuzz stage replays the corpora and a fixed set of seeds.
FUZZ_DIR := $(BUILD)/tests/fuzz
FUZZ_HOST_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_HOST_BINS := $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_HOST_NAMES))
FUZZ_CC ?= clang
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Iinclude -Ikernel/lib/include -Icli
FUZZ_SECONDS ?= 600
FUZZ_SEED ?= 1
FUZZ_CALLS ?= 20000
FUZZ_SEEDS ?= 0
FUZZ_TARGETS ?= $(FUZZ_HOST_NAMES) sys

.PHONY: fuzz fuzz-programs
fuzz-programs: $(FUZZ_DIR)/sysfuzz $(FUZZ_HOST_BINS)

$(FUZZ_DIR)/sysfuzz: $(wildcard tests/fuzz/sysfuzz*.c) tests/fuzz/sysfuzz.h
	@mkdir -p $(dir $@)
	$(MUSL_CC) -static $(GUEST_CFLAGS) -o $@ $(filter %.c,$^)

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -o $@ $<

fuzz: all fuzz-programs
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_SEED=$(FUZZ_SEED) FUZZ_CALLS=$(FUZZ_CALLS) FUZZ_SEEDS=$(FUZZ_SEEDS) \
		BUILD=$(BUILD) bash tests/fuzz/fuzz.sh $(FUZZ_TARGETS)

-include $(FUZZ_HOST_BINS:=.d)
