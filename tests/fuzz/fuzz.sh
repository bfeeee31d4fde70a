#!/usr/bin/env bash
# `make fuzz`: fuzz for as long as asked.  Usage: fuzz.sh [TARGET...]
#   TARGET is a host target (elf, cpio, channel, cmdline: tests/fuzz/fuzz_*.c)
#   or "sys" (the syscall fuzzer in monos); default: all of them.
# Environment: FUZZ_SECONDS (per target, default 600), FUZZ_SEED (first
# syscall-fuzzer seed, default 1), FUZZ_CALLS (calls per seed, default
# 20000), FUZZ_SEEDS (at most this many seeds, default no limit), FUZZ_JOBS
# (host targets at once, default 2), BUILD, MONOS.
#
# Host targets run niced, FUZZ_JOBS at a time, each over its corpus
# (tests/fuzz/corpus/TARGET); afterwards the corpus is replaced by the
# -merge=1 minimisation of the old corpus plus what was found.  A crash is
# kept as tests/fuzz/crash-TARGET-* (libFuzzer's reproducer) and fails the run.
# The syscall fuzzer runs seed after seed until FUZZ_SECONDS have passed
# (or FUZZ_SEEDS seeds have run);
# a panic or a hang (a run past SYS_TIMEOUT) fails the run, with the seed,
# the last progress line and the kernel log.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
MONOS=${MONOS:-$BUILD/monos}
SECONDS_EACH=${FUZZ_SECONDS:-600}
SEED=${FUZZ_SEED:-1}
CALLS=${FUZZ_CALLS:-20000}
MAX_SEEDS=${FUZZ_SEEDS:-0} # 0: as many as FUZZ_SECONDS allow
JOBS=${FUZZ_JOBS:-2}
SYS_TIMEOUT=${FUZZ_SYS_TIMEOUT:-300} # seconds: one seed takes well under a minute
CORPUS=tests/fuzz/corpus
LOG_LINES=40
failed=0

# fuzz_host TARGET: fuzz one host target, then merge its finds into the corpus.
fuzz_host() {
	local t=$1 bin=$BUILD/tests/fuzz/fuzz_$1 work
	work=$(mktemp -d)
	mkdir -p "$work/new" "$work/merged" "$CORPUS/$t"
	nice "$bin" -max_total_time="$SECONDS_EACH" -print_final_stats=1 -report_slow_units=60 \
		-artifact_prefix="tests/fuzz/crash-$t-" "$work/new" "$CORPUS/$t" \
		>"$work/log" 2>&1
	local rc=$?
	nice "$bin" -merge=1 "$work/merged" "$CORPUS/$t" "$work/new" >>"$work/log" 2>&1 &&
		rm -f "$CORPUS/$t"/* && cp "$work/merged"/* "$CORPUS/$t"/
	echo "fuzz $t: $(grep -E '^stat::number_of_executed_units' "$work/log" | awk '{print $2}') runs," \
		"$(ls "$CORPUS/$t" | wc -l) corpus files, exit $rc"
	[ $rc -eq 0 ] || tail -n "$LOG_LINES" "$work/log"
	rm -rf "$work"
	return $rc
}

# One seed of the syscall fuzzer in monos; fails on a panic, a hang or no status.
fuzz_sys_seed() {
	local s=$1 out=$2 rc
	timeout -k 5 "$SYS_TIMEOUT" nice "$MONOS" run --verbose "$BUILD/tests/fuzz/sysfuzz" "$s" "$CALLS" \
		</dev/null >"$out.out" 2>"$out.err"
	rc=$?
	if [ $rc -eq 124 ] || [ $rc -eq 125 ]; then
		echo "FAIL seed $s: $([ $rc -eq 124 ] && echo "hang (${SYS_TIMEOUT}s)" || echo 'kernel panic or no exit status')" \
			"after: $(grep 'sysfuzz: seed' "$out.out" | tail -n 1)"
		echo "    replay: $MONOS run $BUILD/tests/fuzz/sysfuzz $s $CALLS FROM"
		grep -v 'does not implement\|unknown system call' "$out.err" | tail -n "$LOG_LINES" |
			sed 's/^/    | /'
		return 1
	fi
	[ $rc -eq 0 ] || echo "note seed $s: the fuzzer ended with status $rc:" \
		"$(tail -n 1 "$out.out") $(tail -n 1 "$out.err")"
	return 0
}

fuzz_sys() {
	local start=$SECONDS end=$((SECONDS + SECONDS_EACH)) s=$SEED n=0 bad=0 calls=0 last work
	work=$(mktemp -d)
	while [ $SECONDS -lt $end ] && { [ "$MAX_SEEDS" -eq 0 ] || [ $n -lt "$MAX_SEEDS" ]; }; do
		fuzz_sys_seed "$s" "$work/run" || bad=$((bad + 1))
		last=$(grep -o 'call [0-9]*' "$work/run.out" | tail -n 1 | awk '{print $2}')
		calls=$((calls + ${last:-0}))
		n=$((n + 1))
		s=$((s + 1))
	done
	echo "fuzz sys: seeds $SEED-$((s - 1)) ($n seeds, about $calls calls, $((SECONDS - start)) s), $bad failed"
	rm -rf "$work"
	[ $bad -eq 0 ]
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(elf cpio channel cmdline sys)
host=()
for t in "${targets[@]}"; do
	if [ "$t" = sys ]; then
		continue
	elif [ -x "$BUILD/tests/fuzz/fuzz_$t" ]; then
		host+=("$t")
	else
		echo "fuzz.sh: no such target: $t (built: $(ls "$BUILD"/tests/fuzz/ | sed -n 's/^fuzz_\([a-z]*\)$/\1/p' | tr '\n' ' '))" >&2
		exit 2
	fi
done
logs=$(mktemp -d)
for t in "${host[@]}"; do
	{
		fuzz_host "$t"
		echo $? >"$logs/$t.rc"
	} >"$logs/$t.log" 2>&1 &
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
		wait -n
	done
done
wait
for t in "${host[@]}"; do
	cat "$logs/$t.log"
	[ "$(cat "$logs/$t.rc")" = 0 ] || failed=1
done
rm -rf "$logs"
for t in "${targets[@]}"; do
	[ "$t" = sys ] && { fuzz_sys || failed=1; }
done
exit $failed
