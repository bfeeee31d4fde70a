#!/usr/bin/env bash
# Figure 4, HTTP: wrk against two static servers, each the same binary and
# page everywhere:
#   - the epoll HTTP server of the guest tests (tests/guest/httpd.c: a fixed
#     page, keep-alive) natively, in monos with user networking (`-p`) and
#     with a host tap device (`--net tap:NAME`, created for this script and
#     deleted at its end), and in the Linux guest (hostfwd);
#   - Debian's nginx (dynamically linked, unmodified; bench/nginx.conf, the
#     page bench/www/index.html) natively, in monos and in the Linux guest
#     (its initramfs holds nginx with its loader and libraries).
# The Linux guest runs with default settings and with mitigations=off, and
# its QEMU gets the host's full accept queue on the forwarded port, as
# `monos run` gives its own (bench_linux_widen).  On 2 cores wrk's default
# two threads starve QEMU (facts.md): wrk runs with one thread on the last
# CPU, the server (QEMU with all its threads, or the native process) on
# CPU 0, both pinned with taskset.
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
NGINX=/usr/sbin/nginx
NGINX_CONF=bench/nginx.conf
NGINX_ARGS=(-c /etc/monos/nginx.conf -e stderr)
NGINX_FILES=(--file "$NGINX_CONF:/etc/monos/nginx.conf" --file bench/www:/srv/www
	--file /etc/nginx/mime.types)
GUEST_PORT=8080
SERVER_CPU=0
WRK_CPU=$(($(nproc) - 1))
TARGET_RPS=20000 # facts.md: epoll HTTP server, user networking, >= 20 k req/s

bench_check_inputs
[[ -x $HTTPD ]] || bench_die "$HTTPD is missing (make guest-programs)"
[[ -x $NGINX ]] || bench_die "$NGINX is missing (scripts/deps.sh)"
if ! command -v wrk >/dev/null || ! command -v curl >/dev/null; then
	bench_die "wrk and curl are needed (scripts/deps.sh bench)"
fi
bench_linux_init

# A free TCP port on the loopback interface, so that runs of other people on

# wrk's latency ("1.23ms", "456.00us", "1.01s") in ms.
to_ms()
{
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000
		printf "%.3f\n", n }'
}

