#!/usr/bin/env bash
# CLI test: lwIP in the kernel (kernel/net/lwip), end to end on QEMU's user
# networking, through the kernel's boot self-tests (monos.nettest=dhcp|tcp,
# passed with the developer knob MONOS_KERNEL_ARGS):
# - DHCP: lwIP's client gets slirp's lease; on a second user network
#   (10.9.0.0/24) the lease and gateway must change with it, so the logged
#   addresses cannot be the static defaults.
# - monos.ip=dhcp: the boot waits for the lease, then the program runs.
# - TCP: a host server on a free 127.0.0.1 port (slirp forwards 10.0.2.2 to
#   it) must receive "hello from monos" over a connection lwIP opened with
#   the raw API, and the kernel must log the server's reply, a random token
#   made per run; a closed port must be reported as a failed connection, not
#   a hang and not a reply: ECONNREFUSED.
# - TCP over IPv6 (monos.nettest=tcp6): SLAAC, then the same exchange with
#   the host's ::1 through slirp's fec0::2.
# - Loopback (monos.nettest=loop): an echo server on 127.0.0.1 inside lwIP
#   and a client of it, so looped-back packets must be delivered.
# - Malformed options are refused with a log line; the program still runs.
# Every guest run and the host server run under timeouts (design.md 13).
. "$(dirname "$0")/lib/common.bash"

BUILD=${BUILD:-build}
HELLO=$BUILD/examples/hello
RUN_TIMEOUT=120	   # seconds per guest run
SERVER_TIMEOUT=150 # seconds the host server lives at most

# monos ARGS...: one guest run under the watchdog.
monos() {
	run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run "$@"
}

# Show the kernel log (stderr of a --verbose run) when a group of checks failed.
dump_on_failure() {
	[ "$fails" -eq "$1" ] || sed 's/^/    | /' "$scratch/err" | cat -v | head -n 30
}

# start_server TOKEN [ADDR]: a one-connection TCP server on a free port of
# ADDR (default 127.0.0.1; ::1 for IPv6); it writes the port to
# $scratch/port, the first line it receives to $scratch/got, and answers
# "reply TOKEN".  Sets $server (its pid) and $port.
start_server() {
	rm -f "$scratch/port" "$scratch/got"
	timeout -k 5 "$SERVER_TIMEOUT" python3 -c '
import socket, sys
host = sys.argv[5]
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
s.bind((host, 0))
s.listen(1)
s.settimeout(float(sys.argv[3]))
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
__import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
c, _ = s.accept()
c.settimeout(30)
line = b""
while not line.endswith(b"\n"):
    d = c.recv(1)
    if not d:
        break
    line += d
open(sys.argv[2], "wb").write(line)
c.sendall(b"reply " + sys.argv[4].encode() + b"\n")
c.close()
' "$scratch/port" "$scratch/got" "$SERVER_TIMEOUT" "$1" "${2:-127.0.0.1}" &
	server=$!
	for _ in $(seq 100); do
		[ -s "$scratch/port" ] && break
		sleep 0.1
	done
	port=$(cat "$scratch/port" 2>/dev/null)
}

[ -x "$HELLO" ] || { echo "FAILED not built: $HELLO (make all)"; exit 1; }

# 1. DHCP self-test on the default user network.
before=$fails
MONOS_KERNEL_ARGS=monos.nettest=dhcp monos --net user --verbose "$HELLO"
check "dhcp: the lease is logged" \
	err_matches '^monos: nettest: dhcp lease 10\.0\.2\.15 gateway 10\.0\.2\.2$'
check "dhcp: hello still runs" out_has "Hello from monos!"
check "dhcp: exit status 0" status_is 0
dump_on_failure "$before"

# 2. DHCP on another user network: the lease follows the network.
before=$fails
MONOS_KERNEL_ARGS=monos.nettest=dhcp \
	MONOS_QEMU_ARGS="-netdev user,id=n1,net=10.9.0.0/24 -device virtio-net-device,netdev=n1" \
	monos --verbose "$HELLO"
check "dhcp elsewhere: lease and gateway of that network" \
	err_matches '^monos: nettest: dhcp lease 10\.9\.0\.15 gateway 10\.9\.0\.2$'
check "dhcp elsewhere: hello still runs" out_has "Hello from monos!"
dump_on_failure "$before"

