#!/usr/bin/env bash
# Figure 4, system calls: bench/syscall (getppid, clock_gettime, a 1-byte
# read from /dev/zero, a 4 KiB write to /dev/null; see its top comment) run
# natively, in monos and in the Linux guest (default and mitigations=off).
# Each runs twice a round: plainly, for the wall time per call, and under
# `-icount shift=0,sleep=off`, where the program's TSC deltas are guest
# instructions per call (deterministic; a busy loop never halts).  Natively
# there is no instruction count (no icount; the TSC counts cycles), so the
# native row gives time only.
# Prints a markdown section on stdout; adds the headline to $BENCH_SUMMARY.
#
# Usage: bench/syscall.sh [RUNS [N]]   (default 3 rounds, N = 20000 calls)
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh
. bench/linux.sh

RUNS=${1:-3}
N=${2:-20000}
PROG=${BENCH_SYSCALL:-$BUILD/bench/syscall}
OPS="getppid clock_gettime read_dev_zero_1B write_dev_null_4KiB"
TARGET_GETPPID=110 # facts.md: getppid <= 110 instructions

bench_check_inputs
[[ -x $PROG ]] || bench_die "$PROG is missing (make bench builds it)"
bench_linux_init

# Keep the program's result lines of stdin: "OP NS TSC", \r of the serial
# line dropped; fail unless all four came.
results()
{
	local out

	out=$(tr -d '\r' | grep -E "^($(tr ' ' '|' <<<"$OPS")) [0-9.]+ [0-9.]+$")
	(($(wc -l <<<"$out") == 4)) || return 1
	echo "$out"
}

# Record one run's lines (stdin) as system $1, mode $2 (ns: column 2, ins:
# column 3) into $tmp/$1.<op>.$2.
record()
{
	local sys=$1 mode=$2 op ns tsc

	while read -r op ns tsc; do
		[[ $mode == ns ]] && echo "$ns" >>"$tmp/$sys.$op.ns" || echo "$tsc" >>"$tmp/$sys.$op.ins"
	done
}

# One round: every system, both modes.
round()
{
	local out v sys

	out=$("$PROG" "$N" | results) || bench_die "syscall failed natively"
	record native ns <<<"$out"
	out=$(timeout "$BENCH_TIMEOUT" "$BENCH_MONOS" run "$PROG" "$N" </dev/null | results) ||
		bench_die "syscall failed in monos"
	record monos ns <<<"$out"
	out=$(MONOS_QEMU_ARGS="$BENCH_ICOUNT_OFF" timeout "$BENCH_TIMEOUT" "$BENCH_MONOS" run "$PROG" "$N" \
		</dev/null | results) || bench_die "syscall failed in monos under icount"
	record monos ins <<<"$out"
	for v in default nomitig; do
		sys=linux_$v
		bench_linux_cmd $v "" syscall "$N"
		out=$(timeout "$BENCH_TIMEOUT" "${BENCH_LINUX_CMD[@]}" </dev/null 2>&1 | results) ||
			bench_die "syscall failed in the Linux guest ($v)"
		record "$sys" ns <<<"$out"
		bench_linux_cmd $v "$BENCH_ICOUNT_OFF" syscall "$N"
		out=$(timeout "$BENCH_TIMEOUT" "${BENCH_LINUX_CMD[@]}" </dev/null 2>&1 | results) ||
			bench_die "syscall failed in the Linux guest ($v) under icount"
		record "$sys" ins <<<"$out"
	done
}

# "median (min-max)" of a sample file of decimals, rounded to integers.
cell()
{
	[[ -s $1 ]] || {
		echo -
		return
	}
	awk '{ printf "%d\n", $1 + 0.5 }' "$1" | bench_stats | awk '{ printf "%d (%d-%d)", $1, $2, $3 }'
}

# The median of a sample file, rounded.
median()
{
	awk '{ printf "%d\n", $1 + 0.5 }' "$1" | bench_stats | cut -d' ' -f1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for ((r = 0; r < RUNS; r++)); do
	round
done

# The chart's data: op, then median instructions of monos, Linux, Linux
# with mitigations=off.
for op in $OPS; do
	echo "$op $(median "$tmp/monos.$op.ins") $(median "$tmp/linux_default.$op.ins")" \
		"$(median "$tmp/linux_nomitig.$op.ins")"
done >"${BENCH_DATA:-$tmp}/syscall.dat"

cat <<EOF
## 3. System calls

bench/syscall with N = $N calls of each, $RUNS rounds; each cell is the median
(min-max) over the rounds of the per-call figure.  Wall time per call comes
from clock_gettime around the loop in a plain run; instructions per call from
rdtsc around the loop in a run under \`$BENCH_ICOUNT_OFF\`, where the TSC
counts guest instructions (a REP string instruction counts once per
iteration).  Both include the loop's own few instructions.  Natively there is
no instruction count: no icount, and the TSC counts cycles.

Wall time per call (ns):

| call | native | monos | Linux guest | Linux guest, mitigations=off |
|---|---|---|---|---|
EOF
for op in $OPS; do
	echo "| $op | $(cell "$tmp/native.$op.ns") | $(cell "$tmp/monos.$op.ns") |" \
		"$(cell "$tmp/linux_default.$op.ns") | $(cell "$tmp/linux_nomitig.$op.ns") |"
done
cat <<EOF

Guest instructions per call:

| call | monos | Linux guest | Linux guest, mitigations=off | ratio Linux / monos (medians) |
|---|---|---|---|---|
EOF
for op in $OPS; do
	echo "| $op | $(cell "$tmp/monos.$op.ins") | $(cell "$tmp/linux_default.$op.ins") |" \
		"$(cell "$tmp/linux_nomitig.$op.ins") |" \
		"$(bench_ratio "$(median "$tmp/linux_default.$op.ins")" "$(median "$tmp/monos.$op.ins")") |"
done
bench_linux_cmd default "$BENCH_ICOUNT_OFF" syscall "$N"
cat <<EOF

Commands:
\`\`\`
$PROG $N
$BENCH_MONOS run $PROG $N
MONOS_QEMU_ARGS="$BENCH_ICOUNT_OFF" $BENCH_MONOS run $PROG $N
$(bench_linux_cmd_text)
(the Linux guest also without -icount, with tsc_early_khz=$BENCH_TSC_KHZ, and with mitigations=off)
\`\`\`

EOF
getppid=$(median "$tmp/monos.getppid.ins")
bench_summary "getppid, guest instructions (monos; Linux guest)" \
	"$getppid; $(median "$tmp/linux_default.getppid.ins")" "<= $TARGET_GETPPID" \
	"$(bench_verdict "$getppid" $TARGET_GETPPID)"
