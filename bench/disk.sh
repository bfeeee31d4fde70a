#!/usr/bin/env bash
# Figure 14, disks: sequential write then read throughput of a virtio-blk
# disk, `blkio bench /dev/vda MIB` (tests/guest/blkio.c: MIB MiB in 1 MiB
# calls with O_DIRECT, so neither guest's page cache serves the reads; fsync
# after the writes), in monos (`monos run --disk`) and in the Linux guest
# with the same -drive and virtio-blk-device on the same raw file (a sparse
# file on the host, in QEMU's default writeback cache: what is measured is
# the guest's path to QEMU and back, not the host's disk).  The program
# times itself with CLOCK_MONOTONIC; MB/s are 10^6 bytes a second.
# Prints a markdown section on stdout; adds the headline to $BENCH_SUMMARY.
#
# Usage: bench/disk.sh [MIB [RUNS]]   (default 256 MiB, 3 runs)
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh
. bench/linux.sh

MIB=${1:-256}
RUNS=${2:-3}
PROG=${BENCH_BLKIO:-$BUILD/tests/guest/musl/blkio}

bench_check_inputs
[[ -x $PROG ]] || bench_die "$PROG is missing (make guest-programs)"
bench_linux_init
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
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
$(cut -d' ' -f1-3 /proc/loadavg).
EOF
bench_summary "disk sequential read (MB/s)" "$(median "$tmp/monos.read")" \
	">= the Linux guest ($(median "$tmp/linux.read"))" \
	"$((($(median "$tmp/monos.read") >= $(median "$tmp/linux.read"))) && echo met || echo "**missed**")"
