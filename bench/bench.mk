# Start-up benchmarks (bench/run.sh drives bench/*.sh):
#   make bench        20 wall-time runs, 10 icount runs per mode; regenerates
#                     docs/benchmarks.md
#   make bench-quick  5 and 5, into $(BUILD)/bench/benchmarks-quick.md, so a
#                     quick look never overwrites the recorded figures
# Both need the CLI, the kernel, the hello example and the empty PVH guest,
# the baseline built here from bench/empty-pvh.S.
BENCH_EMPTY := $(BUILD)/bench/empty-pvh
BENCH_DEPS := $(BUILD)/monos $(BUILD)/monos-kernel $(BUILD)/examples/hello $(BENCH_EMPTY)
BENCH_ENV := BUILD=$(BUILD) BENCH_MONOS=$(BUILD)/monos BENCH_HELLO=$(BUILD)/examples/hello \
	BENCH_EMPTY=$(BENCH_EMPTY)

.PHONY: bench bench-quick

bench: $(BENCH_DEPS)
	$(BENCH_ENV) bash bench/run.sh -n 20 -i 10 -o docs/benchmarks.md

bench-quick: $(BENCH_DEPS)
	$(BENCH_ENV) bash bench/run.sh -n 5 -i 5 -o $(BUILD)/bench/benchmarks-quick.md
	@cat $(BUILD)/bench/benchmarks-quick.md

# The empty guest loads at 1 MiB like any PVH kernel; -N puts its note, code
# and data in one segment, whose PT_NOTE QEMU reads for the PVH entry.
$(BENCH_EMPTY): bench/empty-pvh.S
	@mkdir -p $(dir $@)
	$(KERNEL_CC) -c -o $@.o $<
	ld -m elf_x86_64 -N -nostdlib -static -z noexecstack --no-warn-rwx-segments \
		-e empty_entry -Ttext-segment=0x100000 -o $@ $@.o
