#!/usr/bin/env bash
# The cost of the management plane (issue 12): the epoll HTTP server
# (tests/guest/httpd) under `wrk -t1 -c16` without the agent, and with
# --api while /metrics is scraped every second, interleaved in one run (QEMU
# on CPU 0, wrk on CPU 1: facts.md), medians of ROUNDS.  With the agent it
# also reports the agent's own CPU seconds over the load (from /v1/processes).
# Not part of `make bench` yet: run it by hand.
#
# Usage: bench/agent.sh [ROUNDS [SECONDS]]   (default 5 rounds of 8 s)
set -u
cd "$(dirname "$0")/.." || exit 1
ROUNDS=${1:-5}
SECS=${2:-8}
BUILD=${BUILD:-build}
MONOS=$BUILD/monos
HTTPD=$BUILD/tests/guest/musl/httpd
TOKEN=bench-token
export MONOS_API_TOKEN=$TOKEN
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# agent_cpu PORT: the agent's CPU seconds, from its own API.
agent_cpu() {
	curl -s -m 5 -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$1/v1/processes" |
		python3 -c 'import json,sys
print([p["cpu_seconds"] for p in json.load(sys.stdin) if p["name"] == "monos-agent"][0])'
}

# one MODE: a run, its req/s on stdout (and the agent's CPU in $tmp/cpu).
one() {
	local mode=$1 h a extra=() g scraper=0 c0 rps
	h=$(port)
	a=$(port)
	[ "$mode" = on ] && extra=(-p "$a:9000" --api 9000)
	taskset -c 0 timeout $((SECS + 60)) "$MONOS" run -p "$h:8080" "${extra[@]}" -- "$HTTPD" 8080 \
		$((SECS + 40)) >/dev/null 2>&1 &
	g=$!
	for _ in $(seq 150); do
		curl -s -m 1 -o /dev/null "http://127.0.0.1:$h/" && break
		sleep 0.2
	done
	if [ "$mode" = on ]; then
		c0=$(agent_cpu "$a")
		(while :; do
			curl -s -m 2 -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$a/metrics"
			sleep 1
		done) &
		scraper=$!
	fi
	rps=$(taskset -c 1 wrk -t1 -c16 -d"${SECS}s" "http://127.0.0.1:$h/" | awk '/Requests\/sec/ {print $2}')
	if [ "$mode" = on ]; then
		kill $scraper
		echo "$(agent_cpu "$a") - $c0" | bc >>"$tmp/cpu"
	fi
	kill $g 2>/dev/null
	wait $g 2>/dev/null
	echo "$rps"
}

median() {
	sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

for r in $(seq "$ROUNDS"); do
	off=$(one off)
	on=$(one on)
	echo "round $r: without the agent $off req/s, with --api and a scrape a second $on req/s"
	echo "$off" >>"$tmp/off"
	echo "$on" >>"$tmp/on"
done
off=$(median <"$tmp/off")
on=$(median <"$tmp/on")
echo "median: without $off req/s, with $on req/s ($(echo "scale=1; 100 * ($on - $off) / $off" | bc)%)"
echo "the agent's CPU seconds over ${SECS} s of load: median $(median <"$tmp/cpu")"
