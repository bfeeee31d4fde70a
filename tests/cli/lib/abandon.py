#!/usr/bin/env python3
# abandon.py PORT MODE N: open N TCP connections to 127.0.0.1:PORT and
# abandon them (MODE idle: keep them open without a word; MODE rst: end
# each at once with an RST, SO_LINGER 0), then send one HTTP request on a
# fresh connection.  Prints "answered" or "no answer", then the tenths of
# a second since the first connection, then those since the request.
# Used by tests/cli/abandoned.sh and tests/apps/nginx_abandoned.sh (issue 8).
import resource, socket, struct, sys, time

port, mode, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 100)), hard))
start, held = time.time(), []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    if mode == "rst":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    else:
        held.append(s)
t = time.time()
try:
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    ok = s.recv(4096).startswith(b"HTTP/1.1 200")
except OSError:
    ok = False
now = time.time()
print("answered" if ok else "no answer")
print("%.0f" % (10 * (now - start)))
print("%.0f" % (10 * (now - t)))
