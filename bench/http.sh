#!/usr/bin/env bash
# Figure 5, HTTP: wrk against the epoll HTTP server of the guest tests
# (tests/guest/httpd.c: a fixed page, keep-alive) natively, in monos
# (`monos run -p`, QEMU's user-mode networking) and in the Linux guest (the
# same QEMU networking, hostfwd), default and mitigations=off.  On 2 cores
# wrk's default two threads starve QEMU (facts.md): wrk runs with one thread
# on the last CPU, the server (QEMU with all its threads, or the native
# process) on CPU 0, both pinned with taskset.
# Prints a markdown section on stdout; adds the headline to $BENCH_SUMMARY.
#
# Usage: bench/http.sh [RUNS [SECONDS]]   (default 3 runs of 10 s each)
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh
. bench/linux.sh

RUNS=${1:-3}
SECS=${2:-10}
CONNS=64
HTTPD=${BENCH_HTTPD:-$BUILD/tests/guest/musl/httpd}
GUEST_PORT=8080
SERVER_CPU=0
WRK_CPU=$(($(nproc) - 1))
TARGET_RPS=20000 # facts.md: epoll HTTP server, user networking, >= 20 k req/s

bench_check_inputs
[[ -x $HTTPD ]] || bench_die "$HTTPD is missing (make guest-programs)"
if ! command -v wrk >/dev/null || ! command -v curl >/dev/null; then
	bench_die "wrk and curl are needed (scripts/deps.sh bench)"
fi
bench_linux_init

