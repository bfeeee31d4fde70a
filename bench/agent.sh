#!/usr/bin/env bash
# The cost of the management plane (issue 12): the epoll HTTP server
# (tests/guest/httpd) under `wrk -t1 -c16` without the agent, and with
# --api while /metrics is scraped every second, interleaved in one run (QEMU
# on CPU 0, wrk on CPU 1: facts.md), medians of ROUNDS.  With the agent it
# also reports the agent's own CPU seconds over the load (from /v1/processes).
# With the agent it also counts the kernel's context switches per request
# (monos_context_switches_total from /metrics before and after the load).
# BASE_BUILD=DIR adds a second build (another checkout's build/, e.g. the
# tree before a change) interleaved with $BUILD in every round, so both are
# measured under the same load on the machine.
# Not part of `make bench` yet: run it by hand.
#
# Usage: [BASE_BUILD=DIR] bench/agent.sh [ROUNDS [SECONDS]]   (default 5 rounds of 8 s)
set -u
cd "$(dirname "$0")/.." || exit 1
ROUNDS=${1:-5}
SECS=${2:-8}
BUILD=${BUILD:-build}
BASE_BUILD=${BASE_BUILD:-}
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

# switches PORT: the kernel's context switches so far, from /metrics.
switches() {
	curl -s -m 5 -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$1/metrics" |
		awk '/^monos_context_switches_total / {print $2}'
}

# one BUILD_DIR MODE TAG: a run, its req/s on stdout (and the agent's CPU
# in $tmp/cpu.TAG, context switches per request in $tmp/csw.TAG).
one() {
	local b=$1 mode=$2 tag=$3 h a extra=() g scraper=0 c0 s0 out rps
	local MONOS=$b/monos HTTPD=$b/tests/guest/musl/httpd
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
		s0=$(switches "$a")
		(while :; do
			curl -s -m 2 -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$a/metrics"
			sleep 1
		done) &
		scraper=$!
	fi
	out=$(taskset -c 1 wrk -t1 -c16 -d"${SECS}s" "http://127.0.0.1:$h/")
	rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
	if [ "$mode" = on ]; then
		kill $scraper
		echo "$(agent_cpu "$a") - $c0" | bc >>"$tmp/cpu.$tag"
		echo "scale=4; ($(switches "$a") - $s0) / $(echo "$out" | awk '/requests in/ {print $1}')" |
			bc >>"$tmp/csw.$tag"
	fi
	kill $g 2>/dev/null
	wait $g 2>/dev/null
	echo "$rps"
}

median() {
	sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

# range FILE: min-max of its numbers.
range() {
	sort -g "$1" | awk 'NR == 1 {lo = $1} {hi = $1} END {print lo "-" hi}'
}

# report TAG LABEL: the medians of one build's rounds (min and max beside).
report() {
	local off on
	off=$(median <"$tmp/off.$1")
	on=$(median <"$tmp/on.$1")
	echo "$2: median without $off req/s ($(range "$tmp/off.$1")), with $on req/s" \
		"($(range "$tmp/on.$1")): $(echo "scale=1; 100 * ($on - $off) / $off" | bc)%"
	echo "$2: the agent's CPU seconds over ${SECS} s of load: median $(median <"$tmp/cpu.$1")" \
		"($(range "$tmp/cpu.$1")); context switches per request with the agent:" \
		"median $(median <"$tmp/csw.$1") ($(range "$tmp/csw.$1"))"
}

builds=("$BUILD")
[ -n "$BASE_BUILD" ] && builds=("$BASE_BUILD" "$BUILD")
for r in $(seq "$ROUNDS"); do
	for i in "${!builds[@]}"; do
		off=$(one "${builds[$i]}" off "$i")
		on=$(one "${builds[$i]}" on "$i")
		echo "round $r, ${builds[$i]}: without the agent $off req/s, with --api and a scrape a second $on req/s"
		echo "$off" >>"$tmp/off.$i"
		echo "$on" >>"$tmp/on.$i"
	done
done
for i in "${!builds[@]}"; do
	report "$i" "${builds[$i]}"
done
