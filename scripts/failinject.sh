#!/usr/bin/env bash
# Allocation failure injection over a whole run (issue: hardening).  The
# kernel option monos.failnth=N (kernel/core/fault_inject.c) makes the Nth
# allocation since boot (kmalloc and frame allocator together) fail.  This
# script first runs PROGRAM once with --verbose to learn how many allocations a run
# makes (the exit log's "allocations N"), then runs it again for every N from
# 1 to that count + 1 (or every STRIDE-th) and judges each run:
#   pass     the program's own status, or 137 with "out of memory" logged,
#            with no panic
#   blocked  a timeout with the CPU idle (see idle below): listed, not failed
#   fail     status 125 (monos failed: a panic, no exit status), a timeout
#            with the CPU busy, 137 without "out of memory" (the timeout's
#            SIGKILL: the kernel never answered SIGTERM), or "kernel panic"
#            anywhere in the output
# A failed run is listed with its N and the first lines of its log, so
# `MONOS_KERNEL_ARGS=monos.failnth=N build/monos run --verbose PROGRAM` replays it.
#
# Usage: scripts/failinject.sh [-s STRIDE] [-j JOBS] [-t SECONDS] -- PROGRAM [ARGS...]
# Environment: MONOS (default build/monos).  Exits 1 if any run failed.
set -u
MONOS=${MONOS:-build/monos}
stride=1 jobs=2 timeout=60
while [ $# -gt 0 ]; do
	case $1 in
	-s) stride=$2; shift 2 ;;
	-j) jobs=$2; shift 2 ;;
	-t) timeout=$2; shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "usage: $0 [-s STRIDE] [-j JOBS] [-t SECONDS] -- PROGRAM [ARGS...]" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/failinject.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT

# The clean run: it must succeed, and it tells the allocation count.
timeout -k 5 "$timeout" "$MONOS" run --verbose -- "$@" >"$work/clean" 2>&1
clean_rc=$?
count=$(sed -n 's/.*allocations \([0-9][0-9]*\).*/\1/p' "$work/clean" | tail -1)
if [ -z "$count" ]; then
	echo "failinject: the clean run of $1 gave no allocation count (status $clean_rc):" >&2
	tail -5 "$work/clean" >&2
	exit 1
fi

# Whether the run in log $1, ended by the timeout's SIGTERM, had the CPU
# halted at least 90% of the time: the kernel idle, every thread waiting.
# Then the program waits for something that cannot come after its call
# failed (a pipe it wrote short, a thread that never started), as it would
# on Linux; a kernel stuck in a loop or with interrupts off shows little
# halted time, or never answers the SIGTERM at all (status 137 without "out
# of memory").
idle() {
	sed -n 's/.*at exit: tsc \([0-9]*\), halted \([0-9]*\) tsc ticks.*/\1 \2/p' "$1" |
		tail -1 | awk '{ exit !($1 > 0 && $2 * 10 >= $1 * 9) }'
}

# One run with allocation N failing; writes N's verdict line to $work/N.
one() {
	local n=$1 rc log=$work/log.$1
	MONOS_KERNEL_ARGS="monos.failnth=$n" timeout -k 5 "$timeout" "$MONOS" run --verbose -- "${@:2}" \
		>"$log" 2>&1
	rc=$?
	if [ "$rc" -eq 124 ] && idle "$log"; then
		echo "blocked $n status $rc" >"$work/v.$n"
		grep -m1 'fault injection' "$log" | sed 's/^/    /' >>"$work/v.$n"
	elif [ "$rc" -eq 125 ] || [ "$rc" -eq 124 ] || grep -q 'kernel panic' "$log" ||
		{ [ "$rc" -eq 137 ] && ! grep -q 'out of memory' "$log"; }; then
		echo "FAIL $n status $rc" >"$work/v.$n"
		grep -m3 -E 'fault injection|panic|without an exit' "$log" | sed 's/^/    /' >>"$work/v.$n"
	else
		echo "ok $n status $rc" >"$work/v.$n"
	fi
	rm -f "$log"
}
export -f one idle
export MONOS timeout work

seq 1 "$stride" $((count + 1)) | xargs -P "$jobs" -I{} bash -c 'one "$@"' _ {} "$@"
runs=$(ls "$work"/v.* | wc -l)
failed=$(cat "$work"/v.* | grep -c '^FAIL')
blocked=$(cat "$work"/v.* | grep -c '^blocked')
cat "$work"/v.* | grep -A3 -E '^(FAIL|blocked)' | head -40
echo "failinject: $1: $count allocations, $runs runs (stride $stride), $failed failed, $blocked blocked in the program"
[ "$failed" -eq 0 ]
