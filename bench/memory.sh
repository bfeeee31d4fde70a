#!/usr/bin/env bash
# Figure 8, memory: the smallest guest memory (QEMU's -m, whole MiB) with
# which hello runs, the HTTP server and nginx answer one request and
# redis-server answers PING (bench/nginx.conf, bench/redis.conf), in monos
# (`monos run -m`) and in the Linux guest (default settings: mitigations do
# not change its memory needs).  Found by bisection between a size that
# fails (or monos' floor) and one that works (monos' default, 256 MiB), so
# each figure is one bisection: the answer is a threshold, not a sample.
# Prints a markdown section on stdout; adds the headline to $BENCH_SUMMARY.
#
# Usage: bench/memory.sh [STEP [APP_STEP]]   (the Linux guest's precision
# in MiB for hello and httpd, default 1, and for redis and nginx, default
# STEP; 0: the Linux guest's redis and nginx are not bisected, for
# `make bench-quick`)
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh
. bench/linux.sh

STEP=${1:-1}
APP_STEP=${2:-$STEP}
HTTPD=${BENCH_HTTPD:-$BUILD/tests/guest/musl/httpd}
GUEST_PORT=8080
HIGH=256  # MiB: monos' default, which must work
TRY_TIMEOUT=40 # seconds for one try: a starved Linux guest may crawl
TARGET_MIB=2   # facts.md: smallest memory for hello <= 2 MB

bench_check_inputs
[[ -x $HTTPD ]] || bench_die "$HTTPD is missing (make guest-programs)"
bench_linux_init

# Does hello run with $2 MiB on system $1 (monos or linux)?
try_hello()
{
	local out

	if [[ $1 == monos ]]; then
		out=$(timeout $TRY_TIMEOUT "$BENCH_MONOS" run -m "$2M" "$BENCH_HELLO" </dev/null 2>&1) || return 1
		[[ $out == *Hello* ]]
	else
		bench_linux_cmd default "" hello
		bench_linux_set_mem "$2M"
		out=$(timeout $TRY_TIMEOUT "${BENCH_LINUX_CMD[@]}" </dev/null 2>&1)
		[[ $out == *Hello*"$BENCH_LINUX_DONE 0"* ]]
	fi
}

