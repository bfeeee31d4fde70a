# TCP through virtio-net, lwIP and the socket layer, against real peers on
# the host: a guest client to a host echo server (QEMU user networking
# forwards 10.0.2.2 to the host's 127.0.0.1), a host client to a guest
# server published with -p, and a refused connection.  Data is checked
# byte by byte and by hash on both sides.
source tests/cli/lib/common.bash
prog=$GUEST/tcp_echo

# A host echo server on a free port, serving 4 clients.
python3 tests/cli/lib/echo_server.py 4 >"$scratch/port" &
srv=$!
for _ in $(seq 50); do [ -s "$scratch/port" ] && break; sleep 0.1; done
port=$(cat "$scratch/port")

run timeout -k 5 120 "$MONOS" run --net user -- "$prog" client 10.0.2.2 "$port" 1048576
check "guest client, host server: 1 MiB echoed" out_has "echoed 1048576 bytes, fnv $(pattern_fnv 1048576)"
check "guest client: status 0" status_is 0
run timeout -k 5 120 "$MONOS" run --net user -- "$prog" client 10.0.2.2 "$port" 100
check "a second connection" out_has "echoed 100 bytes, fnv $(pattern_fnv 100)"
big=104857600
run timeout 60 "$prog" client 127.0.0.1 "$port" $big
native=$out
check "native client: 100 MB echoed" eval '[[ $native == "echoed $big bytes, fnv "* ]]'
run timeout -k 5 120 "$MONOS" run --net user -- "$prog" client 10.0.2.2 "$port" $big
check "guest client, host server: 100 MB echoed, same hash as natively" \
	eval '[[ $native == "echoed $big bytes, fnv "* ]] && [ "$out" = "$native" ]'
wait $srv

# A host peer that answers the first bytes with a reset (SO_LINGER 0): the
# guest's read, write and SIGPIPE must be what the same client sees natively.
cat >"$scratch/reset.py" <<'PY'
import socket, struct, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(8); print(s.getsockname()[1], flush=True)
s.settimeout(120)
for _ in range(int(sys.argv[1])):
    c, _ = s.accept()
    c.recv(5)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
PY
python3 "$scratch/reset.py" 2 >"$scratch/rport" &
srv=$!
for _ in $(seq 50); do [ -s "$scratch/rport" ] && break; sleep 0.1; done
rport=$(cat "$scratch/rport")
run timeout 30 "$prog" reset 127.0.0.1 "$rport"
native=$out
check "native: the reset reads as ECONNRESET" out_has "read: ECONNRESET"
run timeout -k 5 60 "$MONOS" run --net user -- "$prog" reset 10.0.2.2 "$rport"
check "guest: reset peer: ECONNRESET, EOF, EPIPE and SIGPIPE as natively" \
	[ -n "$native" -a "$out" = "$native" ]
wait $srv

run timeout -k 5 60 "$MONOS" run --net user -- "$prog" refused 10.0.2.2 1
check "non-blocking connect to a closed port: ECONNREFUSED via SO_ERROR" out_has "SO_ERROR ECONNREFUSED"

# A guest server published on a free host port; the host is the client.
hport=$(free_port)
timeout -k 5 120 "$MONOS" run -p "$hport:7000" -- "$prog" server 7000 2 >"$scratch/srv.out" 2>"$scratch/srv.err" &
guest=$!
run timeout 120 python3 tests/cli/lib/echo_client.py 127.0.0.1 "$hport" 1048576
check "host client, guest server (-p): 1 MiB echoed" out_has "match"
run timeout 60 python3 tests/cli/lib/echo_client.py 127.0.0.1 "$hport" 1000
check "host client: a second connection" out_has "match"
wait $guest
rc=$?
out=$(cat "$scratch/srv.out")
check "guest server: exits 0 after two connections" status_is 0
finish
