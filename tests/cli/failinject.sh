#!/usr/bin/env bash
# CLI test: no allocation failure ends in a kernel panic.  With
# monos.failnth=N the Nth kernel allocation fails (kernel/core/fault_inject.c);
# scripts/failinject.sh runs a program once per N and fails on a panic, a
# timeout or status 125.  Here: every N through boot and the example hello,
# every 15th N through a program with pipes, poll and files, and every 50th
# through one writing a disk (`make failinject` runs every N of larger
# programs).  The programs must be ones
# that fail cleanly when a call fails: a threaded test whose pthread_create
# fails waits at its barrier forever, as it would on Linux, and a timeout
# could not tell that from a kernel hang.
. "$(dirname "$0")/lib/common.bash"

BUILD=${BUILD:-build}

run bash scripts/failinject.sh -- "$BUILD/examples/hello"
echo "$out" | tail -1
check "every allocation of hello's run fails cleanly" status_is 0
[ "$rc" -eq 0 ] || echo "$out" | head -20

run bash scripts/failinject.sh -s 15 -- "$GUEST/pipe"
echo "$out" | tail -1
check "every 15th allocation of a program with pipes fails cleanly" status_is 0
[ "$rc" -eq 0 ] || echo "$out" | head -20

# A disk (attached through MONOS_QEMU_ARGS, as failinject.sh passes no
# flags; one run at a time, since QEMU locks the file): the probe, the
# block layer's pieces, bounce frames and pinned pages, every 50th N.
truncate -s 4M "$scratch/disk.img"
MONOS_QEMU_ARGS="-drive if=none,id=d,format=raw,file.driver=file,file.filename=$scratch/disk.img -device virtio-blk-device,drive=d" \
	run bash scripts/failinject.sh -s 50 -j 1 -- "$GUEST/blkio" write /dev/vda 5
echo "$out" | tail -1
check "every 50th allocation of a program writing a disk fails cleanly" status_is 0
[ "$rc" -eq 0 ] || echo "$out" | head -20

# The injection itself works: the log names the failed allocation.
run env MONOS_KERNEL_ARGS=monos.failnth=1 "$MONOS" run --verbose "$BUILD/examples/hello"
check "monos.failnth=1 fails the first allocation, named in the log" \
	err_matches 'fault injection: allocation 1 fails, called from'
check "... and the instance ends as out of memory" status_is 137
finish