# Start server $3 (httpd, nginx or redis) with $2 MiB on system $1 (monos
# or linux), its guest port forwarded from host port $port; sets pid.
start_server()
{
	local -a args

	case $3 in
	httpd) args=(-p "$port:$GUEST_PORT" "$HTTPD" $GUEST_PORT) ;;
	nginx) args=(-p "$port:$GUEST_PORT" --file bench/nginx.conf:/etc/monos/nginx.conf
		--file bench/www:/srv/www --file /etc/nginx/mime.types -- /usr/sbin/nginx
		-c /etc/monos/nginx.conf -e stderr) ;;
	redis) args=(-p "$port:6379" --file bench/redis.conf:/etc/monos/redis.conf --
		/usr/bin/redis-server /etc/monos/redis.conf) ;;
	esac
	if [[ $1 == monos ]]; then
		"$BENCH_MONOS" run -m "$2M" "${args[@]}" </dev/null >/dev/null 2>&1 &
	else
		# The Linux guest runs what follows the program's path in args.
		local i=0 initrd=$BENCH_LINUX_APPS guest=$GUEST_PORT
		[[ $3 == httpd ]] && initrd=$BENCH_LINUX_INITRD
		[[ $3 == redis ]] && guest=6379
		while [[ ${args[i]} != "$HTTPD" && ${args[i]} != /usr/* ]]; do ((i++)); done
		BENCH_LINUX_INITRD=$initrd bench_linux_cmd default "$(bench_linux_net "$port" $guest)" \
			"$(basename "${args[i]}")" "${args[@]:i+1}"
		bench_linux_set_mem "$2M"
		"${BENCH_LINUX_CMD[@]}" </dev/null >/dev/null 2>&1 &
	fi
	pid=$!
}

# Does server $3 answer its probe (one curl with the page's text, or PING)?
answers()
{
	case $1 in
	httpd) curl -s --max-time 1 "http://127.0.0.1:$port/" | grep -q Hello ;;
	nginx) curl -s --max-time 1 "http://127.0.0.1:$port/" | grep -q "benchmark page" ;;
	redis) [[ $(timeout 2 redis-cli -p "$port" ping 2>/dev/null) == PONG ]] ;;
	esac
}

try_httpd() { try_server "$1" "$2" httpd; }
try_nginx() { try_server "$1" "$2" nginx; }
try_redis() { try_server "$1" "$2" redis; }

# Does server $3 answer its probe with $2 MiB on system $1?  The server is
# stopped with SIGTERM (monos forwards it) once it answered or gave up.
try_server()
{
	local port pid ok=1 i

	port=$(bench_free_port)
	start_server "$1" "$2" "$3"
	for ((i = 0; i < TRY_TIMEOUT * 5; i++)); do
		if answers "$3"; then
			ok=0
			break
		fi
		kill -0 $pid 2>/dev/null || break
		sleep 0.2
	done
	kill -TERM $pid 2>/dev/null
	timeout 10 tail --pid=$pid -f /dev/null || kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	return $ok
}

# The smallest MiB in (lo, hi] for which "try_$1 $2 MiB" works, to $4 MiB;
# prints it with the number of tries.  hi must work.
bisect()
{
	local what=$1 sys=$2 lo=$3 step=$4 hi=$HIGH mid tries=1

	"try_$what" "$sys" $hi || bench_die "$what does not run in $sys with $hi MiB"
	while ((hi - lo > step)); do
		mid=$(((lo + hi) / 2))
		((tries++))
		if "try_$what" "$sys" $mid; then hi=$mid; else lo=$mid; fi
	done
	echo "$hi $tries"
}

# monos refuses less than 2 MiB (monos run --help), so 1 is the floor; its
# tries take a fraction of a second, so it is always bisected to 1 MiB.
read -r m_hello m_hello_n < <(bisect hello monos 1 1)
read -r m_httpd m_httpd_n < <(bisect httpd monos 1 1)
read -r l_hello l_hello_n < <(bisect hello linux 1 "$STEP")
read -r l_httpd l_httpd_n < <(bisect httpd linux 1 "$STEP")
read -r m_redis m_redis_n < <(bisect redis monos 1 1)
read -r m_nginx m_nginx_n < <(bisect nginx monos 1 1)
if ((APP_STEP > 0)); then
	read -r l_redis l_redis_n < <(bisect redis linux 1 "$APP_STEP")
	read -r l_nginx l_nginx_n < <(bisect nginx linux 1 "$APP_STEP")
else # the rows say so; the chart gets 0, off its log scale
	l_redis="not measured in this mode" l_redis_n=0 l_nginx=$l_redis l_nginx_n=0
fi
[[ -n $m_hello && -n $m_httpd && -n $l_hello && -n $l_httpd ]] || exit 1
[[ -n $m_redis && -n $m_nginx && -n $l_redis && -n $l_nginx ]] || exit 1
# The chart's data: program, MiB in monos, MiB in the Linux guest.
datafile=${BENCH_DATA:+$BENCH_DATA/memory.dat}
{
	echo "hello $m_hello $l_hello"
	echo "httpd $m_httpd $l_httpd"
	((APP_STEP > 0)) && echo "redis $m_redis $l_redis" && echo "nginx $m_nginx $l_nginx"
} >"${datafile:-/dev/null}"

bench_linux_cmd default "" hello
bench_linux_set_mem SIZE
cat <<EOF
## 8. Memory

The smallest guest memory (QEMU's -m, in MiB: monos to 1 MiB, the Linux guest
to $STEP MiB for hello and httpd, $APP_STEP MiB for redis and nginx) that runs hello
(its greeting printed, exit 0), the HTTP server and nginx (each answers one
curl) and redis-server (it answers PING),
each found by one bisection below $HIGH MiB (tries in parentheses).  "Memory" is
what the virtual machine is given; the program's own needs are the same on
both.  The Linux guest with default settings.  monos' CLI accepts no less
than 2 MiB, so 2 is its floor here.

| program | monos | Linux guest | ratio Linux / monos |
|---|---|---|---|
| hello | $m_hello ($m_hello_n) | $l_hello ($l_hello_n) | $(bench_ratio "$l_hello" "$m_hello") |
| httpd, answers one request | $m_httpd ($m_httpd_n) | $l_httpd ($l_httpd_n) | $(bench_ratio "$l_httpd" "$m_httpd") |
| redis-server, answers PING | $m_redis ($m_redis_n) | $l_redis ($l_redis_n) | $( ((APP_STEP > 0)) && bench_ratio "$l_redis" "$m_redis" || echo -) |
| nginx, answers one request | $m_nginx ($m_nginx_n) | $l_nginx ($l_nginx_n) | $( ((APP_STEP > 0)) && bench_ratio "$l_nginx" "$m_nginx" || echo -) |

Commands:
\`\`\`
$BENCH_MONOS run -m SIZE $BENCH_HELLO
$BENCH_MONOS run -m SIZE -p PORT:$GUEST_PORT $HTTPD $GUEST_PORT; curl http://127.0.0.1:PORT/
$(bench_linux_cmd_text)
$BENCH_MONOS run -m SIZE -p PORT:6379 --file bench/redis.conf:/etc/monos/redis.conf -- /usr/bin/redis-server /etc/monos/redis.conf; redis-cli -p PORT ping
$BENCH_MONOS run -m SIZE -p PORT:$GUEST_PORT --file bench/nginx.conf:/etc/monos/nginx.conf --file bench/www:/srv/www --file /etc/nginx/mime.types -- /usr/sbin/nginx -c /etc/monos/nginx.conf -e stderr; curl http://127.0.0.1:PORT/
(httpd, redis-server and nginx in the Linux guest: as in sections 4 and 5, with -m SIZE; then curl or PING)
\`\`\`

EOF
bench_summary "smallest memory for hello (monos; Linux guest)" "$m_hello MiB; $l_hello MiB" \
	"<= $TARGET_MIB MB" "$(bench_verdict "$m_hello" $TARGET_MIB)"
