#!/usr/bin/env bash
# Figure 1, wall time: `monos run hello` from command to exit, against the
# same hello run natively, against the empty PVH guest booted on the same
# QEMU with monos' own machine flags, and against the Linux guest running the
# same hello (bench/linux.sh), with default settings and mitigations=off.
# All are interleaved run by run (after one warm-up each), so a slow moment
# of the host hits them alike; the Linux guest, about 100 times slower, runs
# in the first LINUX_RUNS rounds only.
# Prints a markdown section on stdout; adds the headline to $BENCH_SUMMARY.
#
# Usage: bench/wall.sh [RUNS [LINUX_RUNS]]   (default 20 and 10; bench/run.sh
# bounds its time)
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh

RUNS=${1:-20}
LINUX_RUNS=${2:-10}
TARGET_US=45000 # facts.md: hello, command to exit, <= 45 ms

bench_check_inputs
bench_empty_cmd_init
. bench/linux.sh
bench_linux_init
bench_linux_cmd default "" hello
LINUX_DEFAULT=("${BENCH_LINUX_CMD[@]}")
bench_linux_cmd nomitig "" hello
LINUX_NOMITIG=("${BENCH_LINUX_CMD[@]}")

# The runs are only worth timing if they do what they should: hello prints
# its greeting in monos, and the empty guest stops QEMU through
# isa-debug-exit (status (0 << 1) | 1 = 1).
out=$(timeout "$BENCH_TIMEOUT" "$BENCH_MONOS" run "$BENCH_HELLO" </dev/null 2>&1) ||
	bench_die "monos run hello failed: $out"
[[ $out == *Hello* ]] || bench_die "monos run hello printed no greeting: $out"
timeout "$BENCH_TIMEOUT" "${BENCH_EMPTY_CMD[@]}" </dev/null >/dev/null 2>&1
(($? == 1)) || bench_die "the empty guest did not exit through isa-debug-exit"
for v in LINUX_DEFAULT LINUX_NOMITIG; do
	declare -n cmd=$v
	out=$(timeout "$BENCH_TIMEOUT" "${cmd[@]}" </dev/null 2>&1)
	[[ $out == *Hello*"$BENCH_LINUX_DONE 0"* ]] || bench_die "the Linux guest did not run hello: $out"
	unset -n cmd
done

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

