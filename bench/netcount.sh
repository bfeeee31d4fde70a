#!/usr/bin/env bash
# Figure 6, guest instructions per request: the epoll HTTP server under wrk
# and redis-server under redis-benchmark GET, in monos under
# `-icount shift=0,sleep=on` (sleep=on: the guest clock runs in real time
# while it waits for the client; sleep=off would fire TCP timers early,
# facts.md).  With --verbose the kernel logs
#   monos: starting the program: tsc T0, halted H0 tsc ticks ...
#   monos: at exit: tsc T1, halted H1 tsc ticks
# and under icount the TSC counts instructions plus halted ticks, so a run
# executed C = (T1 - H1) - (T0 - H0) instructions between the program's
# start and its end (SIGTERM once the load is over).  A run without load
# (only the readiness probe, then SIGTERM) gives the fixed part: the
# program's start-up, the probe and the exit; each loaded run's instructions
# per request are (C - median fixed part) / the requests its client reports.
# Halted ticks (H1 - H0) are reported beside: with sleep=on they are host
# real time, so they follow the load on the machine.
# Not measured for the Linux guest: it has no such exit record, and its
# idle accounting (/proc/stat) would need an agent inside the guest.
# Prints a markdown section on stdout.
#
# Usage: bench/netcount.sh [RUNS [SECONDS]]   (default 3 loaded runs of each,
# wrk for 10 s; redis-benchmark 20000 GETs)
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh

RUNS=${1:-3}
SECS=${2:-10}
REDIS_REQS=20000
CONNS=64
HTTPD=${BENCH_HTTPD:-$BUILD/tests/guest/musl/httpd}
REDIS=/usr/bin/redis-server
REDIS_CONF=bench/redis.conf
SERVER_CPU=0
CLIENT_CPU=$(($(nproc) - 1))

bench_check_inputs
[[ -x $HTTPD ]] || bench_die "$HTTPD is missing (make guest-programs)"

# Is server $1 (httpd or redis) on port $2 answering?
probe()
{
	if [[ $1 == httpd ]]; then
		curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$2/"
	else
		[[ $(timeout 2 redis-cli -p "$2" ping 2>/dev/null) == PONG ]]
	fi
}

# The load on server $1 at port $2; prints the number of requests done.
client()
{
	local out

	if [[ $1 == httpd ]]; then
		out=$(taskset -c "$CLIENT_CPU" wrk -t1 -c$CONNS -d"${SECS}s" "http://127.0.0.1:$2/" 2>&1)
		sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' <<<"$out"
	else
		taskset -c "$CLIENT_CPU" redis-benchmark -p "$2" -q -n $REDIS_REQS -t get >/dev/null 2>&1 &&
			echo $REDIS_REQS
	fi
}

# One monos run of server $1 under icount, loaded when $2 is 1: appends
# "C HALTED REQUESTS" to $tmp/$1.$2.
one_run()
{
	local what=$1 loaded=$2 port pid n=0 i log
	local -a cmd

	port=$(bench_free_port)
	if [[ $what == httpd ]]; then
		cmd=(run --verbose -p "$port:8080" "$HTTPD" 8080)
	else
		cmd=(run --verbose -p "$port:6379" --file "$REDIS_CONF:/etc/monos/redis.conf" -- $REDIS
			/etc/monos/redis.conf)
	fi
	MONOS_QEMU_ARGS="$BENCH_ICOUNT_ON" taskset -c $SERVER_CPU "$BENCH_MONOS" "${cmd[@]}" \
		</dev/null >/dev/null 2>"$tmp/log" &
	pid=$!
	for ((i = 0; i < 10 * BENCH_TIMEOUT; i++)); do
		probe "$what" "$port" && break
		kill -0 $pid 2>/dev/null || bench_die "$what in monos under icount ended: $(tail -3 "$tmp/log")"
		sleep 0.1
	done
	((loaded)) && n=$(client "$what" "$port")
	kill -TERM $pid 2>/dev/null
	timeout "$BENCH_TIMEOUT" tail --pid=$pid -f /dev/null || kill -KILL $pid
	wait $pid 2>/dev/null
	log=$(cat "$tmp/log")
	[[ $log =~ starting\ the\ program:\ tsc\ ([0-9]+),\ halted\ ([0-9]+) ]] ||
		bench_die "no 'starting the program' line (monos run -v): $(tail -3 "$tmp/log")"
	local t0=${BASH_REMATCH[1]} h0=${BASH_REMATCH[2]}
	[[ $log =~ at\ exit:\ tsc\ ([0-9]+),\ halted\ ([0-9]+) ]] ||
		bench_die "no 'at exit' line (monos run -v): $(tail -3 "$tmp/log")"
	local t1=${BASH_REMATCH[1]} h1=${BASH_REMATCH[2]}
	[[ -n $n ]] && ((!loaded || n > 0)) || bench_die "$what: the client reported no requests"
	echo "$(((t1 - h1) - (t0 - h0))) $((h1 - h0)) $n" >>"$tmp/$what.$loaded"
}

