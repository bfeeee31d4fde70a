#!/usr/bin/env bash
# Figure 15, processes: bench/fork (fork+exit+wait, fork+exec+wait of itself,
# posix_spawn+wait, and fork of a process with 256 MiB touched; see its top
# comment) run natively, in monos and in the Linux guest, each with 1 GiB.
# Each runs twice a round: plainly, for the wall time per operation, and
# under `-icount shift=0,sleep=off`, where the program's TSC deltas are guest
# instructions per operation (parent and child together, on one CPU).
# Natively there is no instruction count (the TSC counts cycles).
# Prints a markdown section on stdout; adds the headline to $BENCH_SUMMARY.
#
# Usage: bench/fork.sh [RUNS [N]]   (default 3 rounds, N = 200 operations)
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh
. bench/linux.sh

RUNS=${1:-3}
N=${2:-200}
BIG=256
MEM=1G
# A Linux guest run under icount touches 256 MiB and boots slowly: 5 bounds.
LIMIT=$((BENCH_TIMEOUT * 5))
PROG=${BENCH_FORK:-$BUILD/bench/fork}
OPS="fork_exit_wait fork_exec_wait posix_spawn_wait fork_${BIG}M_touched"

bench_check_inputs
[[ -x $PROG ]] || bench_die "$PROG is missing (make bench builds it)"
bench_linux_init

# The program's result lines of stdin (\r of the serial line dropped); fail
# unless all came.
results()
{
	local out

	out=$(tr -d '\r' | grep -E "^($(tr ' ' '|' <<<"$OPS")) [0-9.]+ [0-9.]+$")
	(($(wc -l <<<"$out") == 4)) || return 1
	echo "$out"
}

# Record one run's lines (stdin) as system $1, mode $2 (ns or ins).
record()
{
	local sys=$1 mode=$2 op ns tsc

	while read -r op ns tsc; do
		[[ $mode == ns ]] && echo "$ns" >>"$tmp/$sys.$op.ns" || echo "$tsc" >>"$tmp/$sys.$op.ins"
	done
}

round()
{
	local out

	out=$("$PROG" "$N" $BIG | results) || bench_die "fork failed natively"
	record native ns <<<"$out"
	out=$(timeout "$LIMIT" "$BENCH_MONOS" run -m $MEM "$PROG" "$N" $BIG </dev/null |
		results) || bench_die "fork failed in monos"
	record monos ns <<<"$out"
	out=$(MONOS_QEMU_ARGS="$BENCH_ICOUNT_OFF" timeout "$LIMIT" "$BENCH_MONOS" run -m $MEM \
		"$PROG" "$N" $BIG </dev/null | results) || bench_die "fork failed in monos under icount"
	record monos ins <<<"$out"
	bench_linux_cmd default "" fork "$N" $BIG
	bench_linux_set_mem $MEM
	out=$(timeout "$LIMIT" "${BENCH_LINUX_CMD[@]}" </dev/null 2>&1 | results) ||
		bench_die "fork failed in the Linux guest"
	record linux ns <<<"$out"
	bench_linux_cmd default "$BENCH_ICOUNT_OFF" fork "$N" $BIG
	bench_linux_set_mem $MEM
	out=$(timeout "$LIMIT" "${BENCH_LINUX_CMD[@]}" </dev/null 2>&1 | results) ||
		bench_die "fork failed in the Linux guest under icount"
	record linux ins <<<"$out"
}

# "median (min-max)" of a sample file, in the unit the caller divides by.
cell()
{
	[[ -s $1 ]] || {
		echo -
		return
	}
	awk -v d="${2:-1}" '{ printf "%d\n", $1 / d + 0.5 }' "$1" | bench_stats |
		awk '{ printf "%d (%d-%d)", $1, $2, $3 }'
}

median()
{
	awk '{ printf "%d\n", $1 + 0.5 }' "$1" | bench_stats | cut -d' ' -f1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for ((r = 0; r < RUNS; r++)); do
	round
done

cat <<EOF
## 15. Processes

bench/fork with N = $N operations of each ($((N / 10 > 3 ? N / 10 : 3)) of the
big fork), $RUNS rounds, every system with $MEM of memory; each cell is the
median (min-max) over the rounds of the per-operation figure.  An operation
is the parent's whole round: fork (or posix_spawn), the child's exit (or
exec of this small static program and its exit), and the parent's waitpid.
Wall time from clock_gettime around the loop in a plain run; guest
instructions from rdtsc around the loop under \`$BENCH_ICOUNT_OFF\` (parent
and child together: one CPU runs both).  Natively there is no instruction
count.  The target (issue 13): each at most the Linux guest's instructions.

Wall time per operation (µs):

| operation | native | monos | Linux guest |
|---|---|---|---|
EOF
for op in $OPS; do
	echo "| $op | $(cell "$tmp/native.$op.ns" 1000) | $(cell "$tmp/monos.$op.ns" 1000) |" \
		"$(cell "$tmp/linux.$op.ns" 1000) |"
done
cat <<EOF

Guest instructions per operation (thousands):

| operation | monos | Linux guest | ratio Linux / monos (medians) | target met |
|---|---|---|---|---|
EOF
met=0
for op in $OPS; do
	m=$(median "$tmp/monos.$op.ins") l=$(median "$tmp/linux.$op.ins")
	ok=no
	((m <= l)) && ok=yes && met=$((met + 1))
	echo "| $op | $(cell "$tmp/monos.$op.ins" 1000) | $(cell "$tmp/linux.$op.ins" 1000) |" \
		"$(bench_ratio "$l" "$m") | $ok |"
done
cat <<EOF

Commands:
\`\`\`
$PROG $N $BIG
$BENCH_MONOS run -m $MEM $PROG $N $BIG
MONOS_QEMU_ARGS="$BENCH_ICOUNT_OFF" $BENCH_MONOS run -m $MEM $PROG $N $BIG
$(bench_linux_cmd_text) (with -m $MEM)
(the Linux guest also without -icount, with tsc_early_khz=$BENCH_TSC_KHZ)
\`\`\`

EOF
bench_summary "fork+exit+wait, guest instructions (monos; Linux guest)" \
	"$(median "$tmp/monos.fork_exit_wait.ins"); $(median "$tmp/linux.fork_exit_wait.ins")" \
	"<= Linux guest" "$met of 4 operations at or under"
