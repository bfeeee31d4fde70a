#!/usr/bin/env bash
# CLI test: issue 9's crash test at every flush point.  Killing QEMU
# (volume_crash.sh) cannot lose what the host's page cache holds, so it
# cannot expose a missing flush; here QEMU's blklogwrites records every
# write and flush the guest makes to its volume (MONOS_BLKLOG, cli/disk.c),
# and the volume is rebuilt as it stood at each flush point, as
# dm-log-writes tests do for Linux:
#   1. tests/guest/volcrash writes RECORDS fsync'ed records (every 8th also
#      a renamed file with its directory fsync'ed) on a fresh ext4 volume,
#      under the log; the host reads each "ack I" / "ackfile I" line as it
#      comes and notes the log's entry count N(I) at that moment;
#   2. for each flush point K (the log's first K entries end with a flush;
#      all of them, or BLKLOG_POINTS spread over the log, the last always),
#      tests/tools/logreplay writes entries 0..K-1 onto a copy of the
#      starting image; then e2fsck -fn is clean after e2fsprogs' own
#      journal replay (on a second copy), and volcrash check in monos (its
#      own journal replay) finds no torn or wrong record, and every record
#      and file with N(I) <= K.
# The rule, and why it is sound: "ack I" is printed after I's fsync
# returned, which is after the flush that made it durable completed, and
# QEMU logs that flush (and rewrites the log's super with the new entry
# count) before completing it; so when the host reads the count N(I), the
# flush of I is among the first N(I) entries, and N(I) is itself a flush
# point (the super is only rewritten at a flush).  The host reads N(I) a
# little late, which only weakens the check, never makes it wrong.  Also:
# the number of whole records never drops from one flush point to the
# next (what was durable stays durable).
# BLKLOG_RECORDS (default 40) and BLKLOG_POINTS (default 32; 0 = every
# flush point) size it: the defaults take about 8 s here (32 of 104 points).
. "$(dirname "$0")/lib/common.bash"

PROG=$GUEST/volcrash
LOGREPLAY=$BUILD/tests/tools/logreplay
RUN_TIMEOUT=120 # seconds per guest run (design 13)
RECORDS=${BLKLOG_RECORDS:-40}
POINTS=${BLKLOG_POINTS:-32}
base=$scratch/base.img
log=$scratch/vol.log

[ -x "$PROG" ] || { echo "FAILED not built: $PROG (make guest-programs)"; exit 1; }
[ -x "$LOGREPLAY" ] || { echo "FAILED not built: $LOGREPLAY (make)"; exit 1; }

# The knob refuses a run with no volume to record, before QEMU starts.
run env MONOS_BLKLOG="$log" "$MONOS" run "$PROG" check /
check "MONOS_BLKLOG without a --volume: status 125" status_is 125
check "... and says why" err_matches "no --volume to record"

# The tool refuses what is not a whole log.
check "logreplay: an empty file is no log" eval '! "$LOGREPLAY" /dev/null --entries 2>/dev/null'

truncate -s 16M "$base" && mkfs.ext4 -q -F "$base" || { echo "FAILED mkfs.ext4"; exit 1; }
cp --sparse=always "$base" "$scratch/vol.img"

# 1. The writer under the log; "LINE N" for each acknowledgement.
MONOS_BLKLOG=$log timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run --volume "$scratch/vol.img:/data" \
	"$PROG" write /data "$RECORDS" 2>"$scratch/w.err" |
	while read -r what i; do
		[[ $what == ack* ]] && echo "$what $i $("$LOGREPLAY" "$log" --entries)"
	done >"$scratch/acks"
rc=${PIPESTATUS[0]}
check "the writer ran under the log (status 0)" status_is 0
check "it acknowledged $RECORDS records" [ "$(grep -c '^ack ' "$scratch/acks")" -eq "$RECORDS" ]
"$LOGREPLAY" "$log" --list-flushes >"$scratch/flushes"
check "logreplay lists the log's flush points" [ -s "$scratch/flushes" ]
cp --sparse=always "$base" "$scratch/whole.img"
check "the whole log replayed is the writer's volume" \
	eval '"$LOGREPLAY" "$log" "$scratch/whole.img" --upto "$(tail -1 "$scratch/flushes")" && cmp -s "$scratch/whole.img" "$scratch/vol.img"'
head -c $(($(stat -c %s "$log") / 2)) "$log" >"$scratch/half.log"
check "logreplay: a log cut in half is refused, not read past its end" \
	eval '! "$LOGREPLAY" "$scratch/half.log" "$scratch/whole.img" --upto "$(tail -1 "$scratch/flushes")" 2>/dev/null'

# The flush points to check: every one, or POINTS spread evenly, the last
# always included.
total=$(wc -l <"$scratch/flushes")
if [ "$POINTS" -eq 0 ] || [ "$total" -le "$POINTS" ]; then
	cp "$scratch/flushes" "$scratch/points"
else
	awk -v n="$total" -v p="$POINTS" 'int(NR * p / n) != int((NR - 1) * p / n)' \
		"$scratch/flushes" >"$scratch/points"
fi

# acked_by K: every acknowledgement with N(I) <= K is in the checker's out.
acked_by() {
	local what i n records
	records=$(sed -n 's/^records //p' "$scratch/out")
	while read -r what i n; do
		[ "$n" -le "$1" ] || continue
		if [ "$what" = ack ] && [ "$i" -ge "${records:-0}" ]; then
			echo "    record $i lost (records ${records:-none})"
			return 1
		fi
		if [ "$what" = ackfile ] && ! grep -qx "file $i ok" "$scratch/out"; then
			echo "    file $i lost"
			return 1
		fi
	done <"$scratch/acks"
}

# 2. Each point: replay, e2fsprogs' journal replay and check, monos's.
prev=0 checked=0
while read -r k <&3; do
	cp --sparse=always "$base" "$scratch/k.img"
	check "flush point $k: replayed" "$LOGREPLAY" "$log" "$scratch/k.img" --upto "$k"
	cp --sparse=always "$scratch/k.img" "$scratch/fsck.img"
	check "flush point $k: e2fsprogs' journal replay, then e2fsck -fn clean" \
		eval '{ e2fsck -E journal_only -y "$scratch/fsck.img" && e2fsck -fn "$scratch/fsck.img"; } >"$scratch/fsck" 2>&1 ||
			{ sed "s/^/    /" "$scratch/fsck" | head -20; false; }'
	run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run --volume "$scratch/k.img:/data" "$PROG" check /data
	check "flush point $k: the checker mounted it and ran (status 0, no BAD)" \
		eval 'status_is 0 && ! grep -q BAD "$scratch/out"'
	check "flush point $k: every record and file acknowledged by then is there" acked_by "$k"
	records=$(sed -n 's/^records //p' "$scratch/out")
	check "flush point $k: no fewer records than at the point before ($prev)" \
		[ "${records:-0}" -ge "$prev" ]
	prev=${records:-0}
	checked=$((checked + 1))
done 3<"$scratch/points"
check "the last flush point holds all $RECORDS records" [ "$prev" -eq "$RECORDS" ]
echo "$checked of $total flush points checked, $RECORDS records, $("$LOGREPLAY" "$log" --entries) log entries"
finish
