# PostgreSQL 15 from Debian, unmodified, inside monos as a user that is not
# root (PostgreSQL refuses root): initdb into /tmp, then postgres, whose
# backends are forked without exec and share memory (MAP_SHARED|MAP_ANONYMOUS,
# System V shm, POSIX semaphores on futexes in it) over unix and TCP sockets.
# psql on the host, through -p, creates a table, inserts 10,000 rows sent
# from the host and reads them back; the answers must be those of the same
# PostgreSQL on the host (initdb'd and started the same way, as user
# postgres).  SIGINT to `monos run` is PostgreSQL's fast shutdown: status 0.
source tests/cli/lib/common.bash
source tests/apps/lib.bash
bin=/usr/lib/postgresql/15/bin
need $bin/postgres
need $bin/initdb
need /usr/bin/psql

# The rows, from the host: one INSERT of 10,000 (id, md5) pairs.
python3 -c '
import hashlib
print("INSERT INTO t VALUES " + ",".join(
    "(%d, %s)" % (i, chr(39) + hashlib.md5(str(i).encode()).hexdigest() + chr(39))
    for i in range(1, 10001)) + ";")' >"$scratch/rows.sql"
# session PORT: the same SQL and readings against a server.
session() {
	local q=(psql -h 127.0.0.1 -p "$1" -U "$2" -d postgres -X -q -A -t -v ON_ERROR_STOP=1)
	"${q[@]}" -c "CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL)" &&
		"${q[@]}" -f "$scratch/rows.sql" &&
		"${q[@]}" -c "SELECT count(*), sum(id), min(v), max(v) FROM t" \
			-c "SELECT * FROM t WHERE id IN (1, 5000, 10000) ORDER BY id" \
			-c "UPDATE t SET v = upper(v) WHERE id % 1000 = 0" \
			-c "SELECT count(*) FROM t WHERE v = upper(v) AND v ~ '[A-F]'" &&
		"${q[@]}" -c "\\copy t TO STDOUT" | sha256sum
	echo "status $?"
}
# wait_pg PORT USER: until the server takes a query.
wait_pg() {
	for _ in $(seq 300); do
		psql -h 127.0.0.1 -p "$1" -U "$2" -d postgres -X -q -A -t -c "SELECT 1" >/dev/null 2>&1 &&
			return 0
		sleep 0.3
	done
	return 1
}

# Natively, as postgres, in a directory that user may use; setpriv execs
# postgres itself, so SIGINT reaches it (runuser would keep it).
nport=$(free_port)
ndir=$(mktemp -d /tmp/postgres_native.XXXXXX)
trap 'rm -rf "$scratch" "$ndir"' EXIT
chown postgres: "$ndir"
runuser -u postgres -- $bin/initdb -D "$ndir/data" -A trust --no-sync >"$scratch/ninit.log" 2>&1
setpriv --reuid postgres --regid postgres --init-groups -- $bin/postgres -D "$ndir/data" -k "$ndir" -c listen_addresses=127.0.0.1 \
	-p "$nport" >"$scratch/native.log" 2>&1 &
native=$!

# In monos, as nobody: a script initdb's the cluster, lets the host in
# (the host's connections come from 10.0.2.2) and execs postgres.  It is
# packed at /pg.sh: nobody could not reach it under $scratch (mode 700).
cat >"$scratch/pg.sh" <<SH
#!/bin/sh
set -e
$bin/initdb -D /tmp/pg -A trust --no-sync >&2
echo "host all all 0.0.0.0/0 trust" >>/tmp/pg/pg_hba.conf
exec $bin/postgres -D /tmp/pg -k /tmp -c listen_addresses='*'
SH
chmod 755 "$scratch/pg.sh"
mport=$(free_port)
timeout -k 5 240 "$MONOS" run --verbose -m 512M -u nobody -e TZ=UTC -p "$mport:5432" \
	--file /usr/lib/postgresql/15 --file /usr/share/postgresql/15 \
	--file /usr/share/zoneinfo/Etc/UTC:/usr/share/zoneinfo/UTC --file "$scratch/pg.sh:/pg.sh" \
	-- /bin/sh /pg.sh \
	>"$scratch/monos.log" 2>"$scratch/monos.err" &
guest=$!

wait_pg "$nport" postgres || echo "native postgres did not start"
run wait_pg "$mport" nobody
check "initdb and postgres in monos: psql connects through -p" status_is 0
session "$nport" postgres >"$scratch/native.out" 2>&1
session "$mport" nobody >"$scratch/monos.out" 2>&1
check "10,000 rows in and back: the same answers as native PostgreSQL" \
	cmp -s "$scratch/native.out" "$scratch/monos.out"
cmp -s "$scratch/native.out" "$scratch/monos.out" ||
	diff "$scratch/native.out" "$scratch/monos.out" | head -n 12 | sed 's/^/    | /'
check "the native session succeeded" grep -qx "status 0" "$scratch/native.out"

kill -INT $guest
wait $guest
rc=$?
check "SIGINT: fast shutdown, status 0" status_is 0
check "SIGINT: PostgreSQL logs its shutdown" grep -q "database system is shut down" \
	"$scratch/monos.err"
check "no unsupported system call on the way (kernel log)" eval 'grep -q "starting the program" "$scratch/monos.err" && ! grep -q "got ENOSYS" "$scratch/monos.err"'
kill -INT $native 2>/dev/null
wait $native 2>/dev/null
finish
