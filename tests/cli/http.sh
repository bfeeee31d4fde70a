# The epoll HTTP server (tests/guest/httpd.c) inside monos, published with
# -p, answering many clients on the host at once: every response complete
# and right, over kept-alive and fresh connections.
source tests/cli/lib/common.bash
hport=$(free_port)
timeout -k 5 120 "$MONOS" run -p "$hport:8080" -- "$GUEST/httpd" 8080 60 >"$scratch/srv.out" 2>&1 &
guest=$!
cat >"$scratch/load.py" <<'PY'
import http.client, sys, threading, time
port, threads, per = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for _ in range(150):  # the guest boots and listens first
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5); c.request("GET", "/")
        if c.getresponse().status == 200: break
    except OSError: pass
    time.sleep(0.2)
ok, bad = [0], [0]
lock = threading.Lock()
def client(n):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for i in range(per):
        try:
            if i % 10 == 9:  # now and then a fresh connection
                c.close(); c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request("GET", "/page%d" % i)
            r = c.getresponse(); body = r.read()
            good = r.status == 200 and body.startswith(b"<html>") and b"Hello from monos" in body
        except OSError:
            good = False
        with lock:
            (ok if good else bad)[0] += 1
ts = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
for t in ts: t.start()
for t in ts: t.join()
print("ok %d bad %d" % (ok[0], bad[0]))
PY
run timeout 300 python3 "$scratch/load.py" "$hport" 16 50
check "16 clients x 50 requests, all answered right" out_has "ok 800 bad 0"
kill $guest 2>/dev/null
wait $guest 2>/dev/null
finish
