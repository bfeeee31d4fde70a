"""Host-side client for the Go net/http server of tests/apps/go.sh.

  client.py series PORT        a fixed series of requests; prints one line per
                               answer, the same for any correct server
  client.py load PORT N        N clients at once, each making a mix of
                               requests on a kept-alive connection; checks
                               every answer; prints "load ok REQUESTS"
  client.py parallel PORT N MS N concurrent /slow?ms=MS requests; prints
                               "parallel ok" if they overlapped in time
  client.py slow PORT MS       one /slow request; prints its answer
  client.py abort PORT N       N /stream requests reset (RST) after the first
                               bytes; then /hello must still answer
"""
import hashlib, http.client, json, socket, struct, sys, threading, time

STREAM_SIZE, CHUNK = 1 << 20, 64 << 10


def stream_body():
    """The bytes the server's /stream sends: chunk i byte j is i*7 + j*13."""
    out = bytearray()
    for i in range(STREAM_SIZE // CHUNK):
        out += bytes((i * 7 + j * 13) & 0xFF for j in range(CHUNK))
    return bytes(out)


def raw_get(port, path):
    """GET over a fresh connection, read to the end: head, body, trailers."""
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nTE: trailers\r\nConnection: close\r\n\r\n".encode())
    data = bytearray()
    while chunk := s.recv(65536):
        data += chunk
    s.close()
    head, _, rest = bytes(data).partition(b"\r\n\r\n")
    body = bytearray()
    while True:  # chunked transfer coding (RFC 9112 section 7.1)
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        body += rest[:size]
        rest = rest[size + 2:]
    trailers = [t for t in rest.split(b"\r\n") if t]
    return head.decode(), bytes(body), [t.decode() for t in trailers]


def series(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for method, path in [("GET", "/hello?name=monos%20go"), ("POST", "/hello"),
                         ("GET", "/slow?ms=50"), ("GET", "/slow?ms=x"), ("GET", "/missing")]:
        c.request(method, path, body=b"" if method == "POST" else None)
        r = c.getresponse()
        body = r.read().decode().strip()
        print(method, path, r.status, r.getheader("Content-Type"), body)
    head, body, trailers = raw_get(port, "/stream")
    print("stream:", head.splitlines()[0], "chunked" in head, len(body),
          body == stream_body(), trailers == ["X-Sha256: " + hashlib.sha256(body).hexdigest()])


def load(port, clients):
    want = stream_body()
    ok, errors, lock = [0], [], threading.Lock()

    def client(k):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            for i in range(12):
                path = ["/hello?name=%d-%d" % (k, i), "/slow?ms=20", "/stream"][i % 3]
                c.request("GET", path)
                r = c.getresponse()
                body = r.read()
                good = r.status == 200 and {
                    "/h": lambda: json.loads(body)["name"] == "%d-%d" % (k, i),
                    "/s": lambda: body == (want if path == "/stream" else b"slept 20 ms\n"),
                }[path[:2]]()
                with lock:
                    ok[0] += good
                    if not good:
                        errors.append((path, r.status, body[:80]))
        except Exception as e:  # a dropped connection is an error too
            with lock:
                errors.append(repr(e))

    ts = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in ts: t.start()
    for t in ts: t.join()
    print("load ok %d" % ok[0] if not errors else "load errors %r" % errors[:3])


def parallel(port, n, ms):
    t0 = time.monotonic()
    answers = []
    def one():
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        c.request("GET", "/slow?ms=%d" % ms)
        answers.append(c.getresponse().read())
    ts = [threading.Thread(target=one) for _ in range(n)]
    for t in ts: t.start()
    for t in ts: t.join()
    took = time.monotonic() - t0
    good = answers == [b"slept %d ms\n" % ms] * n
    # Served one after another they would take n * ms; overlapped, about ms.
    print("parallel ok" if good and took < 0.75 * n * ms / 1000 else
          "parallel failed: %d answers, %.2f s" % (len(answers), took))


def abort(port, n):
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=60)
        s.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
        s.recv(1000)  # the handler is streaming now
        # SO_LINGER 0: close sends RST, the server's next writes fail
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("GET", "/hello?name=after")
    print("abort: %d streams reset, then %s" % (n, json.loads(c.getresponse().read())["name"]))


def slow(port, ms):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("GET", "/slow?ms=%d" % ms)
    print(c.getresponse().read().decode().strip())


if __name__ == "__main__":
    cmd, port = sys.argv[1], int(sys.argv[2])
    {"series": lambda: series(port), "load": lambda: load(port, int(sys.argv[3])),
     "parallel": lambda: parallel(port, int(sys.argv[3]), int(sys.argv[4])),
     "slow": lambda: slow(port, int(sys.argv[3])),
     "abort": lambda: abort(port, int(sys.argv[3]))}[cmd]()
