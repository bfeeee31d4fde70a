# An idle networked instance must not wake up periodically (issue 3,
# design.md 6): a server blocked in accept() under --net user sits idle for
# 20 s, then answers one connection (proof that the stack, aged lazily while
# idle, still works) and exits.  The kernel's --verbose exit log counts the CPU's
# wake-ups and each lwIP timer's runs (kernel/net/lwip/timers.c).  With
# lwIP's own cyclic timers the figure was about 2 wake-ups a second; now
# only start-up (duplicate address detection, router solicitation) and the
# connection itself wake the CPU.
source tests/cli/lib/common.bash
idle=20
hport=$(free_port)
timeout -k 5 $((idle + 60)) "$MONOS" run --verbose -p "$hport:7000" -- "$GUEST/tcp_echo" server 7000 1 \
	>"$scratch/srv.out" 2>"$scratch/srv.err" &
guest=$!
for _ in $(seq 150); do # until the guest listens
	grep -q listening "$scratch/srv.out" && break
	sleep 0.2
done
sleep $idle

cat >"$scratch/client.py" <<'PY'
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
data = bytes(range(256)) * 40
c.sendall(data); c.shutdown(socket.SHUT_WR)
got = b""
while True:
    d = c.recv(65536)
    if not d: break
    got += d
print("match" if got == data else "differ")
PY
run timeout 60 python3 "$scratch/client.py" "$hport"
check "after ${idle}s idle, the server still answers" out_has "match"
wait $guest
rc=$?
out=$(cat "$scratch/srv.out")
err=$(grep "net:" "$scratch/srv.err")
check "the server exits 0" status_is 0
# "monos: net: at exit after MS ms: N wake-ups (R/s), ..."
line=$(grep -o 'at exit after [0-9]* ms: [0-9]* wake-ups' "$scratch/srv.err")
ms=$(echo "$line" | awk '{print $4}')
wakeups=$(echo "$line" | awk '{print $6}')
echo "    $line"
check "the exit log counts wake-ups" [ -n "$ms" -a -n "$wakeups" ]
# Start-up and the connection take about 15; lwIP's cyclic timers alone
# would add 2 a second.  The clock adds a bounded start-up cost of its own
# (kernel/core/time.c, console.c): 8 exchanges of the host's time after boot
# and the discipline's samples at 1, 2, 4, 8 and 16 s, 13 in all (measured:
# 14-16 wake-ups without them, 21-28 with them, on a loaded machine).
clock_start=13
limit=$((20 + clock_start + idle / 4))
check "at most $limit wake-ups in all, ${idle}s idle included" [ "${wakeups:-999999}" -le $limit ]
check "no DHCP or reassembly timer ran (static address, no fragments)" \
	eval 'grep -q "timer dhcp_fine ran 0 times" "$scratch/srv.err" &&
	grep -q "timer ip_reass ran 0 times" "$scratch/srv.err"'
finish
