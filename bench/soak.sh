#!/usr/bin/env bash
# Soak (issue: hardening): each server runs in monos under a steady load for
# a long time, and must end it with zero errors and without having leaked
# kernel memory.  Servers: the epoll HTTP server of the guest tests and
# Debian's nginx under wrk (-t1 -c64), Debian's redis-server under
# redis-benchmark (GET and SET, 50 clients; wrk does not speak Redis).
#
# The leak check: `monos run -v` logs the kernel's memory figures when the
# CLI gets SIGUSR1 (a MEMINFO frame: heap bytes live, heap frames, frames
# used).  One reading after a warm-up, one after the soak, each taken once
# the load has stopped and its connections have closed; both must be equal.
# Prints a markdown section; exits 1 on any error or difference.
#
# Usage: bench/soak.sh [SECONDS [WARMUP]]   (defaults 600 and 30, per server)
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh

SECS=${1:-600}
WARM=${2:-30}
SETTLE=5 # seconds for closed connections to finish before a reading
HTTPD=$BUILD/tests/guest/musl/httpd
GUEST_PORT=8080
for p in "$BENCH_MONOS" "$HTTPD" /usr/sbin/nginx /usr/bin/redis-server /usr/bin/redis-benchmark; do
	[[ -x $p ]] || bench_die "$p is missing (make all guest-programs; scripts/deps.sh bench)"
done
command -v wrk >/dev/null || bench_die "wrk is needed (scripts/deps.sh bench)"
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
pid=
failed=0

# Load $1 (http URL or redis port) for $2 seconds; errors go to $tmp/errors.
load()
{
	local target=$1 secs=$2 out errs

	if [[ $kind == redis ]]; then
		# redis-benchmark counts requests, not time: loop until time is up.
		local end=$((SECONDS + secs))
		while ((SECONDS < end)); do
			out=$(redis-benchmark -p "$target" -q -n 20000 -c 50 -t get,set 2>&1) ||
				echo "redis-benchmark failed: $out" >>"$tmp/errors"
			grep -qiE 'error|refused|reset' <<<"$out" && echo "$out" >>"$tmp/errors"
			# The final "GET: N requests per second" line, not the progress
			# lines ("GET: rps=..."), which a \r separates on one line.
			tr '\r' '\n' <<<"$out" | sed -n 's/^GET: \([0-9.][0-9.]*\) requests.*/\1/p' >>"$tmp/rps"
		done
		return
	fi
	out=$(wrk -t1 -c64 -d"${secs}s" "$target" 2>&1)
	errs=$(grep -E 'Socket errors|Non-2xx' <<<"$out")
	[[ -n $errs ]] && echo "$errs" >>"$tmp/errors"
	sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$out" >>"$tmp/rps"
}

# Ask the instance for its memory figures; print them as
# "LIVE HEAPFRAMES USED RESIDENT": heap bytes live, frames the heap holds
# (small blocks keep theirs: a high-water mark), frames used in all, and the
# program's resident pages (its own frames and the image's pages it maps).
reading()
{
	local n line

	sleep $SETTLE
	n=$(grep -c 'monos: memory:' "$tmp/server.err")
	kill -USR1 "$pid"
	for ((i = 0; i < 100; i++)); do
		(($(grep -c 'monos: memory:' "$tmp/server.err") > n)) && break
		sleep 0.1
	done
	line=$(grep 'monos: memory:' "$tmp/server.err" | tail -1)
	sed -n 's/.*heap \([0-9]*\) bytes live in \([0-9]*\) frames, frames used \([0-9]*\) of [0-9]* (program resident \([0-9]*\)).*/\1 \2 \3 \4/p' <<<"$line"
}

# A reading as a table cell.
cell()
{
	awk '{ printf "heap %d B live in %d frames; %d frames used; program %d pages", $1, $2, $3, $4 }' <<<"$1"
}

# The kernel's frames beyond its heap, from one reading to the next: frames
# used less the heap's frames less the program's pages (a constant offset,
# the image pages the program maps, cancels out).
kernel_frames_delta()
{
	awk -v b="$1" -v a="$2" 'BEGIN { split(b, x, " "); split(a, y, " ")
		print (y[3] - y[2] - y[4]) - (x[3] - x[2] - x[4]) }'
}

# soak NAME KIND TARGET-PORT MONOS-ARGS...: one server's soak, one table row.
soak()
{
	local name=$1 port before after target verdict delta
	kind=$2
	shift 2
	port=$(bench_free_port)
	"$BENCH_MONOS" run --verbose -p "$port:$1" "${@:2}" </dev/null >"$tmp/server.out" 2>"$tmp/server.err" &
	pid=$!
	target=$port
	[[ $kind == http ]] && target=http://127.0.0.1:$port/
	bench_wait_ready "$target" "$pid" "$kind" || bench_die "$name never answered: $(tail -5 "$tmp/server.err")"
	: >"$tmp/errors"
	: >"$tmp/rps"
	load "$target" "$WARM"
	before=$(reading)
	: >"$tmp/rps"
	load "$target" "$SECS"
	after=$(reading)
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
	verdict=ok
	[[ -s $tmp/errors ]] && verdict="errors: $(head -3 "$tmp/errors" | tr '\n' ' ')"
	# No leak: the same heap bytes live, and no more kernel frames beyond
	# the heap.  (The heap's frames may rise to a new high-water mark; the
	# program's own pages are its business: redis keeps what it was given.)
	if [[ -z $before || -z $after ]]; then
		verdict="$verdict; no memory reading"
	else
		[[ ${before%% *} == "${after%% *}" ]] || verdict="$verdict; kernel heap differs"
		delta=$(kernel_frames_delta "$before" "$after")
		[[ $delta == 0 ]] || verdict="$verdict; kernel frames $delta"
	fi
	[[ $verdict == ok ]] || failed=1
	printf '| %s | %s s | %s | %s | %s | %s |\n' "$name" "$SECS" \
		"$(awk '{ s += $NF; n++ } END { if (n) printf "%.0f", s / n }' "$tmp/rps")" \
		"$(cell "$before")" "$(cell "$after")" "$verdict"
}

echo "## Soak"
echo
echo "\`bench/soak.sh $SECS $WARM\` ($(date -u +%Y-%m-%d), load $(cut -d' ' -f1 /proc/loadavg)):"
echo "each server in monos under a steady load; the kernel's memory figures"
echo "(heap bytes live and frames held, other kernel frames, the program's pages) read after"
echo "a ${WARM} s warm-up and after the soak, each with the load stopped."
echo
echo "| server | load | mean req/s | memory after warm-up | memory after soak | verdict |"
echo "|---|---|---|---|---|---|"
soak "epoll httpd (wrk -t1 -c64)" http $GUEST_PORT -- "$HTTPD" $GUEST_PORT
soak "nginx (wrk -t1 -c64)" http $GUEST_PORT --file bench/nginx.conf:/etc/monos/nginx.conf \
	--file bench/www:/srv/www --file /etc/nginx/mime.types -- /usr/sbin/nginx \
	-c /etc/monos/nginx.conf -e stderr
soak "redis (redis-benchmark GET/SET -c50)" redis 6379 --file bench/redis.conf:/etc/monos/redis.conf \
	-- /usr/bin/redis-server /etc/monos/redis.conf
exit $failed
