#!/usr/bin/env bash
# Figure 14d, small synchronous transactions on ext4: Debian's sqlite3
# (dynamically linked, /usr/bin/sqlite3) runs N INSERTs, each its own
# transaction, into a new database on a fresh ext4 volume, with
# journal_mode DELETE (sqlite's default: a rollback journal made, synced and
# deleted per transaction) and WAL.  In monos (`monos run -v IMG:/data`) and
# in the Linux guest (the same image as its virtio-blk disk, with the same
# -drive and device; sqlite3 and its libraries in its initramfs, a two-line
# wrapper mounts the disk).  The SQL is written onto the volume by debugfs,
# so both read the same file.  The time is taken by sqlite itself
# (julianday('now') before the first INSERT and after the last), so the
# boots are not in it.  Each run checks the row count, and the monos
# volume is checked with e2fsck -fn afterwards.  Prints a markdown table:
# median (min-max) of ROUNDS runs, in ms per transaction.
#
# Usage: bench/sqlite.sh [N [ROUNDS]]   (default: 1000 3)
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh
. bench/linux.sh

N=${1:-1000}
ROUNDS=${2:-3}
SQLITE=${BENCH_SQLITE:-/usr/bin/sqlite3}
BENCH_TIMEOUT=${BENCH_TIMEOUT_SQLITE:-3600}

bench_check_inputs
[[ -x $SQLITE ]] || bench_die "$SQLITE is missing (apt-get install sqlite3)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2016 # $1 is the wrapper's own argument
printf '#!/bin/sh\nmount -t ext4 /dev/vda /tmp || exit 1\n/bench/sqlite3 /tmp/t.db ".read /tmp/$1.sql"\n' >"$tmp/run"
chmod 755 "$tmp/run"
BENCH_LINUX_INITRD=$tmp/initramfs.cpio.gz
BENCH_LINUX_MODULES="virtio_mmio virtio_blk" bash bench/linux-guest.sh "$BENCH_LINUX_INITRD" \
	"$SQLITE" "$tmp/run:/bench/run-sqlite" >/dev/null || bench_die "the Linux guest's initramfs"
bench_linux_init
img=$tmp/sqlite.img
DRIVE="-drive if=none,id=disk0,format=raw,file.driver=file,file.filename=$img"
DEVICE="-device virtio-blk-device,drive=disk0"

# The script for journal mode $1: N INSERTs, each its own transaction, timed.
script()
{
	local i

	echo "PRAGMA journal_mode=$1;"
	echo "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT);"
	echo "SELECT printf('start %.6f', (julianday('now') - 2440587.5) * 86400.0);"
	for ((i = 1; i <= N; i++)); do
		echo "INSERT INTO t(b) VALUES('row $i of the benchmark, some text to store');"
	done
	echo "SELECT printf('end %.6f', (julianday('now') - 2440587.5) * 86400.0);"
	echo "SELECT printf('rows %d', count(*)) FROM t;"
}

# A fresh 256 MiB volume holding both scripts.
fresh()
{
	local m

	rm -f "$img"
	truncate -s 256M "$img" && mkfs.ext4 -q -F "$img" || return 1
	for m in delete wal; do
		script "$m" >"$tmp/$m.sql"
		debugfs -w -R "write $tmp/$m.sql $m.sql" "$img" >/dev/null 2>&1 || return 1
	done
}

# Milliseconds per transaction from the output of a run (stdin), or "failed".
per_txn()
{
	tr -d '\r' | awk -v n="$N" '
		$1 == "start" { s = $2 } $1 == "end" { e = $2 } $1 == "rows" { r = $2 }
		END { if (r == n && e > s) printf "%.2f\n", (e - s) * 1000 / n; else print "failed" }'
}

# "median (min-max)" of the numbers on stdin.
summary()
{
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0 || v[1] == "failed") { print "failed"; exit }
		printf "%s (%s-%s)", v[int((NR + 1) / 2)], v[1], v[NR] }'
}

declare -A res
fsck="clean"
for mode in delete wal; do
	for ((r = 1; r <= ROUNDS; r++)); do
		fresh || bench_die "mkfs.ext4/debugfs"
		timeout "$BENCH_TIMEOUT" "$BENCH_MONOS" run -v "$img:/data" "$SQLITE" /data/t.db \
			".read /data/$mode.sql" </dev/null 2>&1 | per_txn >>"$tmp/monos-$mode"
		e2fsck -fn "$img" >/dev/null 2>&1 || fsck="NOT clean"
		fresh || bench_die "mkfs.ext4/debugfs"
		bench_linux_cmd default "$DRIVE $DEVICE" run-sqlite "$mode"
		timeout "$BENCH_TIMEOUT" "${BENCH_LINUX_CMD[@]}" </dev/null 2>&1 | per_txn \
			>>"$tmp/linux-$mode"
	done
	res[monos-$mode]=$(summary <"$tmp/monos-$mode")
	res[linux-$mode]=$(summary <"$tmp/linux-$mode")
done

echo "| journal_mode | monos (ms per transaction) | Linux guest (ms per transaction) |"
echo "|---|---|---|"
for mode in delete wal; do
	echo "| $mode | ${res[monos-$mode]} | ${res[linux-$mode]} |"
done
echo
echo "N = $N INSERTs, $ROUNDS rounds; monos volumes after the runs: e2fsck -fn $fsck."
echo "Host load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
