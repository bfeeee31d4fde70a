# Debian's Prometheus scrapes the agent's /metrics with the API token
# (authorization.credentials_file), shows the target up in its own API, and
# sees a counter of the program's (its epoll_pwait calls) rise under wrk
# load.  Skipped, and said so, without prometheus (scripts/deps.sh installs
# it) or wrk.
source tests/cli/lib/common.bash
if ! command -v prometheus >/dev/null || ! command -v wrk >/dev/null; then
	echo "skipped: prometheus or wrk is not installed (scripts/deps.sh)"
	exit 0
fi
tok=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$tok" >"$scratch/token"
aport=$(free_port)
hport=$(free_port)
pport=$(free_port)
timeout -k 5 120 "$MONOS" run -p "$aport:9000" -p "$hport:8080" --api 9000 \
	--api-token-file "$scratch/token" -- "$GUEST/httpd" 8080 100 >"$scratch/guest.out" 2>&1 &
guest=$!
cat >"$scratch/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: monos
    authorization:
      type: Bearer
      credentials_file: $scratch/token
    static_configs:
      - targets: ['127.0.0.1:$aport']
EOF
timeout -k 5 110 prometheus --config.file="$scratch/prometheus.yml" \
	--storage.tsdb.path="$scratch/tsdb" --web.listen-address="127.0.0.1:$pport" \
	>"$scratch/prom.log" 2>&1 &
prom=$!
papi=http://127.0.0.1:$pport/api/v1

# query PROMQL: the first result's value, or empty.
query() {
	curl -s -m 5 "$papi/query" --data-urlencode "query=$1" |
		python3 -c 'import json,sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")' 2>/dev/null
}
health=""
for _ in $(seq 120); do
	health=$(curl -s -m 5 "$papi/targets" | python3 -c 'import json,sys
t = json.load(sys.stdin)["data"]["activeTargets"]
print(t[0]["health"] if t else "")' 2>/dev/null)
	[ "$health" = up ] && break
	sleep 0.5
done
rc=0 out=$health err=$(tail -3 "$scratch/prom.log")
check "Prometheus' API shows the monos target up" [ "$health" = up ]
sleep 2
before=$(query 'monos_syscalls_total{name="epoll_pwait"}')
run wrk -t1 -c8 -d4s "http://127.0.0.1:$hport/"
sleep 3 # two more scrapes
after=$(query 'monos_syscalls_total{name="epoll_pwait"}')
rc=0 out="$before -> $after"
check "a counter rose under load, as Prometheus scraped it ($before -> $after)" \
	python3 -c 'import sys; sys.exit(not (float(sys.argv[2]) > float(sys.argv[1]) > 0))' "${before:-0}" "${after:-0}"
up=$(query 'up{job="monos"}')
check "up{job=\"monos\"} is 1" [ "$up" = 1 ]
kill $prom $guest 2>/dev/null
wait $prom $guest 2>/dev/null
finish
