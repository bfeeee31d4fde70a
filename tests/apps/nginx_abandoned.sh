# nginx from Debian inside monos under abandoned connections (issue 8): a
# burst of 500 connections that end in RST (SO_LINGER 0 close), then a
# request, which must be answered at once (it once took 7.7 s while lwIP's
# 8-bit listen backlog dropped SYNs and QEMU's slirp retransmitted them);
# then 2,000 idle connections, more than nginx's worker_connections (1024):
# nginx reuses connections, and a fresh request must still be answered;
# then SIGTERM must end nginx with status 0 (with the old backlog handling
# the instance did not stop within the 240 s watchdog).
source tests/cli/lib/common.bash
source tests/apps/lib.bash
need /usr/sbin/nginx
soon=2    # seconds a request after the RST burst may take (TCG, load)
rsts=500
idle=2000

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$scratch/www"
printf 'hello\n' >"$scratch/www/index.html"
cat >"$scratch/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
error_log stderr notice;
pid /tmp/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path /tmp/cb; proxy_temp_path /tmp/p; fastcgi_temp_path /tmp/f;
    uwsgi_temp_path /tmp/u; scgi_temp_path /tmp/s;
    server { listen 8080; root /srv/www; }
}
CONF
timeout -k 5 240 "$MONOS" run -p "$port:8080" --file "$scratch/nginx.conf:/etc/monos/nginx.conf" \
	--file "$scratch/www:/srv/www" -- /usr/sbin/nginx -c /etc/monos/nginx.conf -e stderr \
	>"$scratch/monos.log" 2>&1 &
guest=$!
wait_http "$port"

run timeout 60 python3 tests/cli/lib/abandon.py "$port" rst $rsts
check "a request after $rsts reset connections is answered" out_has "answered"
tenths=$(sed -n 3p "$scratch/out")
check "within ${soon}s (took ${tenths:-?} tenths)" test "${tenths:-999}" -le $((soon * 10))
run timeout 90 python3 tests/cli/lib/abandon.py "$port" idle $idle
check "a request behind $idle idle connections is answered" out_has "answered"
kill -TERM $guest
wait $guest
rc=$?
check "nginx ends on SIGTERM with status 0" status_is 0
finish
