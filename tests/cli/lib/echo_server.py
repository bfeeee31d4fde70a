# A host TCP echo server for the network tests: listens on ADDR (default
# 127.0.0.1) at a free port, prints the port on stdout, then echoes each of
# N connections (default 1) until its peer shuts down, one at a time.  Gives
# up after 120 s without a connection (tests never hang).
#   python3 tests/cli/lib/echo_server.py N [ADDR]
import socket
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1
addr = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, 0))
s.listen(8)
print(s.getsockname()[1], flush=True)
s.settimeout(120)
for _ in range(n):
    c, _ = s.accept()
    while True:
        d = c.recv(65536)
        if not d:
            break
        c.sendall(d)
    c.close()
