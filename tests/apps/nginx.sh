# nginx from Debian, unmodified, inside monos (one process: daemon off and
# master_process off, since monos runs one process): a static site served
# through -p must answer as the same nginx with the same configuration does
# natively: bodies, status codes and the headers that do not hold a date,
# for pages, a 300 KB binary (sendfile), a missing page, a range request,
# HEAD, and many requests on kept-alive connections at once; SIGTERM
# reaches nginx, which exits 0.
source tests/cli/lib/common.bash
source tests/apps/lib.bash
need /usr/sbin/nginx
command -v curl >/dev/null || { echo "FAILED curl is not installed"; exit 1; }

site=$scratch/www
mkdir -p "$site/docs"
printf '<html><body>hello from nginx in monos</body></html>\n' >"$site/index.html"
printf 'plain text\n' >"$site/docs/notes.txt"
head -c 300000 /dev/urandom >"$site/big.bin"
# conf PORT ROOT TMP: the configuration, the same for both runs but its paths.
conf() {
	cat <<CONF
daemon off;
master_process off;
worker_processes 1;
error_log stderr notice;
pid $3/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $3/cb; proxy_temp_path $3/p; fastcgi_temp_path $3/f;
    uwsgi_temp_path $3/u; scgi_temp_path $3/s;
    include /etc/nginx/mime.types;
    sendfile on;
    keepalive_requests 1000;
    server {
        listen $1;
        root $2;
        location /docs/ { autoindex on; }
    }
}
CONF
}
nport=$(free_port)
mport=$(free_port)
mkdir -p "$scratch/ntmp"
conf "$nport" "$site" "$scratch/ntmp" >"$scratch/native.conf"
conf 8080 /srv/www /tmp >"$scratch/monos.conf"
/usr/sbin/nginx -c "$scratch/native.conf" -e stderr 2>"$scratch/native.log" &
native=$!
timeout -k 5 240 "$MONOS" run --verbose -p "$mport:8080" --file "$scratch/monos.conf:/etc/monos/nginx.conf" \
	--file "$site:/srv/www" --file /etc/nginx/mime.types -- \
	/usr/sbin/nginx -c /etc/monos/nginx.conf -e stderr >"$scratch/monos.log" 2>&1 &
guest=$!
wait_http "$mport"

# fetch PORT: every request of the series; status, headers without dates
# or server timing, and a hash of each body.
fetch() {
	local u=http://127.0.0.1:$1
	for req in "/" "/index.html" "/big.bin" "/docs/notes.txt" "/missing" "-r 100-199 /big.bin" \
		"-I /index.html" "-X POST /index.html"; do
		local opts=
		[ "${req% *}" = "$req" ] || opts=${req% *}
		: >"$scratch/b"
		# shellcheck disable=SC2086
		curl -s -m 30 -D "$scratch/h" -o "$scratch/b" $opts "$u${req##* }"
		[ "$opts" != -I ] || : >"$scratch/b" # curl -I writes the headers there, Date too
		echo "== $req"
		grep -viE '^(date|last-modified|etag|server):' "$scratch/h" | tr -d '\r'
		echo "body $(sha256sum <"$scratch/b" | cut -c1-16) $(wc -c <"$scratch/b")"
	done
}
rc=0 out= err=
fetch "$nport" >"$scratch/native.out"
fetch "$mport" >"$scratch/monos.out"
check "the same answers as native nginx ($(grep -c '^==' "$scratch/native.out") requests)" \
	cmp -s "$scratch/native.out" "$scratch/monos.out"
cmp -s "$scratch/native.out" "$scratch/monos.out" ||
	diff "$scratch/native.out" "$scratch/monos.out" | head -n 12 | sed 's/^/    | /'
# The directory listing holds dates: compare its file names only.
run curl -s -m 10 "http://127.0.0.1:$mport/docs/"
check "autoindex lists the directory" eval 'grep -q "href=\"notes.txt\"" "$scratch/out"'

# 16 clients at once, 40 requests each on kept-alive connections.
cat >"$scratch/load.py" <<'PY'
import http.client, sys, threading
port = int(sys.argv[1]); ok = [0]; lock = threading.Lock()
def client():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for i in range(40):
        c.request("GET", "/big.bin" if i % 8 == 0 else "/")
        r = c.getresponse(); body = r.read()
        if r.status == 200 and len(body) in (300000, 52):
            with lock: ok[0] += 1
ts = [threading.Thread(target=client) for _ in range(16)]
for t in ts: t.start()
for t in ts: t.join()
print("ok", ok[0])
PY
run timeout 200 python3 "$scratch/load.py" "$mport"
check "16 kept-alive clients x 40 requests, all answered" out_has "ok 640"

kill -TERM $guest
wait $guest
rc=$?
check "SIGTERM: nginx exits 0" status_is 0
check "SIGTERM: nginx logs its exit" grep -qE "\[notice\] [0-9]+#[0-9]+: exit$" "$scratch/monos.log"
check "no unsupported system call on the way (kernel log)" eval 'grep -q "starting the program" "$scratch/monos.log" && ! grep -q "got ENOSYS" "$scratch/monos.log"'
kill -TERM $native 2>/dev/null
wait $native 2>/dev/null
finish
