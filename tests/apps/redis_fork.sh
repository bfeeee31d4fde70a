# redis-server from Debian, unmodified, forking in monos: BGSAVE and
# BGREWRITEAOF write the dataset from a forked child while the parent goes
# on serving, and each file is checked by loading it again (DEBUG RELOAD
# NOSAVE reads dump.rdb back, DEBUG LOADAOF the rewritten AOF): the
# dataset's DEBUG DIGEST must survive both, as it does with the same redis
# natively.  fork must be copy-on-write: the instance gets -m $REDIS_MEM,
# which holds the dataset once with room to spare but not twice, so a fork
# that copied the data would end in the OOM killer.  Measured (the kernel's
# "frames used" on SIGUSR1, 2026-12-07): 96M leaves 19,806 frames; after
# DEBUG POPULATE 200000 10,203 are used, during BGSAVE 11,921, where a
# copying fork would need about 20,000 more.
# REDIS_KEYS (default 200000 keys of 100 bytes, about 36 MB in redis) and
# REDIS_MEM (default 96M) size it.  Measured once by hand with 2000000 keys
# (used_memory 352.6 MB) and -m 640M (158,934 frames), TCG, a loaded host:
# DEBUG POPULATE 29.8 s, BGSAVE 21.6 s, DEBUG RELOAD NOSAVE 35.9 s (same
# digest), BGREWRITEAOF 17.2 s; frames used 92,577 after the fill, 95,110
# during BGSAVE (a copying fork would have needed about 93,000 more).
source tests/cli/lib/common.bash
source tests/apps/lib.bash
need /usr/bin/redis-server
need /usr/bin/redis-cli
keys=${REDIS_KEYS:-200000}
mem=${REDIS_MEM:-96M}

# until_done PORT FIELD: until INFO persistence shows FIELD:0 (no child).
until_done() {
	for _ in $(seq 1200); do
		redis-cli -p "$1" info persistence | grep -q "^$2:0" && return 0
		sleep 0.1
	done
	return 1
}
# info PORT FIELD: one field of INFO persistence.
info() {
	redis-cli -p "$1" info persistence | tr -d '\r' | grep "^$2:"
}
# session PORT: fill, save in the background, reload; what redis says.
session() {
	local p=$1
	redis-cli -p "$p" debug populate "$keys" key 100
	redis-cli -p "$p" dbsize
	redis-cli -p "$p" debug digest
	redis-cli -p "$p" bgsave
	redis-cli -p "$p" set during-bgsave yes # the parent serves meanwhile
	until_done "$p" rdb_bgsave_in_progress || echo "BGSAVE did not end"
	info "$p" rdb_last_bgsave_status
	redis-cli -p "$p" del during-bgsave
	redis-cli -p "$p" debug reload nosave
	redis-cli -p "$p" dbsize
	redis-cli -p "$p" debug digest
	redis-cli -p "$p" bgrewriteaof
	until_done "$p" aof_rewrite_in_progress || echo "BGREWRITEAOF did not end"
	info "$p" aof_last_bgrewrite_status
	redis-cli -p "$p" flushall
	redis-cli -p "$p" debug loadaof
	redis-cli -p "$p" dbsize
	redis-cli -p "$p" debug digest
}
opts=(--save '' --appendonly yes --protected-mode no --enable-debug-command yes)
nport=$(free_port)
mport=$(free_port)
mkdir "$scratch/ndir"
redis-server --port "$nport" --bind 127.0.0.1 --dir "$scratch/ndir" "${opts[@]}" \
	>"$scratch/native.log" 2>&1 &
native=$!
timeout -k 5 300 "$MONOS" run --verbose -m "$mem" -p "$mport:6379" -- /usr/bin/redis-server --dir /tmp \
	"${opts[@]}" >"$scratch/monos.log" 2>"$scratch/monos.err" &
guest=$!

wait_redis "$nport" || echo "native redis did not start"
run wait_redis "$mport"
check "redis in monos answers PING through -p" status_is 0
session "$nport" >"$scratch/native.out" 2>&1
start=$(date +%s.%N)
session "$mport" >"$scratch/monos.out" 2>&1
echo "monos: the session with $keys keys took $(echo "$(date +%s.%N) - $start" | bc) s"
check "BGSAVE, reload, BGREWRITEAOF, reload: as native ($keys keys)" \
	cmp -s "$scratch/native.out" "$scratch/monos.out"
cmp -s "$scratch/native.out" "$scratch/monos.out" ||
	diff "$scratch/native.out" "$scratch/monos.out" | head -n 12 | sed 's/^/    | /'
check "the native run saved and reloaded" eval 'grep -qx "rdb_last_bgsave_status:ok" "$scratch/native.out" && grep -qx "aof_last_bgrewrite_status:ok" "$scratch/native.out"'
check "the children were forked and saved (redis' log)" eval 'grep -q "DB saved on disk" "$scratch/monos.log" && grep -q "Background AOF rewrite finished successfully" "$scratch/monos.log"'

kill -TERM $guest
wait $guest
rc=$?
check "SIGTERM: redis exits 0" status_is 0
check "no OOM kill, no unsupported system call (kernel log)" eval 'grep -q "starting the program" "$scratch/monos.err" && ! grep -qiE "got ENOSYS|out of memory" "$scratch/monos.err"'
redis-cli -p "$nport" shutdown nosave >/dev/null 2>&1
wait $native 2>/dev/null
finish
