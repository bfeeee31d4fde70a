# python3 from Debian, unmodified: json, re, hashlib, threading, socket and
# asyncio; the standard library travels with --file.
source tests/cli/lib/common.bash
source tests/apps/lib.bash
need /usr/bin/python3
lib=$(/usr/bin/python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')

cat >"$scratch/t.py" <<'PY'
import hashlib, json, re, threading, collections, math, time, os, tempfile

data = {"name": "monos", "n": [1, 2, 3], "nested": {"ok": True, "pi": round(math.pi, 6)}}
text = json.dumps(data, sort_keys=True)
print(text, json.loads(text) == data)
print(re.findall(r"\b(\w)(\w*)\b", "one two three"), re.sub(r"(\d+)", r"<\1>", "a1b22c333"))
print(hashlib.sha256(b"monos" * 1000).hexdigest(), hashlib.md5(b"").hexdigest())
results = collections.Counter()
lock = threading.Lock()
def work(k):
    s = sum(i * k for i in range(20000))
    with lock:
        results[k] = s
threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(sorted(results.items()))
t0 = time.monotonic(); time.sleep(0.05); print(time.monotonic() - t0 >= 0.05)
with tempfile.NamedTemporaryFile("w+", dir="/tmp") as f:
    f.write("x" * 10000); f.flush(); f.seek(0); print(len(f.read()))
print(os.cpu_count() >= 1, sorted(os.listdir("/"))[:0])

import asyncio, socket
a, b = socket.socketpair()
a.sendall(b"ping"); print(b.recv(4))
async def main():
    async def worker(n):
        await asyncio.sleep(0.01 * n)
        return n * n
    print(await asyncio.gather(*(worker(i) for i in range(5))))
    reader, writer = await asyncio.open_unix_connection(sock=a)
    writer.write(b"hello\n")
    await writer.drain()
    b.sendall(b"world\n")
    print(b.recv(6), await reader.readline())
asyncio.run(main())

# TCP over the loopback interface (no network device: lwIP starts on demand)
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
def echo():
    c, _ = srv.accept()
    c.sendall(c.recv(100).upper()); c.close()
t = threading.Thread(target=echo); t.start()
cli = socket.create_connection(srv.getsockname())
cli.sendall(b"over loopback"); print(cli.recv(100)); t.join()
PY
app_compare "json, re, hashlib, threading, socket, asyncio, TCP on loopback" --file "$lib" --file "$scratch/t.py" \
	-- /usr/bin/python3 "$scratch/t.py"
finish
