#!/usr/bin/env bash
# Figure 14b, one ext4 directory of many entries: tests/guest/ext4dir DIR N
# (create N empty files in one directory, list them, stat each, stat N
# names that do not exist, unlink each, rmdir) on a fresh ext4 volume, in
# monos (`monos run --volume`), in the Linux guest (the same image as its
# virtio-blk disk, mounted by a two-line wrapper in its initramfs: ext4 is
# built into Debian's cloud kernel), and natively on a loop-less host
# directory.  Whole-run wall times from the host: the boots are in them, so
# N = 1 is measured too.  The Linux guest ends with poweroff -f, so its dirty
# pages are never written back; monos syncs its volume before it exits.
# Prints a markdown table on stdout.
#
# Usage: bench/ext4dir.sh [N...]   (default: 1 10000 100000)
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh
. bench/linux.sh

PROG=${BENCH_EXT4DIR:-$BUILD/tests/guest/musl/ext4dir}
BENCH_TIMEOUT=${BENCH_TIMEOUT_EXT4DIR:-1800}
SIZES=("$@")
((${#SIZES[@]})) || SIZES=(1 10000 100000)

bench_check_inputs
[[ -x $PROG ]] || bench_die "$PROG is missing (make guest-programs)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#!/bin/sh\nmount -t ext4 /dev/vda /tmp || exit 1\n/bench/ext4dir /tmp "$1"\n' >"$tmp/run"
chmod 755 "$tmp/run"
BENCH_LINUX_INITRD=$tmp/initramfs.cpio.gz
BENCH_LINUX_MODULES="virtio_mmio virtio_blk" bash bench/linux-guest.sh "$BENCH_LINUX_INITRD" \
	"$PROG" "$tmp/run:/bench/run-ext4dir" >/dev/null || bench_die "the Linux guest's initramfs"
bench_linux_init
img=$tmp/dir.img
DRIVE="-drive if=none,id=disk0,format=raw,file.driver=file,file.filename=$img"
DEVICE="-device virtio-blk-device,drive=disk0"

# A fresh 512 MiB volume with inodes for N entries (mkfs.ext4 picks 4 KiB blocks).
fresh()
{
	rm -f "$img"
	truncate -s 512M "$img" && mkfs.ext4 -q -F -N $(($1 + 1000)) "$img"
}

# Seconds (3 decimals) that the command takes; its output must end with "unlinked N".
seconds()
{
	local n=$1 start end
	shift
	start=$EPOCHREALTIME
	timeout "$BENCH_TIMEOUT" "$@" </dev/null 2>&1 | tr -d '\r' | grep -q "^unlinked $n$" ||
		{ echo "failed"; return; }
	end=$EPOCHREALTIME
	awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }'
}

echo "| N | monos | Linux guest | native |"
echo "|---|---|---|---|"
for n in "${SIZES[@]}"; do
	fresh "$n" || bench_die "mkfs.ext4"
	m=$(seconds "$n" "$BENCH_MONOS" run --volume "$img:/data" "$PROG" /data "$n")
	fsck_m=$(e2fsck -fn "$img" >/dev/null 2>&1 && echo clean || echo "NOT clean")
	fresh "$n" || bench_die "mkfs.ext4"
	bench_linux_cmd default "$DRIVE $DEVICE" run-ext4dir "$n"
	l=$(seconds "$n" "${BENCH_LINUX_CMD[@]}")
	rm -rf "$tmp/native" && mkdir "$tmp/native"
	h=$(seconds "$n" "$PROG" "$tmp/native" "$n")
	echo "| $n | $m s (e2fsck $fsck_m) | $l s | $h s |"
done
echo
echo "Host load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
