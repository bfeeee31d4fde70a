#!/usr/bin/env bash
# CLI test: a whole instance killed mid-write on an ext4 volume (issue 9's
# durability contract: what fsync acknowledged survives a power cut, here
# SIGKILL of QEMU).  Each round:
#   1. tests/guest/volcrash writes and fsyncs records (and, every 8th, a
#      file made by rename with its directory fsync'ed) on --volume, saying
#      "ack I" once each is durable; the host kills QEMU with SIGKILL after
#      a random number of acknowledgements and a random delay;
#   2. a second instance mounts the volume (replaying the journal) and
#      reads everything back: every acknowledged record and file is there,
#      no record is torn or wrong; it exits in order;
#   3. e2fsck -fn of the volume is clean; so is e2fsck -fn of a copy of the
#      killed image after e2fsprogs' own journal replay
#      (e2fsck -E journal_only).
# First, deterministically, a rename whose directory was fsync'ed and
# nothing after it (fsync of an ext4 directory once did nothing), and
# bytes written through a MAP_SHARED mapping and msync'ed (msync once
# wrote nothing back: only fsync, munmap and exit did), appends with
# O_DSYNC and O_SYNC, and a file written without fsync, 7 s before the
# kill (ext4 commits every 5 s).  Then
# VOLCRASH_ROUNDS rounds (default 10; issue 9 asks 30 in CI, but rounds
# resume the same log, and past about 3,600 records (25-32 rounds) the
# log, interleaved with d/'s files on 1 KiB blocks, needs a depth-2
# extent tree, which the kernel does not write yet: appends fail with
# EFBIG (`volcrash write /data 4500` on a fresh 16M volume stops at 3585);
# `make crash-test` runs more);
# VOLCRASH_SEED picks the kill points (printed, so a failure replays).
. "$(dirname "$0")/lib/common.bash"

PROG=$GUEST/volcrash
RUN_TIMEOUT=120 # seconds per guest run (design 13)
ROUNDS=${VOLCRASH_ROUNDS:-10}
SEED=${VOLCRASH_SEED:-$((RANDOM * 32768 + RANDOM))}
RECORDS=100000 # more than a round can write before its kill
img=$scratch/vol.img

[ -x "$PROG" ] || { echo "FAILED not built: $PROG (make guest-programs)"; exit 1; }
echo "seed $SEED"
RANDOM=$SEED

# The pids of every descendant of process $1.
descendants() {
	local c
	for c in $(pgrep -P "$1"); do
		echo "$c"
		descendants "$c"
	done
}

# kill_qemu MONOS_PID: SIGKILL the QEMU that this run started; 0 if found.
kill_qemu() {
	local p
	for p in $(descendants "$1"); do
		if [ "$(cat /proc/$p/comm 2>/dev/null)" = qemu-system-x86 ]; then
			kill -KILL "$p" && return 0
		fi
	done
	return 1
}

# kill_after PATTERN N ARGS...: start volcrash ARGS on the volume; once
# its stdout has N lines starting with PATTERN, and up to 0.2 s more, kill
# its QEMU.  Leaves $scratch/w.out; 0 if it was killed mid-run.
kill_after() {
	local pattern=$1 want=$2 mpid killed=1
	shift 2
	timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run --volume "$img:/data" "$PROG" "$@" \
		>"$scratch/w.out" 2>"$scratch/w.err" &
	mpid=$!
	for _ in $(seq 1200); do
		[ "$(grep -c "^$pattern" "$scratch/w.out")" -ge "$want" ] && break
		kill -0 $mpid 2>/dev/null || break
		sleep 0.1
	done
	sleep "0.$((RANDOM % 20))"
	kill_qemu $mpid && killed=0
	wait $mpid
	return $killed
}

# acked_ok: every "ack I" of the writer is below the checker's record
# count, every "ackfile I" has its "file I ok", and the checker saw no BAD.
acked_ok() {
	local last records f
	last=$(grep '^ack ' "$scratch/w.out" | tail -1 | cut -d' ' -f2)
	records=$(sed -n 's/^records //p' "$scratch/out")
	[ -n "$records" ] && [ "${last:--1}" -lt "$records" ] || return 1
	for f in $(sed -n 's/^ackfile //p' "$scratch/w.out"); do
		grep -qx "file $f ok" "$scratch/out" || { echo "    file $f lost"; return 1; }
	done
	! grep -q BAD "$scratch/out" "$scratch/w.out"
}

truncate -s 16M "$img" && mkfs.ext4 -q -F "$img" || { echo "FAILED mkfs.ext4"; exit 1; }
# check_round NAME: after a kill, the checker instance, then e2fsck.
check_round() {
	cp --sparse=always "$img" "$scratch/copy.img"
	run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run --volume "$img:/data" "$PROG" check /data
	check "$1: the checker ran (status 0)" status_is 0
	check "$1: all $(grep -c '^ack' "$scratch/w.out") acknowledged records and files are there" acked_ok
	check "$1: e2fsck -fn clean after the instance's mount" \
		eval 'e2fsck -fn "$img" >"$scratch/fsck" 2>&1 || { sed "s/^/    /" "$scratch/fsck" | head -20; false; }'
	check "$1: e2fsprogs' replay of the killed image, then clean" \
		eval '{ e2fsck -E journal_only -y "$scratch/copy.img" && e2fsck -fn "$scratch/copy.img"; } >"$scratch/fsck2" 2>&1 ||
			{ sed "s/^/    /" "$scratch/fsck2" | head -20; false; }'
}

# A rename made durable by fsync of its directory alone, then the kill.
kill_after ackfile 1 rename /data 7
check "rename: QEMU killed after the directory's fsync" [ $? -eq 0 ]
check_round rename

# msync(MS_SYNC) of a MAP_SHARED mapping, then the kill, the area still up.
kill_after ackmsync 1 msync /data
check "msync: QEMU killed after msync" [ $? -eq 0 ]
check_round msync
check "msync: the mapped bytes are in the file" out_has "msync ok"

# Appends with O_DSYNC and with O_SYNC are durable when write returns, the
# file's new size included (they once waited for the 5 s commit: only
# fsync made an ext4 file durable), then the kill.
kill_after acksync 1 sync /data
check "sync: QEMU killed after the O_DSYNC and O_SYNC writes" [ $? -eq 0 ]
check_round sync
check "sync: the O_DSYNC appends are in the file" out_has "dsync ok"
check "sync: the O_SYNC appends are in the file" out_has "osync ok"

# A new file written without fsync is on the disk within ext4's 5 s commit
# interval: killed once the writer has slept 7 s.
kill_after waited 1 lazy /data
check "lazy: QEMU killed 7 s after the write" [ $? -eq 0 ]
check_round lazy
check "lazy: the file written without fsync is there" out_has "lazy ok"

total=0
for round in $(seq "$ROUNDS"); do
	kill_after "ack " $((1 + RANDOM % 60)) write /data $RECORDS
	check "round $round: QEMU killed mid-write" [ $? -eq 0 ]
	total=$((total + $(grep -c '^ack ' "$scratch/w.out")))
	check_round "round $round"
done
echo "$total records acknowledged in $ROUNDS rounds"
finish