# Run wrk against URL $1, record requests/s, p50 and p99 as system $2.
load()
{
	local url=$1 sys=$2 out rps p50 p99 errs

	out=$(taskset -c "$WRK_CPU" wrk -t1 -c$CONNS -d"${SECS}s" --latency "$url" 2>&1)
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
# through $url, then stop it (SIGTERM, which monos forwards to the program)
# and reap it.  $sys names the system.
serve_and_load()
{
	local pid

	taskset -c $SERVER_CPU "$@" </dev/null >"$tmp/server.out" 2>&1 &
	pid=$!
	bench_wait_ready "$url" $pid || bench_die "$sys: the server never answered: $(tail -5 "$tmp/server.out")"
	[[ $sys == *linux_* ]] && bench_linux_widen $pid
	load "$url" "$sys"
	kill -TERM $pid 2>/dev/null
	timeout "$BENCH_TIMEOUT" tail --pid=$pid -f /dev/null || kill -KILL $pid
	wait $pid 2>/dev/null
}

# A tap device for the monos tap row: $TAP on the host at $TAP_NET.1/24, the
# guest at .2.  Sets TAP_WHY instead when it cannot be made.
tap_setup()
{
	TAP=mbench$(($$ % 10000))
	TAP_NET=10.$((80 + $$ % 3)).$(($$ % 250 + 1))
	TAP_WHY=
	if [[ $(id -u) != 0 || ! -c /dev/net/tun ]]; then
		TAP_WHY="not measured: creating a tap device needs root and /dev/net/tun"
	elif ! ip tuntap add dev "$TAP" mode tap 2>"$tmp/tap.err"; then
		TAP_WHY="not measured: cannot create a tap device ($(head -1 "$tmp/tap.err"))"
	else
		ip addr add "$TAP_NET.1/24" dev "$TAP" && ip link set "$TAP" up
	fi
}

# A copy of bench/nginx.conf for the native nginx: its own port, the page
# where it is in this tree, its temporary files and pid in $tmp.
native_nginx_conf()
{
	mkdir -p "$tmp/nginx"
	sed -e "s|listen $GUEST_PORT;|listen 127.0.0.1:$1;|" -e "s|/srv/www|$PWD/bench/www|" \
		-e "s|/tmp/|$tmp/nginx/|g" "$NGINX_CONF" >"$tmp/nginx.conf"
}

# One round: every system once, the epoll server then nginx.
round()
{
	local v port url

	port=$(bench_free_port) url=http://127.0.0.1:$port/
	sys=native serve_and_load "$HTTPD" "$port"
	port=$(bench_free_port) url=http://127.0.0.1:$port/
	sys=monos serve_and_load "$BENCH_MONOS" run -p "$port:$GUEST_PORT" "$HTTPD" $GUEST_PORT
	if [[ -z $TAP_WHY ]]; then
		url=http://$TAP_NET.2:$GUEST_PORT/
		sys=monos_tap serve_and_load "$BENCH_MONOS" run --net "tap:$TAP" --ip "$TAP_NET.2/24" \
			--gateway "$TAP_NET.1" -- "$HTTPD" $GUEST_PORT
	fi
	for v in default nomitig; do
		port=$(bench_free_port) url=http://127.0.0.1:$port/
		bench_linux_cmd $v "$(bench_linux_net "$port" $GUEST_PORT)" httpd $GUEST_PORT
		sys=linux_$v serve_and_load "${BENCH_LINUX_CMD[@]}"
	done

	port=$(bench_free_port) url=http://127.0.0.1:$port/
	native_nginx_conf "$port"
	sys=nginx_native serve_and_load $NGINX -c "$tmp/nginx.conf" -e stderr
	port=$(bench_free_port) url=http://127.0.0.1:$port/
	sys=nginx_monos serve_and_load "$BENCH_MONOS" run -p "$port:$GUEST_PORT" "${NGINX_FILES[@]}" \
		-- $NGINX "${NGINX_ARGS[@]}"
	for v in default nomitig; do
		port=$(bench_free_port) url=http://127.0.0.1:$port/
		BENCH_LINUX_INITRD=$BENCH_LINUX_APPS bench_linux_cmd $v \
			"$(bench_linux_net "$port" $GUEST_PORT)" nginx "${NGINX_ARGS[@]}"
		sys=nginx_linux_$v serve_and_load "${BENCH_LINUX_CMD[@]}"
	done
}

# "median (min-max)" of a sample file; $2 decimals.
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
tap_setup
trap '[[ -z $TAP_WHY ]] && ip link del "$TAP" 2>/dev/null; rm -rf "$tmp"' EXIT
: >"$tmp/errors"
for ((r = 0; r < RUNS; r++)); do
	round
done

m_rps=$(med "$tmp/monos.rps")
ng_rps=$(med "$tmp/nginx_monos.rps")
# The chart's data: what, median, min, max requests/s (native left out: a
# different scale).
{
	for s in monos:monos monos_tap:monos,tap linux_default:Linux linux_nomitig:Linux,mitig=off \
		nginx_monos:nginx,monos nginx_linux_default:nginx,Linux nginx_linux_nomitig:nginx,Linux,mitig=off; do
		[[ -s $tmp/${s%%:*}.rps ]] && echo "${s#*:} $(bench_stats <"$tmp/${s%%:*}.rps" | cut -d' ' -f1-3)"
	done
} >"${BENCH_DATA:-$tmp}/http.dat"

# A row: label, system, the median requests/s it is compared with.
row()
{
	echo "| $1 | $(cell "$tmp/$2.rps" 0) | $(cell "$tmp/$2.p50" 3) | $(cell "$tmp/$2.p99" 3) |" \
		"$(bench_ratio "$(med "$tmp/$2.rps")" "$3") |"
}

tap_row()
{
	if [[ -z $TAP_WHY ]]; then
		row "httpd in monos (\`--net tap\`, wrk to the guest's own address)" monos_tap "$m_rps"
	else
		echo "| httpd in monos (\`--net tap\`) | $TAP_WHY | - | - | - |"
	fi
}

bench_linux_cmd default "$(bench_linux_net PORT $GUEST_PORT)" httpd $GUEST_PORT
linux_httpd=$(bench_linux_cmd_text)
BENCH_LINUX_INITRD=$BENCH_LINUX_APPS bench_linux_cmd default "$(bench_linux_net PORT $GUEST_PORT)" \
	nginx "${NGINX_ARGS[@]}"
linux_nginx=$(bench_linux_cmd_text)
cat <<EOF
## 4. HTTP

\`wrk -t1 -c$CONNS -d${SECS}s --latency\` against two static servers: tests/guest/httpd
(epoll, a fixed small page, keep-alive) and Debian's nginx $($NGINX -v 2>&1 | sed 's|.*nginx/||')
(bench/nginx.conf: one process, sendfile, the page bench/www/index.html);
$RUNS runs of each, one round after another; wrk pinned to CPU $WRK_CPU, the server (QEMU, all its threads, or the
native process) to CPU $SERVER_CPU.  Cells: median (min-max).  Latency in ms.
The Linux guest's QEMU gets the host's full accept queue on its forwarded
port, as \`monos run\` gives its own (bench_linux_widen in bench/linux.sh;
libslirp listens with a backlog of 1).  The tap row reaches the guest
directly at its own address on a tap device made for this run (no user
networking and no port forwarding on the way).

| server | requests/s | p50 latency | p99 latency | requests/s ratio this / monos (same server, \`-p\`) |
|---|---|---|---|---|
$(row "httpd natively" native "$m_rps")
$(row "httpd in monos (\`-p\`, user networking)" monos "$m_rps")
$(tap_row)
$(row "httpd in the Linux guest, default (hostfwd)" linux_default "$m_rps")
$(row "httpd in the Linux guest, mitigations=off" linux_nomitig "$m_rps")
$(row "nginx natively" nginx_native "$ng_rps")
$(row "nginx in monos (\`-p\`, user networking)" nginx_monos "$ng_rps")
$(row "nginx in the Linux guest, default (hostfwd)" nginx_linux_default "$ng_rps")
$(row "nginx in the Linux guest, mitigations=off" nginx_linux_nomitig "$ng_rps")

Errors wrk reported: $([[ -s $tmp/errors ]] && paste -sd';' "$tmp/errors" | sed 's/;/; /g' || echo none).
Guest instructions per request: section 6.

Commands:
\`\`\`
taskset -c $SERVER_CPU $HTTPD PORT
taskset -c $SERVER_CPU $BENCH_MONOS run -p PORT:$GUEST_PORT $HTTPD $GUEST_PORT
ip tuntap add dev TAP mode tap; ip addr add NET.1/24 dev TAP; ip link set TAP up
taskset -c $SERVER_CPU $BENCH_MONOS run --net tap:TAP --ip NET.2/24 --gateway NET.1 -- $HTTPD $GUEST_PORT
taskset -c $SERVER_CPU $linux_httpd
taskset -c $SERVER_CPU $NGINX -c NATIVE.conf -e stderr    # bench/nginx.conf with its port and paths
taskset -c $SERVER_CPU $BENCH_MONOS run -p PORT:$GUEST_PORT ${NGINX_FILES[*]} -- $NGINX ${NGINX_ARGS[*]}
taskset -c $SERVER_CPU $linux_nginx
(and the Linux guest with mitigations=off)
taskset -c $WRK_CPU wrk -t1 -c$CONNS -d${SECS}s --latency http://127.0.0.1:PORT/    # tap: http://NET.2:$GUEST_PORT/
\`\`\`

EOF
bench_summary "HTTP requests/s, epoll server, user networking (monos; Linux guest; native)" \
	"$m_rps; $(med "$tmp/linux_default.rps"); $(med "$tmp/native.rps")" ">= $TARGET_RPS" \
	"$(bench_verdict $TARGET_RPS "$m_rps")"
[[ -z $TAP_WHY ]] && bench_summary "HTTP requests/s, epoll server, tap networking (monos)" \
	"$(med "$tmp/monos_tap.rps")" "-" "-"
bench_summary "nginx requests/s (monos; Linux guest; native)" \
	"$ng_rps; $(med "$tmp/nginx_linux_default.rps"); $(med "$tmp/nginx_native.rps")" "-" \
	"monos $(bench_ratio "$ng_rps" "$(med "$tmp/nginx_linux_default.rps")")x the Linux guest"
