# Abandoned connections (issue 8): a server in monos keeps answering new
# clients while connections it has not taken pile up, as on Linux.  The
# epoll HTTP server (tests/guest/httpd.c) is published with -p and waits
# BUSY seconds before its first accept(); meanwhile a host client opens
# QUEUED connections and leaves them idle, then sends one request on a
# fresh connection.  Linux queues them all (listen(fd, 511)) and answers as
# soon as the server accepts; monos once counted half-open and unaccepted
# connections against lwIP's 8-bit backlog, dropped the SYNs past 255, and
# the request waited for QEMU's SYN retransmissions or was closed without an
# answer.  Then a burst of connections that end in RST (SO_LINGER 0) must
# leave the server answering at once.
source tests/cli/lib/common.bash
busy=6     # seconds the server waits before accepting
queued=400 # idle connections opened meanwhile: past lwIP's 255
late=3     # seconds after the busy spell the answer may take (TCG, load)
rsts=500
hport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
timeout -k 5 150 "$MONOS" run -p "$hport:8080" -- "$GUEST/httpd" 8080 120 "$busy" >"$scratch/srv.out" 2>&1 &
guest=$!
for _ in $(seq 300); do # the guest boots and listens first
	grep -q "listening" "$scratch/srv.out" && break
	sleep 0.1
done

run timeout 60 python3 tests/cli/lib/abandon.py "$hport" idle $queued
check "a request behind $queued queued connections is answered" out_has "answered"
tenths=$(sed -n 2p "$scratch/out")
check "it is answered within ${late}s of the busy spell (took ${tenths:-?} tenths)" \
	test "${tenths:-999}" -le $(((busy + late) * 10))
run timeout 60 python3 tests/cli/lib/abandon.py "$hport" rst $rsts
check "a request after $rsts reset connections is answered" out_has "answered"
tenths=$(sed -n 3p "$scratch/out")
check "at once (took ${tenths:-?} tenths)" test "${tenths:-999}" -le $((late * 10))
kill $guest 2>/dev/null
wait $guest 2>/dev/null
finish
