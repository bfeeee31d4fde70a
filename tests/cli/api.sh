# The in-guest management agent (agent/, docs/agent.md) over curl: the
# token (none, wrong, right; 401 with WWW-Authenticate), every endpoint's
# JSON, /metrics, the size limits (431, 413), a slowloris client cut off
# with 408 while others are served, the API answering while the program is
# under wrk load (the syscall counter rising), the failure rate limit (429,
# even for the right token), health states (starting/healthy, unhealthy),
# a signal to PID 1, and a graceful shutdown (SIGTERM to the program ends
# the instance with its status).
source tests/cli/lib/common.bash
tok=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$tok" >"$scratch/token"
aport=$(free_port)
hport=$(free_port)
timeout -k 5 300 "$MONOS" run -p "$aport:9000" -p "$hport:8080" --api 9000 \
	--api-token-file "$scratch/token" --health http://:8080/ --health-interval 1 \
	-- "$GUEST/httpd" 8080 280 >"$scratch/guest.out" 2>&1 &
guest=$!
api=http://127.0.0.1:$aport
auth="Authorization: Bearer $tok"

# get PATH [CURL-ARGS...]: the status code in $code, the body in $body.
get() {
	local path=$1
	shift
	code=$(curl -s -m 10 -o "$scratch/body" -w '%{http_code}' "$@" "$api$path")
	body=$(cat "$scratch/body" 2>/dev/null)
}
is_json() {
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$scratch/body"
}

# wait_healthz CODE [BODY]: poll /healthz (60 s at most) until it answers so.
wait_healthz() {
	for _ in $(seq 200); do
		get /healthz
		[ "$code" = "$1" ] && [ "${2:-$body}" = "$body" ] && return
		sleep 0.3
	done
}
wait_healthz 200 '{"status":"healthy"}' # boot, and the first health check
rc=0 out=$body err=$code
check "GET /healthz needs no token and says healthy" [ "$body" = '{"status":"healthy"}' ]

run curl -s -m 10 -D - -o /dev/null "$api/v1/os"
check "no token: 401" grep -q '^HTTP/1.1 401' "$scratch/out"
check "401 says WWW-Authenticate: Bearer" grep -qi '^WWW-Authenticate: Bearer' "$scratch/out"
get /v1/os -H "Authorization: Bearer wrong$tok"
check "wrong token: 401" [ "$code" = 401 ]
get /v1/os -H "Authorization: Basic $tok"
check "another scheme: 401" [ "$code" = 401 ]

for e in /v1/os /v1/os/memory /v1/os/log /v1/processes /v1/net /v1/app; do
	get "$e" -H "$auth"
	check "GET $e with the token: 200 and JSON" eval '[ "$code" = 200 ] && is_json'
done
get /v1/os -H "$auth"
check "/v1/os names monos and its uptime" eval 'grep -q "\"sysname\":\"monos\"" "$scratch/body" && grep -q uptime_seconds "$scratch/body"'
check "/v1/os shows the kernel command line" grep -q '"cmdline":"[^"]*monos.channel=1' "$scratch/body"
get /v1/os/log -H "$auth"
check "/v1/os/log: the kernel log's lines (the network device's)" grep -q '"lines":\[.*virtio-net' "$scratch/body"
get /v1/app -H "$auth"
check "/v1/app: PID 1's args, env names only, health" \
	eval 'python3 -c "
