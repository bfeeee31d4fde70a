# A host TCP client of a guest echo server: sends SIZE bytes of a pattern to
# ADDR:PORT while reading the echo (an echo peer needs both at once, or
# both windows fill), then prints "match" or "differ N".  The guest boots
# and listens first, and QEMU's user networking accepts on a forwarded port
# before the guest does, so a connection counts only once one byte has come
# back; until then it retries (about 40 s).
#   python3 tests/cli/lib/echo_client.py ADDR PORT SIZE
import socket
import sys
import threading
import time

addr, port, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = bytes((i * 13) % 256 for i in range(size))
for attempt in range(200):
    try:
        c = socket.create_connection((addr, port), timeout=30)
        c.sendall(b"x")
        if c.recv(1) == b"x":
            break
        c.close()
    except OSError:
        pass
    time.sleep(0.2)
else:
    sys.exit("no echo from %s:%d" % (addr, port))
c.settimeout(60)
got = bytearray()


def send():
    c.sendall(data)
    c.shutdown(socket.SHUT_WR)


sender = threading.Thread(target=send)
sender.start()
while True:
    d = c.recv(65536)
    if not d:
        break
    got += d
sender.join()
print("match" if bytes(got) == data else "differ %d" % len(got))
