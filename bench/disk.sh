#!/usr/bin/env bash
# Figure 14, disks: sequential write then read throughput of a virtio-blk
# disk, `blkio bench /dev/vda MIB` (tests/guest/blkio.c: MIB MiB in 1 MiB
# calls with O_DIRECT, so neither guest's page cache serves the reads; fsync
# after the writes), in monos (`monos run --disk`) and in the Linux guest
# with the same -drive and virtio-blk-device on the same raw file (a sparse
# file on the host, in QEMU's default writeback cache: what is measured is
# the guest's path to QEMU and back, not the host's disk).  The program
# times itself with CLOCK_MONOTONIC; MB/s are 10^6 bytes a second.
# Then figure 14d, files on ext4: tests/guest/diskbench on one file of a
# fresh ext4 volume (mkfs.ext4 of a fresh sparse raw file each run), in
# monos (`monos run --volume IMG:/data`) and in the Linux guest (the same
# image as its virtio-blk disk, mounted on /tmp by a wrapper in its
# initramfs), in four boots each, so that every read starts with the
# guest's page cache empty: (1) write FILE_MIB MiB in 1 MiB calls + fsync;
# (2) read it back; (3) RAND random 4 KiB preads, then RAND pwrites +
# fsync; (4) the same with O_DIRECT (sequential read, random reads and
# writes, then the file written anew, O_TRUNC, in 1 MiB calls + fsync).
# The host's page cache cannot be dropped without root effects on the
# other users of the machine: each run uses a fresh image, which both
# guests then read from the host's cache alike.
# Prints a markdown section on stdout; adds the headlines to $BENCH_SUMMARY.
#
# Usage: bench/disk.sh [MIB [RUNS [FILE_MIB [RAND]]]]
#   (default 256 MiB raw, 3 runs, a file of 4 * MIB MiB, 2000 random calls)
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh
. bench/linux.sh

MIB=${1:-256}
RUNS=${2:-3}
FILE_MIB=${3:-$((4 * MIB))}
RAND=${4:-2000}
PROG=${BENCH_BLKIO:-$BUILD/tests/guest/musl/blkio}
FPROG=${BENCH_DISKBENCH:-$BUILD/tests/guest/musl/diskbench}
# The four boots' operations (tests/guest/diskbench.c).
BOOTS=("write" "read" "rread=$RAND rwrite=$RAND" "dread drread=$RAND drwrite=$RAND dwrite")

bench_check_inputs
[[ -x $PROG && -x $FPROG ]] || bench_die "$PROG or $FPROG is missing (make guest-programs)"
bench_linux_init
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The file part's Linux guest: its initramfs with diskbench and a wrapper.
printf '#!/bin/sh\nmount -t ext4 /dev/vda /tmp || exit 1\n/bench/diskbench /tmp/f "$@"\n' >"$tmp/run"
chmod 755 "$tmp/run"
FILE_INITRD=$tmp/initramfs.cpio.gz
BENCH_LINUX_MODULES="virtio_mmio virtio_blk" bash bench/linux-guest.sh "$FILE_INITRD" \
	"$FPROG" "$tmp/run:/bench/run-diskbench" >/dev/null || bench_die "the Linux guest's initramfs"
disk=$tmp/disk.img
DRIVE="-drive if=none,id=disk0,format=raw,file.driver=file,file.filename=$disk"
DEVICE="-device virtio-blk-device,drive=disk0"

# Record "write W, read R" (stdin, \r of the serial line dropped) for $1.
record()
{
	local line

	line=$(tr -d '\r' | grep -E '^write [0-9.]+ MB/s, read [0-9.]+ MB/s$') || return 1
	awk '{ print $2 }' <<<"$line" >>"$tmp/$1.write"
	awk '{ print $5 }' <<<"$line" >>"$tmp/$1.read"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 0; r < RUNS; r++)); do
	rm -f "$disk"
	truncate -s $((MIB + 1))M "$disk"
	timeout "$BENCH_TIMEOUT" "$BENCH_MONOS" run --disk "$disk" "$PROG" bench /dev/vda "$MIB" \
		</dev/null | record monos || bench_die "blkio failed in monos"
	rm -f "$disk"
	truncate -s $((MIB + 1))M "$disk"
	bench_linux_cmd default "$DRIVE $DEVICE" blkio bench /dev/vda "$MIB"
	timeout "$BENCH_TIMEOUT" "${BENCH_LINUX_CMD[@]}" </dev/null 2>&1 | record linux ||
		bench_die "blkio failed in the Linux guest"
done

# Record diskbench's "OP VALUE UNIT" lines (stdin) for system $1.
frecord()
{
	local lines

	lines=$(tr -d '\r' | grep -E '^d?r?(read|write) [0-9.]+ (MB/s|IOPS)$') || return 1
	while read -r op value _; do
		echo "$value" >>"$tmp/$1.f.$op"
	done <<<"$lines"
}

