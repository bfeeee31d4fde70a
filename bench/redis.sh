#!/usr/bin/env bash
# Figure 7, Redis: Debian's redis-server (unmodified, dynamically linked)
# under redis-benchmark GET and SET, without pipelining and with 16 commands
# a pipeline, natively, in monos (`monos run -p`, user networking) and in the
# Linux guest (its initramfs holds redis-server with its loader and
# libraries, bench/linux-guest.sh; hostfwd), default and mitigations=off.
# Every server reads bench/redis.conf (no persistence).  As for HTTP,
# redis-benchmark runs on the last CPU and the server (QEMU with all its
# threads, or the native process) on CPU 0, both pinned with taskset.
# Before the timed tests, one untimed warm-up pass (PING, 1000 requests) on
# every system alike: the first burst of 50 connections to a fresh server
# pays one-off costs (page faults, pools) that are not the steady state.
# Prints a markdown section on stdout; adds the headline to $BENCH_SUMMARY.
#
# Usage: bench/redis.sh [RUNS [REQUESTS]]   (default 3 runs; REQUESTS
# without pipelining, 5 times as many with -P 16; default 10000)
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh
. bench/linux.sh

RUNS=${1:-3}
REQS=${2:-10000}
REDIS=/usr/bin/redis-server
CONF=bench/redis.conf
GUEST_CONF=/etc/monos/redis.conf
GUEST_PORT=6379
SERVER_CPU=0
CLIENT_CPU=$(($(nproc) - 1))
# The tests: name, redis-benchmark arguments.
declare -A TEST_ARGS=([p1]="-n $REQS" [p16]="-n $((REQS * 5)) -P 16")

bench_check_inputs
for p in $REDIS /usr/bin/redis-benchmark /usr/bin/redis-cli; do
	[[ -x $p ]] || bench_die "$p is missing (scripts/deps.sh)"
done
bench_linux_init
BENCH_LINUX_INITRD=$BENCH_LINUX_APPS

