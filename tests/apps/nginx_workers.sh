# nginx from Debian, unmodified, with its default process model inside
# monos: `master_process on` and `worker_processes 2` (a master that forks
# two workers sharing the listening socket, each told things over a
# socketpair with O_ASYNC).  Compared with the same nginx and configuration
# natively: the same answers to a series of requests, the master and two
# workers alive; then SIGHUP (what `nginx -s reload` sends) makes two new
# workers while the old ones finish gracefully, requests still answered;
# then SIGQUIT (`nginx -s quit`) stops it gracefully with status 0.
source tests/cli/lib/common.bash
source tests/apps/lib.bash
need /usr/sbin/nginx
command -v curl >/dev/null || { echo "FAILED curl is not installed"; exit 1; }

# The workers run as nginx's default user, nobody: the site must be
# readable by all, which $scratch (mode 700, under the runner's) is not.
site=$(mktemp -d /tmp/nginx_workers.XXXXXX)
trap 'rm -rf "$scratch" "$site"' EXIT
chmod 755 "$site"
printf '<html><body>hello from nginx workers</body></html>\n' >"$site/index.html"
head -c 200000 /dev/urandom >"$site/big.bin"
# conf PORT ROOT TMP: the same configuration for both runs but its paths.
conf() {
	cat <<CONF
daemon off;
worker_processes 2;
error_log stderr notice;
pid $3/nginx.pid;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $3/cb; proxy_temp_path $3/p; fastcgi_temp_path $3/f;
    uwsgi_temp_path $3/u; scgi_temp_path $3/s;
    server { listen $1; root $2; }
}
CONF
}
# fetch PORT N: N rounds of three requests; status and body hash of each.
fetch() {
	local u=http://127.0.0.1:$1 i
	for i in $(seq "$2"); do
		for p in / /big.bin /missing; do
			echo "$p $(curl -s -m 20 -w ' %{http_code}' "$u$p" | sha256sum | cut -c1-16)"
		done
	done
}
# workers LOG: how many "start worker process" lines the master logged.
workers() {
	grep -c "start worker process [0-9]" "$1"
}
nport=$(free_port)
mport=$(free_port)
mkdir -p "$scratch/ntmp"
conf "$nport" "$site" "$scratch/ntmp" >"$scratch/native.conf"
conf 8080 /srv/www /tmp >"$scratch/monos.conf"
/usr/sbin/nginx -c "$scratch/native.conf" -e stderr 2>"$scratch/native.log" &
native=$!
timeout -k 5 240 "$MONOS" run --verbose -p "$mport:8080" --file "$scratch/monos.conf:/etc/monos/nginx.conf" \
	--file "$site:/srv/www" -- /usr/sbin/nginx -c /etc/monos/nginx.conf -e stderr \
	>"$scratch/monos.log" 2>&1 &
guest=$!
wait_http "$mport"

rc=0 out= err=
fetch "$nport" 10 >"$scratch/native.out"
fetch "$mport" 10 >"$scratch/monos.out"
check "the same answers as native nginx ($(wc -l <"$scratch/native.out") requests)" \
	cmp -s "$scratch/native.out" "$scratch/monos.out"
cmp -s "$scratch/native.out" "$scratch/monos.out" ||
	diff "$scratch/native.out" "$scratch/monos.out" | head -n 12 | sed 's/^/    | /'
run workers "$scratch/monos.log"
check "the master started 2 workers" out_has 2
check "no alert from the master" eval '! grep -q "\[alert\]" "$scratch/monos.log"'

kill -HUP $guest
for _ in $(seq 100); do
	[ "$(workers "$scratch/monos.log")" -ge 4 ] && break
	sleep 0.2
done
run workers "$scratch/monos.log"
check "SIGHUP: the master started 2 new workers" out_has 4
for _ in $(seq 100); do
	[ "$(grep -c "worker process [0-9]* exited with code 0" "$scratch/monos.log")" -ge 2 ] && break
	sleep 0.2
done
check "SIGHUP: the 2 old workers exited with code 0" \
	eval '[ "$(grep -c "worker process [0-9]* exited with code 0" "$scratch/monos.log")" -eq 2 ]'
fetch "$mport" 10 >"$scratch/monos2.out"
check "after the reload: the same answers" cmp -s "$scratch/native.out" "$scratch/monos2.out"

kill -QUIT $guest
wait $guest
rc=$?
check "SIGQUIT: nginx stops gracefully, status 0" status_is 0
check "SIGQUIT: the master logs its exit" grep -qE "\[notice\] 1#1: exit$" "$scratch/monos.log"
check "no unsupported system call on the way (kernel log)" eval 'grep -q "starting the program" "$scratch/monos.log" && ! grep -q "got ENOSYS" "$scratch/monos.log"'
kill -QUIT $native 2>/dev/null
wait $native 2>/dev/null
finish
