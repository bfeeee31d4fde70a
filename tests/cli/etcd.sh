#!/usr/bin/env bash
# CLI test (issue 12): etcd registration against Debian's real etcd-server,
# started here on free ports with its own data directory.  Three detached
# instances register /monos/services/SVC/ID (TTL 5 s); one's health check
# (tests/guest/healthflip, flipped by SIGUSR1) turns it unhealthy, which
# removes its key, and healthy again, which puts it back, as `monos ps` and
# `monos inspect` show; an etcd restarted with its data gone gets every key
# back; a graceful `monos stop` removes a key at once; SIGKILL of a QEMU
# lets its key expire within TTL + 2 s.  A hostile "etcd" (2 MB of garbage,
# silence, an endless body) costs the agent nothing else: its health check
# still runs and is seen healthy, the program serves, and it keeps retrying.
. "$(dirname "$0")/lib/common.bash"
export XDG_RUNTIME_DIR=$scratch/rt
mkdir -m 700 "$XDG_RUNTIME_DIR"
command -v etcd >/dev/null && command -v etcdctl >/dev/null || {
	echo "FAILED etcd and etcdctl are missing (scripts/deps.sh installs etcd-server, etcd-client)"
	exit 1
}
etcd_pid=
trap '"$MONOS" rm -f $("$MONOS" ps -aq) >/dev/null 2>&1; [ -n "$etcd_pid" ] && kill $etcd_pid 2>/dev/null; rm -rf "$scratch"' EXIT

cport=$(free_port)
pport=$(free_port)
start_etcd() {
	etcd --name t --data-dir "$scratch/etcd" --listen-client-urls "http://127.0.0.1:$cport" \
		--advertise-client-urls "http://127.0.0.1:$cport" \
		--listen-peer-urls "http://127.0.0.1:$pport" \
		--initial-advertise-peer-urls "http://127.0.0.1:$pport" \
		--initial-cluster "t=http://127.0.0.1:$pport" >>"$scratch/etcd.log" 2>&1 &
	etcd_pid=$!
}
ctl() { ETCDCTL_API=3 etcdctl --endpoints "127.0.0.1:$cport" --command-timeout=3s "$@"; }
svc=svc$$
prefix=/monos/services/$svc/
nkeys() { ctl get --prefix "$prefix" --keys-only | grep -c "^$prefix"; }
keys_are() { [ "$(nkeys)" = "$1" ]; }
has_key() { ctl get --keys-only "$prefix$1" | grep -qx "$prefix$1"; }
no_key() { ! has_key "$1"; }
status_of() { "$MONOS" ps | grep -E "^${1:0:12} "; }
ps_says() { status_of "$1" | grep -qF "$2"; }
inspect_health() { "$MONOS" inspect "$1" | sed -n 's/^    "health": \(.*\),$/\1/p'; }

start_etcd
check "etcd starts" until_ok 30 ctl endpoint health

etcd_url=http://10.0.2.2:$cport # the host, seen from QEMU's user network
hport=$(free_port)
run "$MONOS" run -d --name "flip$$" --etcd "$etcd_url" --service "$svc" --etcd-ttl 5 \
	-p "$hport:8080" --health http://:8080/ --health-interval 0.5 --health-retries 1 \
	-- "$GUEST/healthflip" 8080 120
flip=$out
run "$MONOS" run -d --name "web$$" --etcd "$etcd_url" --service "$svc" --etcd-ttl 5 \
	-- "$GUEST/httpd" 8080 120
web=$out
run "$MONOS" run -d --name "kill$$" --etcd "$etcd_url" --service "$svc" --etcd-ttl 5 \
	-- "$GUEST/httpd" 8080 120