# A free TCP port on the loopback interface, so that runs of other people on
# the same machine do not collide with ours.
free_port()
{
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Wait until http://127.0.0.1:$1/ answers, as long as process $2 lives.
wait_ready()
{
	local i

	for ((i = 0; i < 10 * BENCH_TIMEOUT; i++)); do
		curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# wrk's latency ("1.23ms", "456.00us", "1.01s") in ms.
to_ms()
{
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000
		printf "%.3f\n", n }'
}

# Run wrk against port $1, record requests/s, p50 and p99 as system $2.
load()
{
	local port=$1 sys=$2 out rps p50 p99 errs

	out=$(taskset -c "$WRK_CPU" wrk -t1 -c$CONNS -d"${SECS}s" --latency "http://127.0.0.1:$port/" 2>&1)
	rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$out")
	p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
	p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
	[[ -n $rps && -n $p50 && -n $p99 ]] || bench_die "wrk against $sys gave no figures: $out"
	errs=$(sed -n 's/^ *\(Socket errors:.*\|Non-2xx.*\)/\1/p' <<<"$out" | tr '\n' ' ')
	[[ -n $errs ]] && echo "$sys: ${errs% }" >>"$tmp/errors"
	printf '%.0f\n' "$rps" >>"$tmp/$sys.rps"
	to_ms "$p50" >>"$tmp/$sys.p50"
	to_ms "$p99" >>"$tmp/$sys.p99"
}

# Start server "$@" pinned to the server CPU in the background, load it
# through port $port, then stop it (SIGTERM, which monos forwards to the
# program) and reap it.  $sys names the system.
serve_and_load()
{
	local pid

	taskset -c $SERVER_CPU "$@" </dev/null >"$tmp/server.out" 2>&1 &
	pid=$!
	wait_ready "$port" $pid || bench_die "$sys: the server never answered: $(tail -5 "$tmp/server.out")"
	load "$port" "$sys"
	kill -TERM $pid 2>/dev/null
	timeout "$BENCH_TIMEOUT" tail --pid=$pid -f /dev/null || kill -KILL $pid
	wait $pid 2>/dev/null
}

# One round: every system once.
round()
{
	local v port sys

	port=$(free_port)
	sys=native serve_and_load "$HTTPD" "$port"
	port=$(free_port)
	sys=monos serve_and_load "$BENCH_MONOS" run -p "$port:$GUEST_PORT" "$HTTPD" $GUEST_PORT
	for v in default nomitig; do
		port=$(free_port)
		bench_linux_cmd $v "$(bench_linux_net "$port" $GUEST_PORT)" httpd $GUEST_PORT
		sys=linux_$v serve_and_load "${BENCH_LINUX_CMD[@]}"
	done
}

# "median (min-max)" of a sample file; $2 decimals.
cell()
{
	awk -v d="$2" '{ printf "%d\n", $1 * 10 ^ d + 0.5 }' "$1" | bench_stats |
		awk -v d="$2" '{ f = "%." d "f"; printf f " (" f "-" f ")", $1 / 10 ^ d, $2 / 10 ^ d, $3 / 10 ^ d }'
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/errors"
for ((r = 0; r < RUNS; r++)); do
	round
done

read -r m_rps m_min m_max _ < <(bench_stats <"$tmp/monos.rps")
read -r n_rps _ < <(bench_stats <"$tmp/native.rps")
read -r l_rps l_min l_max _ < <(bench_stats <"$tmp/linux_default.rps")
read -r lm_rps lm_min lm_max _ < <(bench_stats <"$tmp/linux_nomitig.rps")
# The chart's data: what, median, min, max requests/s (native left out: a
# different scale).
{
	echo "monos $m_rps $m_min $m_max"
	echo "Linux $l_rps $l_min $l_max"
	echo "Linux,mitig=off $lm_rps $lm_min $lm_max"
} >"${BENCH_DATA:-$tmp}/http.dat"

row()
{
	echo "| $1 | $(cell "$tmp/$2.rps" 0) | $(cell "$tmp/$2.p50" 3) | $(cell "$tmp/$2.p99" 3) |" \
		"$(bench_ratio "$(bench_stats <"$tmp/$2.rps" | cut -d' ' -f1)" "$m_rps") |"
}

bench_linux_cmd default "$(bench_linux_net PORT $GUEST_PORT)" httpd $GUEST_PORT
cat <<EOF
## 4. HTTP

\`wrk -t1 -c$CONNS -d${SECS}s --latency\` against tests/guest/httpd (epoll, a fixed
small page, keep-alive), $RUNS runs of each, one round after another; wrk pinned to CPU $WRK_CPU, the server (QEMU, all its threads, or the
native process) to CPU $SERVER_CPU.  Cells: median (min-max).  Latency in ms.

| server | requests/s | p50 latency | p99 latency | requests/s ratio this / monos |
|---|---|---|---|---|
$(row "httpd natively" native)
$(row "httpd in monos (\`-p\`, user networking)" monos)
$(row "httpd in the Linux guest, default (hostfwd)" linux_default)
$(row "httpd in the Linux guest, mitigations=off" linux_nomitig)
| nginx (monos, Linux guest, native) | not measured yet: nginx in monos is another engineer's work in progress | - | - | - |
| redis-benchmark GET/SET | not measured yet: Redis in monos is not there yet | - | - | - |

Errors wrk reported: $([[ -s $tmp/errors ]] && paste -sd';' "$tmp/errors" | sed 's/;/; /g' || echo none).
Guest instructions per request: not measured.  The server would have to read
the TSC under icount itself (httpd does not), and with sleep=on, the mode
networking needs, the count also holds host real time (section 2).

Commands:
\`\`\`
taskset -c $SERVER_CPU $HTTPD PORT
taskset -c $SERVER_CPU $BENCH_MONOS run -p PORT:$GUEST_PORT $HTTPD $GUEST_PORT
taskset -c $SERVER_CPU $(bench_linux_cmd_text)
(and the Linux guest with mitigations=off)
taskset -c $WRK_CPU wrk -t1 -c$CONNS -d${SECS}s --latency http://127.0.0.1:PORT/
\`\`\`

EOF
bench_summary "HTTP requests/s, epoll server, user networking (monos; Linux guest; native)" \
	"$m_rps; $l_rps; $n_rps" ">= $TARGET_RPS" "$(bench_verdict $TARGET_RPS "$m_rps")"