# One sample of each: monos and native hello exit 0, the empty guest 1; the
# Linux guest (QEMU exits 0 at power-off) when $1 is "linux".
sample()
{
	sample_one monos 0 "$BENCH_MONOS" run "$BENCH_HELLO"
	sample_one native 0 "$BENCH_HELLO"
	sample_one empty 1 "${BENCH_EMPTY_CMD[@]}"
	if [[ ${1:-} == linux ]]; then
		sample_one linux 0 "${LINUX_DEFAULT[@]}"
		sample_one linux_nm 0 "${LINUX_NOMITIG[@]}"
	fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
BENCH_TMP=$tmp
sample linux # warm-up: page cache, QEMU's first start
rm -f "$tmp"/*
for ((i = 0; i < RUNS; i++)); do
	if ((i < LINUX_RUNS)); then sample linux; else sample; fi
done

read -r m_med m_min m_max n < <(bench_stats <"$tmp/monos")
read -r n_med n_min n_max _ < <(bench_stats <"$tmp/native")
read -r e_med e_min e_max _ < <(bench_stats <"$tmp/empty")
read -r mc_med mc_min mc_max _ < <(bench_stats <"$tmp/monos.cpu")
read -r nc_med nc_min nc_max _ < <(bench_stats <"$tmp/native.cpu")
read -r ec_med ec_min ec_max _ < <(bench_stats <"$tmp/empty.cpu")
read -r l_med l_min l_max ln < <(bench_stats <"$tmp/linux")
read -r lm_med lm_min lm_max _ < <(bench_stats <"$tmp/linux_nm")
read -r lc_med lc_min lc_max _ < <(bench_stats <"$tmp/linux.cpu")
read -r lmc_med lmc_min lmc_max _ < <(bench_stats <"$tmp/linux_nm.cpu")
# The chart's data: what, median, min, max (ms).
{
	echo "monos $(bench_ms "$m_med") $(bench_ms "$m_min") $(bench_ms "$m_max")"
	echo "empty-guest $(bench_ms "$e_med") $(bench_ms "$e_min") $(bench_ms "$e_max")"
	echo "Linux $(bench_ms "$l_med") $(bench_ms "$l_min") $(bench_ms "$l_max")"
	echo "Linux,mitig=off $(bench_ms "$lm_med") $(bench_ms "$lm_min") $(bench_ms "$lm_max")"
	echo "native $(bench_ms "$n_med") $(bench_ms "$n_min") $(bench_ms "$n_max")"
} >"${BENCH_DATA:-$tmp}/wall.dat"

cat <<EOF
## 1. Wall time, command to exit (hello)

$n runs of each ($ln of the Linux guest), interleaved, after one warm-up run
of each; times in ms, from bash's \$EPOCHREALTIME around each command (no
wrapper process).  The Linux guest runs the same hello binary from its
initramfs and powers off (\`poweroff -f\`) when it has exited.

| what | median | min | max | median ratio monos / this |
|---|---|---|---|---|
| \`monos run hello\` | $(bench_ms "$m_med") | $(bench_ms "$m_min") | $(bench_ms "$m_max") | 1.00 |
| hello natively | $(bench_ms "$n_med") | $(bench_ms "$n_min") | $(bench_ms "$n_max") | $(bench_ratio "$m_med" "$n_med") |
| empty PVH guest, same QEMU flags | $(bench_ms "$e_med") | $(bench_ms "$e_min") | $(bench_ms "$e_max") | $(bench_ratio "$m_med" "$e_med") |
| Linux guest, default | $(bench_ms "$l_med") | $(bench_ms "$l_min") | $(bench_ms "$l_max") | $(bench_ratio "$m_med" "$l_med") |
| Linux guest, mitigations=off | $(bench_ms "$lm_med") | $(bench_ms "$lm_min") | $(bench_ms "$lm_max") | $(bench_ratio "$m_med" "$lm_med") |

CPU time of the same runs (user + system, the command and all its children,
QEMU included; 1 ms resolution), in ms: less sensitive than wall time to other
work on the machine.

| what | median | min | max | median ratio monos / this |
|---|---|---|---|---|
| \`monos run hello\` | $(bench_ms "$mc_med") | $(bench_ms "$mc_min") | $(bench_ms "$mc_max") | 1.00 |
| hello natively | $(bench_ms "$nc_med") | $(bench_ms "$nc_min") | $(bench_ms "$nc_max") | $(bench_ratio "$mc_med" "$nc_med") |
| empty PVH guest, same QEMU flags | $(bench_ms "$ec_med") | $(bench_ms "$ec_min") | $(bench_ms "$ec_max") | $(bench_ratio "$mc_med" "$ec_med") |
| Linux guest, default | $(bench_ms "$lc_med") | $(bench_ms "$lc_min") | $(bench_ms "$lc_max") | $(bench_ratio "$mc_med" "$lc_med") |
| Linux guest, mitigations=off | $(bench_ms "$lmc_med") | $(bench_ms "$lmc_min") | $(bench_ms "$lmc_max") | $(bench_ratio "$mc_med" "$lmc_med") |

monos' own share of the wall time (median monos - median empty guest): $(bench_ms $((m_med - e_med))) ms;
min against min: $(bench_ms $((m_min - e_min))) ms.
Target (facts.md): <= $(bench_ms $TARGET_US) ms, $(bench_verdict "$m_med" $TARGET_US).

Commands:
\`\`\`
$BENCH_MONOS run $BENCH_HELLO
$BENCH_HELLO
${BENCH_EMPTY_CMD[*]}
$(BENCH_LINUX_CMD=("${LINUX_DEFAULT[@]}") && bench_linux_cmd_text)
$(BENCH_LINUX_CMD=("${LINUX_NOMITIG[@]}") && bench_linux_cmd_text)
\`\`\`

EOF
bench_summary "hello wall, command to exit (median; min)" \
	"$(bench_ms "$m_med") ms; $(bench_ms "$m_min") ms" "<= $(bench_ms $TARGET_US) ms" \
	"$(bench_verdict "$m_med" $TARGET_US); min $(bench_verdict "$m_min" $TARGET_US)"
bench_summary "hello CPU time, monos + QEMU (median; empty guest)" \
	"$(bench_ms "$mc_med") ms; $(bench_ms "$ec_med") ms" "-" "-"
bench_summary "Linux guest hello wall (median, default; mitigations=off)" \
	"$(bench_ms "$l_med") ms; $(bench_ms "$lm_med") ms" "-" "monos $(bench_ratio "$l_med" "$m_med")x faster"