# 3. monos.ip=dhcp: the boot waits for the lease before the program.
before=$fails
MONOS_KERNEL_ARGS=monos.ip=dhcp monos --net user --verbose "$HELLO"
check "ip=dhcp: the lease is logged" \
	err_matches '^monos: net: dhcp lease 10\.0\.2\.15 gateway 10\.0\.2\.2$'
check "ip=dhcp: before the program starts" \
	eval '[ "$(grep -nE "dhcp lease|starting the program" "$scratch/err" | head -n1 | grep -c lease)" -eq 1 ]'
check "ip=dhcp: hello runs" out_has "Hello from monos!"
dump_on_failure "$before"

# 4. TCP to a host server through slirp.
before=$fails
token=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
start_server "$token"
check "tcp: the host server is listening" eval '[ -n "$port" ]'
MONOS_KERNEL_ARGS="monos.nettest=tcp monos.nettest.port=$port" monos --net user --verbose "$HELLO"
wait "$server"
check "tcp: the server got the guest's line" \
	eval '[ "$(cat "$scratch/got" 2>/dev/null)" = "hello from monos" ]'
check "tcp: the kernel logged the server's reply" \
	err_matches "^monos: nettest: tcp reply: reply $token\$"
check "tcp: hello still runs" out_has "Hello from monos!"
check "tcp: exit status 0" status_is 0
dump_on_failure "$before"

# 5. TCP to a closed port: a failure is reported, the boot goes on.
before=$fails
closed=$(free_port)
MONOS_KERNEL_ARGS="monos.nettest=tcp monos.nettest.port=$closed" monos --net user --verbose "$HELLO"
check "tcp closed port: the failure is logged" \
	err_matches "^monos: nettest: tcp to 10\.0\.2\.2 port $closed failed: ECONNREFUSED\$"
check "tcp closed port: no reply invented" eval '! err_matches "tcp reply"'
check "tcp closed port: hello still runs" out_has "Hello from monos!"
dump_on_failure "$before"

# 5b. TCP over IPv6: SLAAC from slirp's router advertisement (fec0::/64),
# then fec0::2, which slirp forwards to the host's ::1.
before=$fails
token=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
start_server "$token" ::1
check "tcp6: the host server is listening" eval '[ -n "$port" ]'
MONOS_KERNEL_ARGS="monos.nettest=tcp6 monos.nettest.port=$port" monos --net user --verbose "$HELLO"
wait "$server"
check "tcp6: SLAAC address from the MAC 52:54:00:12:34:56" \
	err_matches '^monos: nettest: ipv6 address fec0::5054:ff:fe12:3456$'
check "tcp6: the server got the guest's line" \
	eval '[ "$(cat "$scratch/got" 2>/dev/null)" = "hello from monos" ]'
check "tcp6: the kernel logged the server's reply" \
	err_matches "^monos: nettest: tcp6 reply: reply $token\$"
check "tcp6: hello still runs" out_has "Hello from monos!"
dump_on_failure "$before"

# 5c. Loopback inside lwIP (127.0.0.1), with and without a device.
before=$fails
MONOS_KERNEL_ARGS=monos.nettest=loop monos --net user --verbose "$HELLO"
check "loop: echoed through 127.0.0.1" err_matches '^monos: nettest: loop reply: hello from monos$'
MONOS_KERNEL_ARGS=monos.nettest=loop monos --verbose "$HELLO"
check "loop without a device: echoed" err_matches '^monos: nettest: loop reply: hello from monos$'
check "loop without a device: hello runs" out_has "Hello from monos!"
dump_on_failure "$before"

# 6. Options the kernel refuses, and a self-test without a device.
before=$fails
MONOS_KERNEL_ARGS="monos.ip=10.0.2.300/24" monos --net user --verbose "$HELLO"
check "bad monos.ip: refused with a log line" err_matches 'monos: net: monos\.ip=10\.0\.2\.300/24: expected'
check "bad monos.ip: hello still runs" out_has "Hello from monos!"
MONOS_KERNEL_ARGS="monos.nettest=tcp" monos --net user --verbose "$HELLO"
check "tcp without a port: said so" err_matches 'nettest: tcp needs monos\.nettest\.port'
MONOS_KERNEL_ARGS="monos.nettest=dhcp" monos --verbose "$HELLO"
check "no device: said so" err_matches '^monos: nettest: no network device$'
check "no device: hello still runs" out_has "Hello from monos!"
dump_on_failure "$before"
finish