# One run of the file part: the four boots on a fresh volume, per system.
file_run()
{
	local img=$tmp/vol.img ops

	rm -f "$img"
	truncate -s $((FILE_MIB + FILE_MIB / 4 + 64))M "$img" && mkfs.ext4 -q -F "$img" ||
		bench_die "mkfs.ext4"
	for ops in "${BOOTS[@]}"; do
		# shellcheck disable=SC2086 # ops are words
		timeout "$BENCH_TIMEOUT_FILE" "$BENCH_MONOS" run --volume "$img:/data" "$FPROG" /data/f \
			"$FILE_MIB" $ops </dev/null | frecord monos || bench_die "diskbench $ops failed in monos"
	done
	e2fsck -fn "$img" >/dev/null 2>&1 || fsck_dirty=1
	rm -f "$img"
	truncate -s $((FILE_MIB + FILE_MIB / 4 + 64))M "$img" && mkfs.ext4 -q -F "$img" ||
		bench_die "mkfs.ext4"
	for ops in "${BOOTS[@]}"; do
		# shellcheck disable=SC2086 # ops are words
		BENCH_LINUX_INITRD=$FILE_INITRD bench_linux_cmd default \
			"-drive if=none,id=disk0,format=raw,file.driver=file,file.filename=$img $DEVICE" \
			run-diskbench "$FILE_MIB" $ops
		timeout "$BENCH_TIMEOUT_FILE" "${BENCH_LINUX_CMD[@]}" </dev/null 2>&1 | frecord linux ||
			bench_die "diskbench $ops failed in the Linux guest"
	done
}

BENCH_TIMEOUT_FILE=$((BENCH_TIMEOUT + FILE_MIB)) # a MiB a second at worst
fsck_dirty=0
for ((r = 0; r < RUNS; r++)); do
	file_run
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# "median (min-max)" of a sample file of MB/s, to integers.
cell()
{
	awk '{ printf "%d\n", $1 + 0.5 }' "$1" | bench_stats | awk '{ printf "%d (%d-%d)", $1, $2, $3 }'
}

median()
{
	awk '{ printf "%d\n", $1 + 0.5 }' "$1" | bench_stats | cut -d' ' -f1
}

cat <<EOF
## 14. Disks (virtio-blk)

\`blkio bench /dev/vda $MIB\` (tests/guest/blkio.c): $MIB MiB written then read
sequentially in 1 MiB calls with O_DIRECT, fsync after the writes, on a fresh
sparse raw file each run, $RUNS runs (\`bash bench/disk.sh $MIB $RUNS\`, or
\`make bench\`); median (min-max) MB/s.  monos runs
\`monos run --disk FILE\`; the Linux guest gets the same \`${DRIVE/$disk/FILE} $DEVICE\`
(bench/disk.sh).

| | write MB/s | read MB/s |
|---|---|---|
| monos | $(cell "$tmp/monos.write") | $(cell "$tmp/monos.read") |
| Linux guest | $(cell "$tmp/linux.write") | $(cell "$tmp/linux.read") |

In monos each 1 MiB call goes straight between the device and the program's
pages in requests of at most 256 KiB, all in flight together
(kernel/fs/blkdev.c); there is no page cache yet, in monos or (O_DIRECT) in
the Linux guest's runs.  Host load average before and after: $load_before;
$load_after.

### 14d. Files on ext4 (issue 9): sequential and random, monos vs the Linux guest

tests/guest/diskbench on one file of a fresh ext4 volume (mkfs.ext4 of a
fresh sparse raw file each run), $RUNS runs (\`bash bench/disk.sh $MIB $RUNS $FILE_MIB $RAND\`);
median (min-max).  monos runs \`monos run --volume IMG:/data diskbench
/data/f $FILE_MIB OPS\`; the Linux guest gets the same image as its
virtio-blk disk, mounts it on /tmp and runs the same binary.  Four boots
per run and system, so every read starts with the guest's page cache
empty: \`write\` ($FILE_MIB MiB in 1 MiB write() calls, then fsync, timed
together); \`read\` (1 MiB read() calls); \`rread=$RAND rwrite=$RAND\`
(random 4 KiB-aligned pread()s, then pwrite()s and an fsync, timed
together); and \`dread drread=$RAND drwrite=$RAND dwrite\`, the same with
O_DIRECT, ending with the file written anew (O_TRUNC) in 1 MiB calls.
The host's page cache was not dropped (that needs root and hits the
machine's other users): each run's image is fresh, and both guests read
it from the host's cache alike.
e2fsck -fn after monos' boots: $( ((fsck_dirty)) && echo "**NOT clean in some run**" || echo "clean in every run").

| | monos | Linux guest |
|---|---|---|
$(for op in write read rread rwrite dread drread drwrite dwrite; do
	case $op in *rread | *rwrite) unit=IOPS ;; *) unit=MB/s ;; esac
	echo "| $op ($unit) | $(cell "$tmp/monos.f.$op") | $(cell "$tmp/linux.f.$op") |"
done)

Host load average before and after: $load_before; $load_after.
EOF
bench_summary "ext4 file sequential read (MB/s)" "$(median "$tmp/monos.f.read")" \
	">= the Linux guest ($(median "$tmp/linux.f.read"))" \
	"$((($(median "$tmp/monos.f.read") >= $(median "$tmp/linux.f.read"))) && echo met || echo "**missed**")"
bench_summary "disk sequential read (MB/s)" "$(median "$tmp/monos.read")" \
	">= the Linux guest ($(median "$tmp/linux.read"))" \
	"$((($(median "$tmp/monos.read") >= $(median "$tmp/linux.read"))) && echo met || echo "**missed**")"
