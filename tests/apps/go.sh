# Go programs built with Debian's golang-go (static, CGO_ENABLED=0), unmodified
# inside monos.  Go makes raw system calls without libc and leans on Linux
# harder than C programs: many threads (clone, futex), the netpoller (epoll,
# pipe2/eventfd), preemption by SIGURG through tgkill on a sigaltstack, timers
# by nanosleep and clock_gettime, madvise, getrandom.
#   - a net/http server (tests/apps/go/server) published with -p: the same
#     answers as the same server run natively, concurrent host clients, a
#     1 MiB streamed body, overlapping slow requests, clients that reset in
#     the middle of a stream, and a graceful shutdown on SIGTERM that lets a
#     request in flight finish, then exits 0;
#   - a compute program (tests/apps/go/compute): goroutines, channels,
#     timers, GC, /proc/self, faults recovered as panics, threads blocked in
#     system calls, signals to itself, pipes; its stdout must be the native
#     one, byte for byte.
# The smaller reductions to C are tests/guest/goruntime.c.
source tests/cli/lib/common.bash
source tests/apps/lib.bash
need /usr/bin/go
need /usr/bin/curl

root=$PWD
build=${BUILD:-build}
[[ $build == /* ]] || build=$root/$build
godir=$build/go
client=$root/tests/apps/go/client.py
mkdir -p "$godir"

# Build both programs offline: the module uses the standard library only, and
# the cache stays in $BUILD so nothing is written to $HOME.
for prog in server compute; do
	(cd tests/apps/go && CGO_ENABLED=0 GOPROXY=off GOFLAGS= GOCACHE=$godir/cache \
		GOPATH=$godir/path timeout 300 go build -trimpath -o "$godir/$prog" "./$prog") \
		>"$scratch/build.log" 2>&1
	rc=$?
	check "go build $prog (static, CGO_ENABLED=0)" eval \
		'[ $rc -eq 0 ] && ! readelf -l "$godir/$prog" | grep -q INTERP'
	[ $rc -eq 0 ] || { sed 's/^/    | /' "$scratch/build.log"; finish; }
done

# wait_http PORT: until the server answers (the guest boots first).
wait_http() {
	for _ in $(seq 300); do
		curl -s -m 2 -o /dev/null "http://127.0.0.1:$1/hello?name=ready" && return 0
		sleep 0.2
	done
	return 1
}

# exercise TAG PORT PID: the whole session against the server PID listens on
# PORT: the request series, load, overlapping slow requests, then SIGTERM
# while a slow request is in flight.  Results in $scratch/TAG.*.
exercise() {
	local tag=$1 port=$2 pid=$3 slow
	wait_http "$port" || echo "$tag: the server never answered" >"$scratch/$tag.series"
	timeout 120 python3 "$client" series "$port" >>"$scratch/$tag.series" 2>&1
	timeout 200 python3 "$client" load "$port" 16 >"$scratch/$tag.load" 2>&1
	timeout 60 python3 "$client" parallel "$port" 8 1000 >"$scratch/$tag.parallel" 2>&1
	timeout 60 python3 "$client" abort "$port" 10 >"$scratch/$tag.abort" 2>&1
	timeout 60 python3 "$client" slow "$port" 3000 >"$scratch/$tag.slow" 2>&1 &
	slow=$!
	# SIGTERM once the request is in its handler (the server logs it).
	for _ in $(seq 300); do
		grep -q "slow request of 3000 ms started" "$scratch/$tag.err" && break
		sleep 0.1
	done
	kill -TERM "$pid"
	wait "$slow"
	wait "$pid"
	echo $? >"$scratch/$tag.rc"
}

nport=$(free_port)
mport=$(free_port)
timeout -k 5 120 env -i "$godir/server" "127.0.0.1:$nport" >"$scratch/native.out" \
	2>"$scratch/native.err" &
exercise native "$nport" $!
timeout -k 5 300 "$MONOS" run --verbose -p "$mport:8080" -- "$godir/server" :8080 \
	>"$scratch/monos.out" 2>"$scratch/monos.err" &
exercise monos "$mport" $!

check "server: the same answers as the native server ($(wc -l <"$scratch/native.series") requests)" \
	cmp -s "$scratch/native.series" "$scratch/monos.series"
cmp -s "$scratch/native.series" "$scratch/monos.series" ||
	diff "$scratch/native.series" "$scratch/monos.series" | head -n 12 | sed 's/^/    | /'
check "server: the native series streamed 1 MiB with its trailer" \
	grep -qx "stream: HTTP/1.1 200 OK True 1048576 True True" "$scratch/native.series"
run cat "$scratch/monos.load"
check "server: 16 concurrent clients x 12 requests, every answer right" out_has "load ok 192"
run cat "$scratch/monos.parallel"
check "server: 8 slow requests of 1 s overlap (goroutines and timers)" out_has "parallel ok"
run cat "$scratch/monos.abort"
check "server: clients that reset mid-stream do not hurt it (EPIPE, ECONNRESET)" \
	out_has "abort: 10 streams reset, then after"
run cat "$scratch/monos.slow"
check "server: SIGTERM lets the request in flight finish" out_has "slept 3000 ms"
run cat "$scratch/monos.rc"
check "server: graceful shutdown exits 0" out_has 0
check "server: it counted the requests the native one did ($(cat "$scratch/native.out"))" \
	eval 'grep -qE "^served [0-9]+ requests, bye$" "$scratch/native.out" &&
		cmp -s "$scratch/native.out" "$scratch/monos.out"'
check "server: it logged the signal" grep -q "got terminated: shutting down" "$scratch/monos.err"
check "server: no unsupported system call on the way (kernel log)" eval \
	'grep -q "starting the program" "$scratch/monos.err" && ! grep -q "got ENOSYS" "$scratch/monos.err"'
[ "$fails" -eq 0 ] || tail -n 20 "$scratch/monos.err" | sed 's/^/    monos stderr: /'

app_compare "compute: goroutines, channels, timers, GC, /proc/self, sha256" -- \
	"$godir/compute" one 'two words'
app_compare "compute: an unrecovered panic exits 2, as natively" -- "$godir/compute" panic
check "compute: the panic and its goroutine trace reach stderr" eval \
	'grep -q "^panic: assignment to entry in nil map" "$scratch/monos.err" &&
		grep -q "^goroutine 1 \[running\]:" "$scratch/monos.err"'
# GOMAXPROCS=8 from the environment: from the start, eight Ps on threads
# of their own share monos' one CPU (preemption across threads).
env -i GOMAXPROCS=8 "$godir/compute" >"$scratch/native8.out" 2>&1
run timeout -k 5 300 "$MONOS" run -e GOMAXPROCS=8 -- "$godir/compute"
check "compute: GOMAXPROCS=8 from the environment, the native stdout" eval \
	'[ $rc -eq 0 ] && cmp -s "$scratch/native8.out" "$scratch/out"'
cmp -s "$scratch/native8.out" "$scratch/out" ||
	diff "$scratch/native8.out" "$scratch/out" | head -n 12 | sed 's/^/    | /'
# --trace-syscalls names the calls Go makes as strace would: the returns
# from its preemption signals are rt_sigreturn, not the number the signal
# frame restores.
run timeout -k 5 300 "$MONOS" run --trace-syscalls -- "$godir/compute"
check "trace: tgkill and rt_sigreturn named, no unnamed call" eval \
	'[ $rc -eq 0 ] && grep -q "^tgkill(" "$scratch/err" && grep -q "^rt_sigreturn() = " "$scratch/err" &&
		! grep -q "^syscall_" "$scratch/err"'
finish
