#!/usr/bin/env bash
# Figure 10, bulk stdin and stdout: MB/s (10^6 bytes a second) through the
# host channel's fast wire, the virtio console (kernel/drivers/
# virtio_console.c), each way alone and both at once, against the same pipe
# run natively:
#   stdin   head -c SIZE /dev/zero | monos run dd of=/dev/null bs=128k
#   stdout  monos run dd if=/dev/zero bs=128k count=N > /dev/null
#   both    head -c SIZE /dev/zero | monos run cat > /dev/null
# (dd and cat are the host's own, packed by monos run with their libraries).
# Each figure is the whole command, boot and exit included (about 50 ms of
# it on an idle machine), RUNS times: median, min and max, and the median
# CPU time of the command with all its children (QEMU's threads, the CLI).
# The UART alone (MONOS_VIRTIO_CONSOLE=0, the path before the virtio
# console) is measured once, for stdin, on UART_MIB MiB: it runs at about
# 150 KB/s, so a full-size run would take tens of minutes.
# Prints a markdown section on stdout; adds the headline to $BENCH_SUMMARY.
#
# Usage: bench/stdio.sh [SIZE_MIB [RUNS [UART_MIB]]]   (default 200 5 1)
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh

SIZE_MIB=${1:-200}
RUNS=${2:-5}
UART_MIB=${3:-1}
TARGET=100 # MB/s each way (issue 8)
BS=131072  # dd's block: the 128 KiB cat uses too

[[ -x $BENCH_MONOS ]] || bench_die "$BENCH_MONOS is missing (make all)"
unset MONOS_VIRTIO_CONSOLE # the developer's knob: the figure is the default
BENCH_TMP=$(mktemp -d)
trap 'rm -rf "$BENCH_TMP"' EXIT

# The pipelines, with $1 the byte count and $2 the prefix that runs a
# program ("" natively, "MONOS run" in monos).
pipe_stdin() { head -c "$1" /dev/zero | $2 /bin/dd of=/dev/null bs=$BS status=none; }
pipe_stdout() { $2 /bin/dd if=/dev/zero bs=$BS count=$(($1 / BS)) status=none >/dev/null; }
pipe_both() { head -c "$1" /dev/zero | $2 /bin/cat >/dev/null; }
export -f pipe_stdin pipe_stdout pipe_both
export BS

# measure NAME BYTES PREFIX: RUNS timed runs; prints "KBS_MEDIAN KBS_MIN
# KBS_MAX CPU_MEDIAN_MS" (KB/s from the wall times: the fastest run gives
# the max).
measure()
{
	local name=$1 bytes=$2 prefix=$3 i wall cpu wmed wmin wmax cmed
	: >"$BENCH_TMP/wall" && : >"$BENCH_TMP/cpu"
	for ((i = 0; i < RUNS; i++)); do
		bench_time_once bash -c "pipe_$name $bytes '$prefix'" >"$BENCH_TMP/one"
		((BENCH_LAST_STATUS == 0)) || bench_die "$name ($prefix) failed: status $BENCH_LAST_STATUS"
		read -r wall cpu <"$BENCH_TMP/one"
		echo "$wall" >>"$BENCH_TMP/wall"
		echo "$cpu" >>"$BENCH_TMP/cpu"
	done
	read -r wmed wmin wmax _ < <(bench_stats <"$BENCH_TMP/wall")
	read -r cmed _ < <(bench_stats <"$BENCH_TMP/cpu")
	echo "$((bytes * 1000 / wmed)) $((bytes * 1000 / wmax)) $((bytes * 1000 / wmin)) $((cmed / 1000))"
}

bytes=$((SIZE_MIB << 20))
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A res
for name in stdin stdout both; do
	echo "bench: stdio $name" >&2
	res[$name]=$(measure $name $bytes "$BENCH_MONOS run")
	res[native_$name]=$(measure $name $bytes "")
done
echo "bench: stdio stdin over the UART alone" >&2
runs=$RUNS RUNS=1
uart=$(MONOS_VIRTIO_CONSOLE=0 measure stdin $((UART_MIB << 20)) "$BENCH_MONOS run")
RUNS=$runs
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

read -r u_med _ <<<"$uart"
cat <<EOT
## 10. Bulk stdin and stdout (the virtio console)

$SIZE_MIB MiB of zeros through a pipe into the program, out of it, and both
at once; the program is the host's dd (128 KiB blocks) or cat. MB/s are
10^6 bytes a second over the whole command (boot and exit included), $RUNS
runs each; CPU is the median user + system time of the command and its
children (QEMU's threads, the CLI). Load average $load_before before,
$load_after after: on this shared 2-core machine the wall figures move with
the load, the CPU figures far less.

| direction | command | monos MB/s median (min-max) | CPU s | native MB/s median (min-max) | CPU s |
|---|---|---|---|---|---|
EOT
row()
{
	local name=$1 cmd=$2 m n
	read -r -a m <<<"${res[$name]}"
	read -r -a n <<<"${res[native_$name]}"
	printf '| %s | `%s` | %d (%d-%d) | %d.%03d | %d (%d-%d) | %d.%03d |\n' "$name" "$cmd" \
		$((m[0] / 1000)) $((m[1] / 1000)) $((m[2] / 1000)) $((m[3] / 1000)) $((m[3] % 1000)) \
		$((n[0] / 1000)) $((n[1] / 1000)) $((n[2] / 1000)) $((n[3] / 1000)) $((n[3] % 1000))
}
row stdin "head -c ${SIZE_MIB}M /dev/zero \\| monos run dd of=/dev/null bs=128k"
row stdout "monos run dd if=/dev/zero bs=128k count=$((bytes / BS)) > /dev/null"
row both "head -c ${SIZE_MIB}M /dev/zero \\| monos run cat > /dev/null"
cat <<EOT

The UART alone (\`MONOS_VIRTIO_CONSOLE=0\`, the channel before the virtio
console), stdin, $UART_MIB MiB, one run: $u_med KB/s.

Commands: \`bash bench/stdio.sh $SIZE_MIB $RUNS $UART_MIB\` (monos is \`$BENCH_MONOS\`).
EOT
read -r -a si <<<"${res[stdin]}"
read -r -a so <<<"${res[stdout]}"
bench_summary "bulk stdin; stdout, MB/s (median, virtio console)" \
	"$((si[0] / 1000)); $((so[0] / 1000))" ">= $TARGET each way" \
	"$( ((si[0] >= TARGET * 1000 && so[0] >= TARGET * 1000)) && echo met || echo '**missed**')"