# Run both tests against port $1 as system $2: per test and command,
# requests/s into $tmp/$2.<test>.<cmd>.rps and p50 (ms) into .p50.
load()
{
	local port=$1 sys=$2 t out cmd rps p50

	taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" -q -n 1000 -t ping_inline >/dev/null 2>&1
	for t in p1 p16; do
		# shellcheck disable=SC2086 # the arguments are words
		out=$(taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" -q ${TEST_ARGS[$t]} -t set,get --csv 2>&1)
		for cmd in SET GET; do
			IFS=, read -r rps p50 < <(awk -F'"' -v c="$cmd" '$2 == c { print $4 "," $10 }' <<<"$out")
			[[ -n $rps && -n $p50 ]] || bench_die "redis-benchmark against $sys gave no $cmd figure: $out"
			printf '%.0f\n' "$rps" >>"$tmp/$sys.$t.$cmd.rps"
			echo "$p50" >>"$tmp/$sys.$t.$cmd.p50"
		done
	done
}

# Start server "$@" pinned to the server CPU, load it through $port, stop it
# (SIGTERM: monos forwards it to redis; QEMU of the Linux guest ends).
serve_and_load()
{
	local pid

	taskset -c $SERVER_CPU "$@" </dev/null >"$tmp/server.out" 2>&1 &
	pid=$!
	bench_wait_ready "$port" $pid redis || bench_die "$sys: redis never answered: $(tail -5 "$tmp/server.out")"
	[[ $sys == linux_* ]] && bench_linux_widen $pid
	load "$port" "$sys"
	kill -TERM $pid 2>/dev/null
	timeout "$BENCH_TIMEOUT" tail --pid=$pid -f /dev/null || kill -KILL $pid
	wait $pid 2>/dev/null
}

round()
{
	local v port

	port=$(bench_free_port)
	sys=native serve_and_load $REDIS $CONF --port "$port"
	port=$(bench_free_port)
	sys=monos serve_and_load "$BENCH_MONOS" run -p "$port:$GUEST_PORT" --file "$CONF:$GUEST_CONF" \
		-- $REDIS $GUEST_CONF
	for v in default nomitig; do
		port=$(bench_free_port)
		bench_linux_cmd $v "$(bench_linux_net "$port" $GUEST_PORT)" redis-server $GUEST_CONF
		sys=linux_$v serve_and_load "${BENCH_LINUX_CMD[@]}"
	done
}

# "median (min-max)" of a sample file, $2 decimals.
cell()
{
	awk -v d="$2" '{ printf "%d\n", $1 * 10 ^ d + 0.5 }' "$1" | bench_stats |
		awk -v d="$2" '{ f = "%." d "f"; printf f " (" f "-" f ")", $1 / 10 ^ d, $2 / 10 ^ d, $3 / 10 ^ d }'
}

med()
{
	bench_stats <"$1" | cut -d' ' -f1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for ((r = 0; r < RUNS; r++)); do
	round
done

# One row per system and test: SET and GET requests/s and p50, and the
# requests/s ratio against monos.
row()
{
	local label=$1 sys=$2 t=$3 cmd line="| $1 |"

	for cmd in SET GET; do
		line+=" $(cell "$tmp/$sys.$t.$cmd.rps" 0) | $(cell "$tmp/$sys.$t.$cmd.p50" 3) |"
	done
	line+=" $(bench_ratio "$(med "$tmp/$sys.$t.SET.rps")" "$(med "$tmp/monos.$t.SET.rps")") /"
	line+=" $(bench_ratio "$(med "$tmp/$sys.$t.GET.rps")" "$(med "$tmp/monos.$t.GET.rps")") |"
	echo "$line"
}

table()
{
	cat <<EOF
| server | SET requests/s | SET p50 | GET requests/s | GET p50 | ratio this / monos, SET / GET |
|---|---|---|---|---|---|
$(row "redis natively" native "$1")
$(row "redis in monos (\`-p\`, user networking)" monos "$1")
$(row "redis in the Linux guest, default (hostfwd)" linux_default "$1")
$(row "redis in the Linux guest, mitigations=off" linux_nomitig "$1")
EOF
}

# The chart's data: what, GET requests/s without pipelining (median, min,
# max) for monos and the Linux guest (native: a different scale).
{
	for s in monos:monos linux_default:Linux linux_nomitig:Linux,mitig=off; do
		echo "${s#*:} $(bench_stats <"$tmp/${s%%:*}.p1.GET.rps" | cut -d' ' -f1-3)"
	done
} >"${BENCH_DATA:-$tmp}/redis.dat"

bench_linux_cmd default "$(bench_linux_net PORT $GUEST_PORT)" redis-server $GUEST_CONF
cat <<EOF
## 5. Redis

Debian's redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') (the host's binary, dynamically linked, unmodified)
with bench/redis.conf, under \`redis-benchmark -q -t set,get\` with its default
50 connections: $REQS requests of each without pipelining, $((REQS * 5)) with
\`-P 16\`.  $RUNS runs of each system, one round after another; redis-benchmark
pinned to CPU $CLIENT_CPU, the server (QEMU, all its threads, or the native process) to
CPU $SERVER_CPU; one untimed warm-up (\`-t ping_inline -n 1000\`) before each system's
tests.  Cells: median (min-max); p50 latency in ms, as redis-benchmark reports it.
The Linux guest's QEMU gets the host's full accept queue on its forwarded
port, as \`monos run\` gives its own (bench/linux.sh, bench_linux_widen):
without it libslirp's backlog of 1 costs the Linux guest seconds of
handshake retransmits per burst of connections (a trial while this script
was written, not part of this run: about 180 SET/s instead of about 2000).

Without pipelining:

$(table p1)

Pipelining 16 (\`-P 16\`):

$(table p16)

Commands:
\`\`\`
taskset -c $SERVER_CPU $REDIS $CONF --port PORT
taskset -c $SERVER_CPU $BENCH_MONOS run -p PORT:$GUEST_PORT --file $CONF:$GUEST_CONF -- $REDIS $GUEST_CONF
taskset -c $SERVER_CPU $(bench_linux_cmd_text)
(and the Linux guest with mitigations=off; its initramfs: $BENCH_LINUX_APPS)
taskset -c $CLIENT_CPU redis-benchmark -p PORT -q -n 1000 -t ping_inline
taskset -c $CLIENT_CPU redis-benchmark -p PORT -q -n $REQS -t set,get --csv
taskset -c $CLIENT_CPU redis-benchmark -p PORT -q -n $((REQS * 5)) -P 16 -t set,get --csv
\`\`\`

EOF
bench_summary "Redis GET requests/s, no pipelining (monos; Linux guest; native)" \
	"$(med "$tmp/monos.p1.GET.rps"); $(med "$tmp/linux_default.p1.GET.rps"); $(med "$tmp/native.p1.GET.rps")" \
	"-" "monos $(bench_ratio "$(med "$tmp/monos.p1.GET.rps")" "$(med "$tmp/linux_default.p1.GET.rps")")x the Linux guest"
