#!/usr/bin/env bash
# Figure 1, wall time: `monos run hello` from command to exit, against the
# same hello run natively and against the empty PVH guest booted on the same
# QEMU with monos' own machine flags.  The three are interleaved run by run
# (after one warm-up each), so a slow moment of the host hits all three alike.
# Prints a markdown section on stdout; adds the headline to $BENCH_SUMMARY.
#
# Usage: bench/wall.sh [RUNS]     (default 20; bench/run.sh bounds its time)
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh

RUNS=${1:-20}
TARGET_US=45000 # facts.md: hello, command to exit, <= 45 ms

bench_check_inputs
bench_empty_cmd_init

# The runs are only worth timing if they do what they should: hello prints
# its greeting in monos, and the empty guest stops QEMU through
# isa-debug-exit (status (0 << 1) | 1 = 1).
out=$(timeout "$BENCH_TIMEOUT" "$BENCH_MONOS" run "$BENCH_HELLO" </dev/null 2>&1) ||
	bench_die "monos run hello failed: $out"
[[ $out == *Hello* ]] || bench_die "monos run hello printed no greeting: $out"
timeout "$BENCH_TIMEOUT" "${BENCH_EMPTY_CMD[@]}" </dev/null >/dev/null 2>&1
(($? == 1)) || bench_die "the empty guest did not exit through isa-debug-exit"

# One timed run of "$3..." appended to $tmp/$1 (wall) and $tmp/$1.cpu; it
# must exit with status $2 (not run in a subshell, so BENCH_LAST_STATUS
# survives).
sample_one()
{
	local file=$1 expect=$2 wall cpu

	shift 2
	bench_time_once "$@" >"$tmp/last"
	((BENCH_LAST_STATUS == expect)) || bench_die "$* exited with $BENCH_LAST_STATUS"
	read -r wall cpu <"$tmp/last"
	echo "$wall" >>"$tmp/$file"
	echo "$cpu" >>"$tmp/$file.cpu"
}

# One sample of each: monos and native hello exit 0, the empty guest 1.
sample()
{
	sample_one monos 0 "$BENCH_MONOS" run "$BENCH_HELLO"
	sample_one native 0 "$BENCH_HELLO"
	sample_one empty 1 "${BENCH_EMPTY_CMD[@]}"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
BENCH_TMP=$tmp
sample # warm-up: page cache, QEMU's first start
rm -f "$tmp"/*
for ((i = 0; i < RUNS; i++)); do
	sample
done

read -r m_med m_min m_max n < <(bench_stats <"$tmp/monos")
read -r n_med n_min n_max _ < <(bench_stats <"$tmp/native")
read -r e_med e_min e_max _ < <(bench_stats <"$tmp/empty")
read -r mc_med mc_min mc_max _ < <(bench_stats <"$tmp/monos.cpu")
read -r nc_med nc_min nc_max _ < <(bench_stats <"$tmp/native.cpu")
read -r ec_med ec_min ec_max _ < <(bench_stats <"$tmp/empty.cpu")

cat <<EOF
## 1. Wall time, command to exit (hello)

$n runs of each, interleaved, after one warm-up run of each; times in ms, from
bash's \$EPOCHREALTIME around each command (no wrapper process).

| what | median | min | max | median ratio monos / this |
|---|---|---|---|---|
| \`monos run hello\` | $(bench_ms "$m_med") | $(bench_ms "$m_min") | $(bench_ms "$m_max") | 1.00 |
| hello natively | $(bench_ms "$n_med") | $(bench_ms "$n_min") | $(bench_ms "$n_max") | $(bench_ratio "$m_med" "$n_med") |
| empty PVH guest, same QEMU flags | $(bench_ms "$e_med") | $(bench_ms "$e_min") | $(bench_ms "$e_max") | $(bench_ratio "$m_med" "$e_med") |

CPU time of the same runs (user + system, the command and all its children,
QEMU included; 1 ms resolution), in ms: less sensitive than wall time to other
work on the machine.

| what | median | min | max | median ratio monos / this |
|---|---|---|---|---|
| \`monos run hello\` | $(bench_ms "$mc_med") | $(bench_ms "$mc_min") | $(bench_ms "$mc_max") | 1.00 |
| hello natively | $(bench_ms "$nc_med") | $(bench_ms "$nc_min") | $(bench_ms "$nc_max") | $(bench_ratio "$mc_med" "$nc_med") |
| empty PVH guest, same QEMU flags | $(bench_ms "$ec_med") | $(bench_ms "$ec_min") | $(bench_ms "$ec_max") | $(bench_ratio "$mc_med" "$ec_med") |

monos' own share of the wall time (median monos - median empty guest): $(bench_ms $((m_med - e_med))) ms;
min against min: $(bench_ms $((m_min - e_min))) ms.
Target (facts.md): <= $(bench_ms $TARGET_US) ms, $(bench_verdict "$m_med" $TARGET_US).

Commands:
\`\`\`
$BENCH_MONOS run $BENCH_HELLO
$BENCH_HELLO
${BENCH_EMPTY_CMD[*]}
\`\`\`

EOF
bench_summary "hello wall, command to exit (median; min)" \
	"$(bench_ms "$m_med") ms; $(bench_ms "$m_min") ms" "<= $(bench_ms $TARGET_US) ms" \
	"$(bench_verdict "$m_med" $TARGET_US); min $(bench_verdict "$m_min" $TARGET_US)"
bench_summary "hello CPU time, monos + QEMU (median; empty guest)" \
	"$(bench_ms "$mc_med") ms; $(bench_ms "$ec_med") ms" "-" "-"
