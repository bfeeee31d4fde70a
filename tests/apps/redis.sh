# redis-server from Debian, unmodified, inside monos, published with -p:
# the host's redis-cli and redis-benchmark talk to it; the answers must be
# those of a redis on the host (the same commands against a native
# redis-server, started here on another port); SIGTERM to `monos run` reaches
# redis, which shuts down cleanly and exits 0, as it does natively.
source tests/cli/lib/common.bash
source tests/apps/lib.bash
need /usr/bin/redis-server
need /usr/bin/redis-cli
need /usr/bin/redis-benchmark

# session PORT: a fixed series of commands; what redis answers, one per line.
session() {
	local p=$1
	{
		redis-cli -p "$p" set greeting "hello monos"
		redis-cli -p "$p" get greeting
		redis-cli -p "$p" incrby counter 41
		redis-cli -p "$p" incr counter
		redis-cli -p "$p" rpush list a b c d
		redis-cli -p "$p" lrange list 1 -1
		redis-cli -p "$p" hset h f1 v1 f2 v2
		redis-cli -p "$p" hgetall h
		redis-cli -p "$p" sadd s x y z x
		redis-cli -p "$p" scard s
		redis-cli -p "$p" set big "$(head -c 100000 /dev/zero | tr '\0' 'q')"
		redis-cli -p "$p" strlen big
		redis-cli -p "$p" dbsize
		redis-cli -p "$p" no-such-command
		printf 'PING\r\nECHO one\r\nECHO two\r\n' | redis-cli -p "$p" # pipelined
		redis-cli -p "$p" config get maxclients
	} 2>&1
}

nport=$(free_port)
mport=$(free_port)
redis-server --port "$nport" --save '' --protected-mode no --bind 127.0.0.1 \
	>"$scratch/native.log" 2>&1 &
native=$!
timeout -k 5 240 "$MONOS" run --verbose -p "$mport:6379" -- /usr/bin/redis-server --save '' \
	--protected-mode no >"$scratch/monos.log" 2>"$scratch/monos.err" &
guest=$!

wait_redis "$nport" || echo "native redis did not start"
run wait_redis "$mport"
check "redis in monos answers PING through -p" status_is 0
session "$nport" >"$scratch/native.out"
session "$mport" >"$scratch/monos.out"
check "the same answers as a native redis ($(wc -l <"$scratch/native.out") lines)" \
	cmp -s "$scratch/native.out" "$scratch/monos.out"
cmp -s "$scratch/native.out" "$scratch/monos.out" ||
	diff "$scratch/native.out" "$scratch/monos.out" | head -n 10 | sed 's/^/    | /'

# Load: 50 clients, then pipelining 16; redis-benchmark counts errors itself
# and --csv gives one line per test.
run timeout 120 redis-benchmark -p "$mport" -q -n 3000 -c 50 -t set,get,incr,lpush --csv
check "redis-benchmark: SET, GET, INCR, LPUSH all completed" \
	eval '[ "$(grep -cE "^\"(SET|GET|INCR|LPUSH)\",\"[0-9.]+\"" "$scratch/out")" -eq 4 ]'
run timeout 120 redis-benchmark -p "$mport" -q -n 5000 -P 16 -t set,get --csv
check "redis-benchmark -P 16: SET and GET completed" \
	eval '[ "$(grep -cE "^\"(SET|GET)\",\"[0-9.]+\"" "$scratch/out")" -eq 2 ]'
run redis-cli -p "$mport" get counter
check "the data survived the load" out_has "42"

# SIGTERM to monos reaches redis: a clean shutdown, status 0.
kill -TERM $guest
wait $guest
rc=$?
check "SIGTERM: redis exits 0" status_is 0
check "SIGTERM: redis logs its clean shutdown" grep -q "Redis is now ready to exit, bye bye" \
	"$scratch/monos.log"
check "no unsupported system call on the way (kernel log)" eval 'grep -q "starting the program" "$scratch/monos.err" && ! grep -q "got ENOSYS" "$scratch/monos.err"'
redis-cli -p "$nport" shutdown nosave >/dev/null 2>&1
wait $native 2>/dev/null
finish