# "median (min-max)" of numbers on stdin.
cell()
{
	bench_stats | awk '{ printf "%d (%d-%d)", $1, $2, $3 }'
}

# The table rows of server $1.
rows()
{
	local base per

	base=$(cut -d' ' -f1 "$tmp/$1.0" | bench_stats | cut -d' ' -f1)
	per=$(awk -v b="$base" '{ printf "%d\n", ($1 - b) / $3 }' "$tmp/$1.1" | cell)
	echo "| $2: fixed part (start-up, probe, exit; no load) | $(cut -d' ' -f1 "$tmp/$1.0" | cell) | $(cut -d' ' -f2 "$tmp/$1.0" | cell) | - |"
	echo "| $2: under load | $(cut -d' ' -f1 "$tmp/$1.1" | cell) | $(cut -d' ' -f2 "$tmp/$1.1" | cell) | $(cut -d' ' -f3 "$tmp/$1.1" | cell) |"
	echo "| **$2: instructions per request** | **$per** | - | - |"
	echo "$per" >"$tmp/$1.per"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for ((r = 0; r < RUNS; r++)); do
	for w in httpd redis; do
		one_run $w 0
		one_run $w 1
	done
done

cat <<EOF
## 6. Guest instructions per request

monos under \`$BENCH_ICOUNT_ON\`, $RUNS runs of each kind, the server on CPU
$SERVER_CPU, the client on CPU $CLIENT_CPU.  For each run, instructions C =
(T1 - H1) - (T0 - H0) from the kernel's "starting the program" and "at exit"
lines (\`monos run -v\`); halted = H1 - H0 (host real time under sleep=on, so
it follows the machine's load).  Per request: (C of a loaded run - median C
of the runs without load) / the requests its client reports.  Cells: median
(min-max).  The Linux guest is not measured here: it has no such record at
exit, and subtracting its idle time would need an agent inside it.

| run | instructions C | halted ticks | requests |
|---|---|---|---|
$(rows httpd "httpd, wrk -t1 -c$CONNS -d${SECS}s")
$(rows redis "redis-server, redis-benchmark -n $REDIS_REQS -t get")

Commands:
\`\`\`
MONOS_QEMU_ARGS="$BENCH_ICOUNT_ON" taskset -c $SERVER_CPU $BENCH_MONOS run --verbose -p PORT:8080 $HTTPD 8080
taskset -c $CLIENT_CPU wrk -t1 -c$CONNS -d${SECS}s http://127.0.0.1:PORT/; kill -TERM MONOS
MONOS_QEMU_ARGS="$BENCH_ICOUNT_ON" taskset -c $SERVER_CPU $BENCH_MONOS run --verbose -p PORT:6379 --file $REDIS_CONF:/etc/monos/redis.conf -- $REDIS /etc/monos/redis.conf
taskset -c $CLIENT_CPU redis-benchmark -p PORT -q -n $REDIS_REQS -t get; kill -TERM MONOS
(the runs without load: the same, without the client)
\`\`\`

EOF
bench_summary "guest instructions per HTTP request, httpd (monos, icount sleep=on)" \
	"$(cut -d' ' -f1 <"$tmp/httpd.per")" "-" "-"
bench_summary "guest instructions per Redis GET (monos, icount sleep=on)" \
	"$(cut -d' ' -f1 <"$tmp/redis.per")" "-" "-"
