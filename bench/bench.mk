# Benchmarks (bench/run.sh drives bench/*.sh), monos against its baselines:
#   make bench        every figure with full repeats; regenerates
#                     docs/benchmarks.md and the charts docs/bench-*.png
#   make bench-quick  fewer repeats and a shorter HTTP run, into
#                     $(BUILD)/bench/benchmarks-quick.md (charts beside it),
#                     so a quick look never overwrites the recorded figures
# Both need the CLI, the kernel, the hello example, the HTTP server of the
# guest tests, and the baselines built here: the empty PVH guest (from
# bench/empty-pvh.S), the benchmark programs bench/syscall.c and
# bench/fork.c and bench/hello-tsc.c (musl static, like hello), and the Linux guest
# (bench/linux-guest.sh: Debian's cloud kernel, fetched with apt-get
# download, and an initramfs holding the programs; a second one holds
# Debian's redis-server and nginx with their libraries, bench/redis.conf,
# bench/nginx.conf and the page bench/www, for the Redis, nginx and memory
# figures).
BENCH_EMPTY := $(BUILD)/bench/empty-pvh
BENCH_SYSCALL := $(BUILD)/bench/syscall
BENCH_FORK := $(BUILD)/bench/fork
BENCH_HELLO_TSC := $(BUILD)/bench/hello-tsc
BENCH_HTTPD := $(BUILD)/tests/guest/musl/httpd
BENCH_BLKIO := $(BUILD)/tests/guest/musl/blkio
BENCH_SHAREBENCH := $(BUILD)/tests/guest/musl/sharebench
BENCH_LINUX_DIR := $(BUILD)/bench/linux
BENCH_LINUX_PROGS := $(BUILD)/examples/hello $(BENCH_HELLO_TSC) $(BENCH_SYSCALL) $(BENCH_HTTPD) \
	$(BENCH_BLKIO) $(BENCH_FORK)
BENCH_LINUX_APPS := /usr/bin/redis-server /usr/sbin/nginx \
	bench/redis.conf:/etc/monos/redis.conf bench/nginx.conf:/etc/monos/nginx.conf \
	bench/www:/srv/www /etc/nginx/mime.types:/etc/nginx/mime.types
BENCH_LINUX := $(BENCH_LINUX_DIR)/initramfs.cpio.gz $(BENCH_LINUX_DIR)/initramfs-hello.cpio.gz \
	$(BENCH_LINUX_DIR)/initramfs-apps.cpio.gz
BENCH_DEPS := $(BUILD)/monos $(BUILD)/monos-kernel $(BUILD)/examples/hello $(BENCH_EMPTY) \
	$(BENCH_SYSCALL) $(BENCH_FORK) $(BENCH_HELLO_TSC) $(BENCH_HTTPD) $(BENCH_BLKIO) \
	$(BENCH_SHAREBENCH) $(BENCH_LINUX)
BENCH_ENV := BUILD=$(BUILD) BENCH_MONOS=$(BUILD)/monos BENCH_HELLO=$(BUILD)/examples/hello \
	BENCH_EMPTY=$(BENCH_EMPTY)

.PHONY: bench bench-quick bench-deps

# The packages first: the apps' initramfs copies the installed redis-server
# and nginx.
bench-deps:
	@bash scripts/deps.sh bench
	@$(MAKE) --no-print-directory BUILD=$(BUILD) $(BENCH_DEPS)

bench: bench-deps
	$(BENCH_ENV) bash bench/run.sh -o docs/benchmarks.md

bench-quick: bench-deps
	$(BENCH_ENV) bash bench/run.sh -q -o $(BUILD)/bench/benchmarks-quick.md
	@cat $(BUILD)/bench/benchmarks-quick.md

# The empty guest loads at 1 MiB like any PVH kernel; -N puts its note, code
# and data in one segment, whose PT_NOTE QEMU reads for the PVH entry.
$(BENCH_EMPTY): bench/empty-pvh.S
	@mkdir -p $(dir $@)
	$(KERNEL_CC) -c -o $@.o $<
	ld -m elf_x86_64 -N -nostdlib -static -z noexecstack --no-warn-rwx-segments \
		-e empty_entry -Ttext-segment=0x100000 -o $@ $@.o

$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	$(MUSL_CC) -static -O2 -Wall -Wextra -o $@ $<

# The initramfs the Linux guest runs every program from, and one with hello
# alone for the size figure.
$(BENCH_LINUX_DIR)/initramfs.cpio.gz: bench/linux-guest.sh $(BENCH_LINUX_PROGS)
	BUILD=$(BUILD) bash bench/linux-guest.sh $@ $(BENCH_LINUX_PROGS)

$(BENCH_LINUX_DIR)/initramfs-hello.cpio.gz: bench/linux-guest.sh $(BUILD)/examples/hello
	BUILD=$(BUILD) bash bench/linux-guest.sh $@ $(BUILD)/examples/hello

# The servers come from the host's packages: rebuilt when they or the
# benchmark's configuration change.
$(BENCH_LINUX_DIR)/initramfs-apps.cpio.gz: bench/linux-guest.sh bench/redis.conf bench/nginx.conf \
		bench/www/index.html /usr/bin/redis-server /usr/sbin/nginx
	BUILD=$(BUILD) bash bench/linux-guest.sh $@ $(BENCH_LINUX_APPS)
