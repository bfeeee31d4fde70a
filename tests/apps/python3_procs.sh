# python3 from Debian, unmodified, making processes: subprocess.run of
# /bin/echo, check_output of a pipeline through /bin/sh, a child's exit
# status and signal, Popen.communicate with 100 KB through pipes, a missing
# program's FileNotFoundError; start_new_session, pass_fds and close_fds,
# a timeout's kill, preexec_fn, os.posix_spawn, a child stopped (WUNTRACED)
# and terminated; multiprocessing with the fork start method:
# a Pool(4) mapping a function, a Process returning through a Queue, four
# counting into a shared Value under a Lock (/dev/shm semaphore, MAP_SHARED),
# a Pipe.  (spawn and forkserver work too, but take 25 s under TCG.)
source tests/cli/lib/common.bash
source tests/apps/lib.bash
need /usr/bin/python3
lib=$(/usr/bin/python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')

cat >"$scratch/procs.py" <<'PY'
import multiprocessing, os, signal, subprocess, sys

r = subprocess.run(["/bin/echo", "hello", "from", "echo"], capture_output=True, text=True)
print(repr(r.stdout), r.returncode)
print("exit status", subprocess.run(["/bin/sh", "-c", "exit 3"]).returncode)
print("signal", subprocess.run(["/bin/sh", "-c", "kill -TERM $$"]).returncode)
out = subprocess.check_output("printf 'b\\na\\nc\\n' | sort | tr a-z A-Z", shell=True, text=True)
print("pipeline", repr(out))
p = subprocess.Popen(["/bin/cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
o, _ = p.communicate(b"x" * 100000)
print("communicate", len(o), p.returncode)
try:
    subprocess.check_call(["/bin/false"])
except subprocess.CalledProcessError as e:
    print("CalledProcessError", e.returncode)
try:
    subprocess.run(["/nonexistent/program"])
except FileNotFoundError as e:
    print("FileNotFoundError", e.errno)

r = subprocess.run([sys.executable, "-c", "import os; print(os.getsid(0) == os.getpid())"],
                   start_new_session=True, capture_output=True, text=True)
print("a new session:", r.stdout.strip())
print("fd 5 closed in the child:", subprocess.run(["/bin/sh", "-c", "cat <&5"],
                                                  capture_output=True).returncode != 0)
rfd, wfd = os.pipe()
os.write(wfd, b"through a passed fd\n")
os.close(wfd)
print(repr(subprocess.run(["/bin/sh", "-c", f"cat <&{rfd}"], pass_fds=(rfd,),
                          capture_output=True, text=True).stdout))
try:
    subprocess.run(["/bin/sleep", "10"], timeout=0.3)
except subprocess.TimeoutExpired:
    print("TimeoutExpired")
r = subprocess.run(["/bin/sh", "-c", "echo $0"], preexec_fn=lambda: os.setpgid(0, 0),
                   capture_output=True, text=True)
print("preexec_fn", repr(r.stdout))
pid = os.posix_spawn("/bin/sh", ["sh", "-c", "exit 6"], {})
print("posix_spawn", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
p = subprocess.Popen(["/bin/sleep", "10"])
p.send_signal(signal.SIGSTOP)
print("stopped", os.WIFSTOPPED(os.waitpid(p.pid, os.WUNTRACED)[1]))
p.send_signal(signal.SIGCONT)
p.terminate()
print("terminated", p.wait())

def square(x):
    return x * x, os.getpid() != parent

def total(q):
    q.put(sum(range(1000)))

def count(v, lock):
    for _ in range(100):
        with lock:
            v.value += 1

def answer(conn):
    conn.send(os.getpid() != os.getppid())

if __name__ == "__main__":
    parent = os.getpid()
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(4) as pool:
        res = pool.map(square, range(20))
    print("pool", [a for a, _ in res], "in children:", all(b for _, b in res))
    q = ctx.Queue()
    pr = ctx.Process(target=total, args=(q,))
    pr.start()
    print("queue", q.get())
    pr.join()
    print("exitcode", pr.exitcode)
    lock, v = ctx.Lock(), ctx.Value("i", 0)
    ps = [ctx.Process(target=count, args=(v, lock)) for _ in range(4)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    print("a shared Value under a Lock:", v.value)
    a, b = ctx.Pipe()
    pr = ctx.Process(target=answer, args=(b,))
    pr.start()
    print("Pipe:", a.recv())
    pr.join()
PY
app_compare "subprocess and multiprocessing (fork, Pool(4))" --file "$lib" --file /bin/echo \
	--file /bin/sh --file /bin/dash --file /usr/bin/sort --file /usr/bin/tr --file /bin/cat \
	--file /bin/false --file /bin/sleep --file "$scratch/procs.py" -- /usr/bin/python3 "$scratch/procs.py"
finish
