# 1,000 concurrent TCP connections to a server inside monos (issue 3): the
# epoll HTTP server (tests/guest/httpd.c) published with -p; a host client
# opens 1,000 connections and holds them all open, then sends a request on
# every one and checks every answer before closing any.  This needs lwIP's
# pools sized for it (lwipopts.h), QEMU's open-file limit raised by the CLI
# (one host socket per connection in user networking) and the guest's own
# descriptor table (1,024).
source tests/cli/lib/common.bash
conns=1000
hport=$(free_port)
timeout -k 5 150 "$MONOS" run -p "$hport:8080" -- "$GUEST/httpd" 8080 120 >"$scratch/srv.out" 2>&1 &
guest=$!
for _ in $(seq 150); do # the guest boots and listens first
	curl -s -m 2 -o /dev/null "http://127.0.0.1:$hport/" && break
	sleep 0.2
done

cat >"$scratch/many.py" <<'PY'
import asyncio, resource, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 100)), hard))
REQ = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
gate = asyncio.Semaphore(32)  # connects in flight at once
async def connect():
    async with gate:
        return await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 30)
async def ask(r, w):
    w.write(REQ)
    head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 60)
    size = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    body = await asyncio.wait_for(r.readexactly(size), 60)
    return head.startswith(b"HTTP/1.1 200") and b"Hello from monos" in body
async def main():
    cs = await asyncio.gather(*(connect() for _ in range(n)), return_exceptions=True)
    up = [c for c in cs if not isinstance(c, BaseException)]
    print("connected %d" % len(up), flush=True)
    oks = await asyncio.gather(*(ask(r, w) for r, w in up), return_exceptions=True)
    print("answered %d" % sum(1 for ok in oks if ok is True))
    for _, w in up:
        w.close()
asyncio.run(main())
PY
run timeout 120 python3 "$scratch/many.py" "$hport" $conns
check "$conns connections open at once" out_has "connected $conns"
check "every one of them answered while all were open" out_has "answered $conns"
kill $guest 2>/dev/null
wait $guest 2>/dev/null
finish