victim=$out
check "etcdctl get --prefix $prefix lists three instances" until_ok 60 keys_are 3
ctl get "$prefix$flip" --print-value-only >"$scratch/value"
check "the value is JSON: id, service, ports, start time, health" python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
assert v["id"] == sys.argv[2] and v["service"] == sys.argv[3], v
assert v["ports"] == ["127.0.0.1:%s->8080/tcp" % sys.argv[4]], v
assert v["address"] == "10.0.2.15/24" and v["health"] == "healthy", v
assert v["started"].endswith("Z") and v["image"] is None, v' "$scratch/value" "$flip" "$svc" "$hport"
check "ps: Up ... (healthy)" until_ok 10 ps_says "$flip" "(healthy)"
check "inspect: \"health\": \"healthy\"" [ "$(inspect_health "$flip")" = '"healthy"' ]
check "inspect: no health check, \"health\": null" [ "$(inspect_health "$web")" = null ]
run status_of "$web"
check "ps: no health check, no health shown" eval '[[ $out =~ Up\ [0-9]+\ (second|minute)s?\ *$ ]]'

# --- unhealthy: the key goes; healthy again: it comes back -----------------
"$MONOS" kill -s USR1 "$flip" >/dev/null
check "an unhealthy instance's key is removed" until_ok 20 no_key "$flip"
check "ps: Up ... (unhealthy)" until_ok 10 ps_says "$flip" "(unhealthy)"
check "inspect: \"health\": \"unhealthy\"" [ "$(inspect_health "$flip")" = '"unhealthy"' ]
check "... the others stay" keys_are 2
"$MONOS" kill -s USR1 "$flip" >/dev/null
check "healthy again: its key is back" until_ok 20 has_key "$flip"
check "ps: (healthy) again" until_ok 10 ps_says "$flip" "(healthy)"

# --- etcd restarted without its data: every key comes back -----------------
kill $etcd_pid
wait $etcd_pid 2>/dev/null
rm -rf "$scratch/etcd"
start_etcd
check "etcd restarts, empty" until_ok 30 ctl endpoint health
check "every key is registered again" until_ok 30 keys_are 3

# --- graceful stop: the key goes at once ------------------------------------
run "$MONOS" stop -t 10 "$web"
check "monos stop" status_is 0
check "a graceful stop removed the key before power-off" no_key "$web"

# --- SIGKILL of QEMU: the lease expires -------------------------------------
qemu=$("$MONOS" inspect "$victim" | sed -n 's/^    "qemu_pid": \([0-9]*\),$/\1/p')
check "the victim's QEMU pid" [ -n "$qemu" ]
kill -9 "$qemu"
killed=$(date +%s%N)
until_ok 20 no_key "$victim"
gone_ms=$((($(date +%s%N) - killed) / 1000000))
echo "# key gone ${gone_ms} ms after SIGKILL (TTL 5 s)"
check "the killed instance's key vanished within TTL + 2 s" [ "$gone_ms" -le 7000 ]
check "... the healthy one stays" has_key "$flip"

# --- a hostile etcd ---------------------------------------------------------
bport=$(free_port)
cat >"$scratch/hostile.py" <<'PY'
import socket, sys, threading, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
def serve(c, k):
    try:
        c.recv(65536)
        if k % 3 == 0:
            c.sendall(b"\x00\xff garbage " * 200000)  # 2 MB, no HTTP
        elif k % 3 == 1:
            time.sleep(10)  # a silent etcd
        else:  # an endless body, trickled
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n")
            for _ in range(200):
                c.sendall(b"{" * 1000)
                time.sleep(0.02)
    except OSError:
        pass
    c.close()
n = 0
while True:
    c, _ = s.accept()
    n += 1
    open(sys.argv[2], "w").write(str(n))
    threading.Thread(target=serve, args=(c, n), daemon=True).start()
PY
python3 "$scratch/hostile.py" "$bport" "$scratch/hostile.count" &
hostile=$!
hport=$(free_port)
run "$MONOS" run -d --etcd "http://10.0.2.2:$bport" --service hostile -p "$hport:8080" \
	--health http://:8080/ --health-interval 0.5 -- "$GUEST/httpd" 8080 120
bad=$out
served() { curl -s -m 5 -o /dev/null "http://127.0.0.1:$hport/"; }
tries() { [ "$(cat "$scratch/hostile.count" 2>/dev/null || echo 0)" -ge "$1" ]; }
check "hostile etcd: the agent keeps trying (6 connections)" until_ok 60 tries 6
check "... its health check runs: (healthy)" until_ok 20 ps_says "$bad" "(healthy)"
check "... the program serves" until_ok 20 served
check "... the instance still runs" ps_says "$bad" "Up "
kill $hostile
finish
