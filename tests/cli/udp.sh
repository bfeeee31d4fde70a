# UDP through virtio-net, lwIP and the socket layer, against real peers on
# the host: a guest client to a host echo server (10.0.2.2 is the host's
# 127.0.0.1 under QEMU's user networking), its output compared with the same
# client run natively against the same server; and a guest echo server
# published with -p HOST:GUEST/udp answering a host client.  Every datagram
# is checked byte by byte.
source tests/cli/lib/common.bash
prog=$GUEST/udp_echo
trips=200

# A host UDP echo server on a free port: prints the port, runs until killed.
cat >"$scratch/echo.py" <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1], flush=True)
while True:
    d, a = s.recvfrom(65536)
    s.sendto(d, a)
PY
python3 "$scratch/echo.py" >"$scratch/port" &
srv=$!
for _ in $(seq 50); do [ -s "$scratch/port" ] && break; sleep 0.1; done
port=$(cat "$scratch/port")

run timeout 30 "$prog" client 127.0.0.1 "$port" $trips
native=$out
check "native client, host server: $trips round trips" out_has "$trips round trips"
run timeout -k 5 120 "$MONOS" run --net user -- "$prog" client 10.0.2.2 "$port" $trips
check "guest client, host server: as natively" [ -n "$native" -a "$out" = "$native" ]
check "guest client: status 0" status_is 0
kill $srv

# A guest server published on a free host UDP port; the host is the client.
hport=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
timeout -k 5 120 "$MONOS" run -p "$hport:7001/udp" -- "$prog" server 7001 >"$scratch/srv.out" \
	2>"$scratch/srv.err" &
guest=$!
cat >"$scratch/client.py" <<'PY'
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.connect(("127.0.0.1", port))
def trip(data, tries):
    for _ in range(tries):
        c.send(data); c.settimeout(1.0)
        try:
            while True:
                if c.recv(65536) == data: return True
        except (socket.timeout, ConnectionRefusedError):
            pass
    return False
if not trip(b"ping", 100):  # the guest boots and binds first
    print("no answer"); sys.exit(1)
good = sum(trip(bytes((i + k) % 256 for k in range(i * 37 % 1400 + 1)), 5) for i in range(n))
for _ in range(3):
    c.send(b"quit")
print("%d of %d echoed" % (good, n))
PY
run timeout 120 python3 "$scratch/client.py" "$hport" $trips
check "host client, guest server (-p $hport:7001/udp): $trips round trips" out_has "$trips of $trips echoed"
wait $guest
rc=$?
out=$(cat "$scratch/srv.out")
check "guest server: exits 0 on quit" status_is 0
check "guest server: echoed the boot probes and every datagram" \
	eval '[[ $out =~ echoed\ ([0-9]+)\ datagrams ]] && [ "${BASH_REMATCH[1]}" -ge $((trips + 1)) ]'
finish