import json,sys; a=json.load(open(sys.argv[1]))
assert a[\"args\"][1:]==[\"8080\",\"280\"] and \"PATH\" in a[\"env_names\"]
assert a[\"health\"][\"status\"]==\"healthy\" and a[\"state\"]==\"running\"" "$scratch/body"'
check "/v1/app shows no environment value (PATH's)" eval '! grep -q /usr/bin "$scratch/body"'
get /v1/processes -H "$auth"
check "/v1/processes: the program as 1, the agent beside it, not its child" \
	eval 'python3 -c "
import json,sys; p={x[\"pid\"]:x for x in json.load(open(sys.argv[1]))}
assert p[1][\"name\"]==\"httpd\"
ag=[x for x in p.values() if x[\"name\"]==\"monos-agent\"]
assert len(ag)==1 and ag[0][\"pid\"]!=1 and ag[0][\"ppid\"]!=1" "$scratch/body"'
get /v1/nothing -H "$auth"
check "an unknown path: 404" [ "$code" = 404 ]
get /v1/os/shutdown -H "$auth"
check "GET on a POST endpoint: 405" [ "$code" = 405 ]

get /metrics -H "$auth"
cp "$scratch/body" "$scratch/metrics1"
check "/metrics: 200" [ "$code" = 200 ]
for m in monos_uptime_seconds monos_memory_total_bytes monos_page_faults_total \
	monos_context_switches_total 'monos_cpu_seconds_total{mode="idle"}' \
	'monos_syscalls_total{name="read"}' 'monos_network_receive_bytes_total{interface="eth0"}' \
	'monos_tcp_connections{state="LISTEN"}' monos_open_fds monos_processes monos_threads \
	'monos_health_status{state="healthy"} 1'; do
	check "/metrics has $m" grep -qF "$m" "$scratch/metrics1"
done
check "/metrics: every sample line is NAME{LABELS} NUMBER" \
	eval '! grep -vE "^(# (HELP|TYPE) .*|[a-z_]+(\{[a-z]+=\"[^\"]*\"\})? [0-9.e+-]+)$" "$scratch/metrics1"'
get /metrics
check "/metrics without the token: 401" [ "$code" = 401 ]

# Limits: a head over 8 KiB, a body over 4 KiB.
run curl -s -m 10 -o /dev/null -w '%{http_code}' -H "$auth" -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)" "$api/v1/os"
check "a head over 8 KiB: 431" [ "$out" = 431 ]
run curl -s -m 10 -o /dev/null -w '%{http_code}' -H "$auth" --data-binary "@$GUEST/httpd" "$api/v1/app/signal"
check "a body over 4 KiB: 413" [ "$out" = 413 ]

# A slowloris client: a byte a second never finishes its request; it is
# answered 408 and closed within the 5 s limit, and meanwhile others are
# served.
cat >"$scratch/slow.py" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
start, got = time.time(), b""
try:
    for ch in b"GET /v1/os HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 30:
        s.send(bytes([ch])); time.sleep(0.5)
        s.settimeout(0.01)
        try:
            d = s.recv(4096)
            if not d: break
            got += d
        except socket.timeout: pass
        s.settimeout(20)
except OSError: pass
print("slow: %s after %.0f s" % (got.split(b"\r\n")[0].decode() or "closed", time.time() - start))
PY
python3 "$scratch/slow.py" "$aport" >"$scratch/slow.out" 2>&1 &
slow=$!
sleep 1
get /v1/os -H "$auth"
check "served while a slowloris client drips" [ "$code" = 200 ]
wait $slow
check "the slowloris client got 408 well before it would have finished (28 s)" \
	grep -qE '^slow: HTTP/1.1 408 Request Timeout after ([4-9]|1[0-5]) s$' "$scratch/slow.out"

# Clients holding 40 connections (more than the agent's 32 slots), each
# with a partial request, do not lock others out: the oldest makes room.
python3 -c '
import socket, sys, time
ss = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(40)]
for s in ss: s.send(b"GET /v1/os HTTP/1.1\r\n")
time.sleep(4)' "$aport" &
hold=$!
sleep 2
get /v1/os -H "$auth"
check "served while 40 connections with partial requests are held" [ "$code" = 200 ]
wait $hold

# The API answers while the program is under load.
calls0=$(grep -F 'monos_syscalls_total{name="epoll_pwait"}' "$scratch/metrics1" | awk '{print $2}')
wrk -t1 -c8 -d6s "http://127.0.0.1:$hport/" >"$scratch/wrk.out" 2>&1 &
load=$!
sleep 1
ok=0
for _ in 1 2 3 4 5 6 7 8; do
	get /v1/os -H "$auth"
	[ "$code" = 200 ] && ok=$((ok + 1))
	sleep 0.3
done
wait $load
check "the API answered 8 of 8 requests under wrk load" [ "$ok" = 8 ]
check "wrk's load was served" grep -qE 'Requests/sec: +[0-9]' "$scratch/wrk.out"
get /metrics -H "$auth"
calls1=$(grep -F 'monos_syscalls_total{name="epoll_pwait"}' "$scratch/body" | awk '{print $2}')
check "the program's epoll_pwait counter rose under load ($calls0 -> $calls1)" [ "${calls1:-0}" -gt "${calls0:-0}" ]

# Failures are rate-limited: after 5 wrong tokens even the right one waits.
for _ in 1 2 3 4 5; do get /v1/os -H "Authorization: Bearer nope"; done
get /v1/os -H "$auth"
check "after 5 failures: 429, even with the right token" [ "$code" = 429 ]
run curl -s -m 10 -D - -o /dev/null -H "$auth" "$api/v1/os"
check "429 says Retry-After" grep -qi '^Retry-After: [0-9]' "$scratch/out"
get /healthz
check "/healthz still answers" [ "$code" = 200 ]
kill $guest 2>/dev/null
wait $guest 2>/dev/null

# A second instance, its program run as nobody (the agent stays root's):
# its health check finds nothing listening (unhealthy after 2 failures), a
# bad signal is refused, and a shutdown ends the run with the program's own
# status (SIGTERM: 143).
# The program must be reachable by nobody in the guest, where files keep their
# host modes: the checkout's directories may be private (a fresh clone in a
# 0700 directory), so it runs from a directory of its own.
pub=$(mktemp -d /tmp/monos-api.XXXXXX) && chmod 0755 "$pub" && cp "$GUEST/httpd" "$pub/httpd"
aport=$(free_port)
api=http://127.0.0.1:$aport
MONOS_API_TOKEN=$tok timeout -k 5 60 "$MONOS" run -u 65534:65534 -p "$aport:9000" --api 9000 --health tcp:7777 \
	--health-interval 0.5 --health-retries 2 -- "$pub/httpd" 8080 60 >"$scratch/g2.out" 2>&1 &
guest=$!
wait_healthz 503
check "nothing on the health port: /healthz 503, unhealthy" eval '[ "$code" = 503 ] && [ "$body" = "{\"status\":\"unhealthy\"}" ]'
get /v1/app -H "$auth"
check "/v1/app says unhealthy, 2 failures in a row or more" \
	eval 'python3 -c "
import json,sys; h=json.load(open(sys.argv[1]))[\"health\"]
assert h[\"status\"]==\"unhealthy\" and h[\"failing_streak\"]>=2" "$scratch/body"'
get "/v1/app/signal?signal=BOGUS" -H "$auth" -X POST
check "a bad signal name: 400" [ "$code" = 400 ]
get "/v1/os/shutdown?grace=5" -H "$auth" -X POST
check "POST /v1/os/shutdown: 202" [ "$code" = 202 ]
wait $guest
rc=$?
check "the shutdown ended the instance with the program's SIGTERM status (143)" [ "$rc" = 143 ]
rm -rf "$pub"

# A program that ignores SIGTERM is killed when the grace time ends; run
# as nobody, it may not use /dev/monos itself.
aport=$(free_port)
api=http://127.0.0.1:$aport
MONOS_API_TOKEN=$tok timeout -k 5 60 "$MONOS" run -u 65534 -p "$aport:9000" --api 9000 \
	-- /bin/sh -c 'trap "" TERM; { echo "kill 9" >/dev/monos; } 2>/dev/null || echo denied
		echo ready; while :; do :; done' >"$scratch/g3.out" 2>&1 &
guest=$!
wait_healthz 200
for _ in $(seq 200); do # the agent answers before the shell has run its trap
	grep -qx ready "$scratch/g3.out" && break
	sleep 0.3
done
start=$(date +%s%N)
get "/v1/os/shutdown?grace=1" -H "$auth" -X POST
wait $guest
rc=$?
took=$((($(date +%s%N) - start) / 1000000))
check "SIGTERM ignored: SIGKILL after the 1 s grace (status 137, after ${took} ms)" \
	eval '[ "$rc" = 137 ] && [ "$took" -ge 900 ]'
check "the program (nobody) could not write /dev/monos" grep -qx denied "$scratch/g3.out"
finish
