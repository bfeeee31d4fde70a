# Shared helpers of the start-up benchmarks (sourced by bench/*.sh, never run
# on its own): where the binaries are, how to time a command, how to run the
# empty PVH guest with exactly monos' QEMU flags, and how to reduce a list of
# samples to median, min and max.
#
# Environment (all optional; bench/bench.mk sets the paths from $(BUILD)):
#   BUILD        build folder (default build)
#   BENCH_MONOS  the monos CLI (default $BUILD/monos)
#   BENCH_HELLO  the hello program (default $BUILD/examples/hello)
#   BENCH_EMPTY  the empty PVH guest (default $BUILD/bench/empty-pvh)
#   BENCH_TIMEOUT seconds one guest run may take before it counts as a
#                failure (default 60; design.md 13: tests never hang); timed
#                runs are bounded by bench/run.sh instead (bench_time_once)

# shellcheck shell=bash disable=SC2034 # the variables serve the scripts that source this
BUILD=${BUILD:-build}
# A developer's own QEMU knob would skew every figure; each run sets its own.
unset MONOS_QEMU_ARGS
BENCH_MONOS=${BENCH_MONOS:-$BUILD/monos}
BENCH_HELLO=${BENCH_HELLO:-$BUILD/examples/hello}
BENCH_EMPTY=${BENCH_EMPTY:-$BUILD/bench/empty-pvh}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-60}
BENCH_ICOUNT_ON="-icount shift=0,sleep=on"
BENCH_ICOUNT_OFF="-icount shift=0,sleep=off"

# Print an error naming the benchmark and stop.
bench_die()
{
	echo "bench: $*" >&2
	exit 1
}

# Check that every binary the benchmarks run exists.
bench_check_inputs()
{
	local f

	for f in "$BENCH_MONOS" "$BENCH_HELLO" "$BENCH_EMPTY"; do
		[[ -x $f ]] || bench_die "$f is missing (make all $BENCH_HELLO $BENCH_EMPTY)"
	done
}

# Run "$@" once with output discarded; print "WALL CPU" in microseconds.
# WALL comes from bash 5's $EPOCHREALTIME, so the timer itself forks nothing;
# CPU is the user + system time of the command and all its children (QEMU's
# threads too), from the `time` keyword (getrusage, 1 ms resolution): on a
# shared machine it moves far less with the load than WALL does.  The command
# runs bare: timeout(1) around it would add about 1.6 ms here, more than
# native hello takes; hangs are caught one level up, where bench/run.sh runs
# each figure script under a timeout.  The status is left in
# BENCH_LAST_STATUS for the caller to check.
bench_time_once()
{
	local t0 t1 user sys TIMEFORMAT='%3U %3S'
	local cpu_file=${BENCH_TMP:-/tmp}/bench-cpu.$$

	t0=${EPOCHREALTIME/[.,]/}
	{ time "$@" </dev/null >/dev/null 2>&1; } 2>"$cpu_file"
	BENCH_LAST_STATUS=$?
	t1=${EPOCHREALTIME/[.,]/}
	read -r user sys <"$cpu_file"
	rm -f "$cpu_file"
	echo $((10#$t1 - 10#$t0)) "$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%d", (u + s) * 1e6 }')"
}

# Reduce the numbers on stdin (one a line) to "median min max count"; the
# median of an even count is the mean of the middle two, rounded down.
bench_stats()
{
	sort -n | awk '{ v[NR] = $1 }
		END {
			if (NR == 0) { print "0 0 0 0"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)
			printf "%d %d %d %d\n", m, v[1], v[NR], NR
		}'
}

# The QEMU command line `monos run -v` starts for hello, one word a line,
# taken from monos' own log so that the baseline can never drift from it.
# Without the virtio console (MONOS_VIRTIO_CONSOLE=0): its chardev is a
# socket monos passes as fd 3, which a baseline's QEMU does not have (QEMU
# refused to start: "File descriptor '3' is not a socket").
bench_monos_qemu_argv()
{
	local line

	line=$(MONOS_VIRTIO_CONSOLE=0 timeout "$BENCH_TIMEOUT" "$BENCH_MONOS" run --verbose "$BENCH_HELLO" 2>&1 >/dev/null |
		grep -m1 -E '^monos: [^ ]*qemu-system')
	[[ -n $line ]] || bench_die "cannot read QEMU's command line from 'monos run -v'"
	tr ' ' '\n' <<<"${line#monos: }"
}

# Fill the array BENCH_EMPTY_CMD with the command that boots the empty PVH
# guest: monos' QEMU command with -kernel replaced and the monos-only
# arguments (-initrd, -append) dropped: same machine, CPU, memory, devices.
# The command was printed joined by spaces; only -append's value has any, and
# no kernel option starts with '-', so it ends at the next option.
bench_empty_cmd_init()
{
	local -a words
	local i

	mapfile -t words < <(bench_monos_qemu_argv)
	BENCH_EMPTY_CMD=()
	for ((i = 0; i < ${#words[@]}; i++)); do
		case ${words[i]} in
		-kernel)
			BENCH_EMPTY_CMD+=(-kernel "$BENCH_EMPTY")
			((i++))
			;;
		-initrd) ((i++)) ;;
		-append) # its value, the kernel options, holds spaces
			while ((i + 1 < ${#words[@]})) && [[ ${words[i + 1]} != -* ]]; do
				((i++))
			done
			;;
		*) BENCH_EMPTY_CMD+=("${words[i]}") ;;
		esac
	done
}

# Boot the empty guest once with extra QEMU arguments "$@" (words); print the
# TSC it read at its first instruction, in decimal.
bench_empty_tsc()
{
	local out

	out=$(timeout "$BENCH_TIMEOUT" "${BENCH_EMPTY_CMD[@]}" "$@" </dev/null 2>/dev/null)
	[[ $out =~ tsc\ ([0-9a-f]{16}) ]] || bench_die "the empty guest printed no TSC: '$out'"
	echo $((16#${BASH_REMATCH[1]}))
}

# "a / b" to two decimals, for ratios.
bench_ratio()
{
	awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f\n", a / b }'
}

# Microseconds as milliseconds with one decimal.
bench_ms()
{
	awk -v u="$1" 'BEGIN { printf "%.1f\n", u / 1000 }'
}

# Append one row to the summary table the driver prints first:
# figure, measured value, target, verdict.
bench_summary()
{
	[[ -n ${BENCH_SUMMARY:-} ]] && printf '| %s | %s | %s | %s |\n' "$@" >>"$BENCH_SUMMARY"
	return 0
}

# "met" or "missed" for value <= target.
bench_verdict()
{
	(($1 <= $2)) && echo met || echo "**missed**"
}

# A free TCP port on the loopback interface, so that runs of other people on
# the same machine do not collide with ours.
bench_free_port()
{
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Wait until the server behind HTTP URL $1 answers, or Redis on port $1
# answers PING ($3 = redis), as long as process $2 lives (BENCH_TIMEOUT
# seconds at most).  A bare connect proves nothing: QEMU accepts on a
# forwarded port before the guest listens.
bench_wait_ready()
{
	local i

	for ((i = 0; i < 10 * BENCH_TIMEOUT; i++)); do
		if [[ ${3:-http} == redis ]]; then
			[[ $(timeout 2 redis-cli -p "$1" ping 2>/dev/null) == PONG ]] && return 0
		else
			curl -s -o /dev/null --max-time 1 "$1" && return 0
		fi
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
