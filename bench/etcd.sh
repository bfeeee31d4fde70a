#!/usr/bin/env bash
# The cost of etcd registration (issue 12): an idle instance (tests/guest/
# httpd, no client) with the agent's API, with and without `--etcd` (TTL
# 10 s: a keepalive every 3.3 s), interleaved, under `-icount shift=0,
# sleep=on` (facts.md: the guest's busy time is then its instruction count;
# sleep=on because it is networked).  Over a window of SECONDS, opened once
# the key is registered (or after the same settling time without etcd), it
# reads from /metrics at the window's ends:
#   - guest instructions (monos_cpu_seconds_total{mode="busy"} in ns);
#   - lease renewals (monos_etcd_lease_renewals_total);
#   - context switches and the agent's poll() calls (the idle program makes
#     no system call: every poll is the agent's);
# and the kernel's own count of guest wake-ups over the whole run ("monos:
# net: at exit after MS ms: N wake-ups", --verbose).  Instructions per
# renewal = (busy on - busy off) / renewals; the two scrapes cost the same
# in both runs.  Medians (min, max) of ROUNDS.  Run by hand.
#
# Usage: bench/etcd.sh [ROUNDS [SECONDS]]   (default 3 rounds of 30 s)
set -u
cd "$(dirname "$0")/.." || exit 1
ROUNDS=${1:-3}
SECS=${2:-30}
SETTLE=8 # seconds: boot, first health, grant and put, under icount
BUILD=${BUILD:-build}
MONOS=$BUILD/monos
HTTPD=$BUILD/tests/guest/musl/httpd
TOKEN=bench-token
export MONOS_API_TOKEN=$TOKEN
export XDG_RUNTIME_DIR=$(mktemp -d)
tmp=$(mktemp -d)
etcd_pid=
trap '"$MONOS" rm -f $("$MONOS" ps -aq) >/dev/null 2>&1; [ -n "$etcd_pid" ] && kill $etcd_pid; rm -rf "$tmp" "$XDG_RUNTIME_DIR"' EXIT

port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
cport=$(port)
pport=$(port)
etcd --name b --data-dir "$tmp/etcd" --listen-client-urls "http://127.0.0.1:$cport" \
	--advertise-client-urls "http://127.0.0.1:$cport" --listen-peer-urls "http://127.0.0.1:$pport" \
	--initial-advertise-peer-urls "http://127.0.0.1:$pport" \
	--initial-cluster "b=http://127.0.0.1:$pport" >"$tmp/etcd.log" 2>&1 &
etcd_pid=$!
sleep 2

# metric PORT: "busy_ns renewals ctxsw polls" from the agent's /metrics.
metric() {
	curl -s -m 10 -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$1/metrics" | awk '
		/^monos_cpu_seconds_total\{mode="busy"\}/ { busy = $2 }
		/^monos_etcd_lease_renewals_total / { ren = $2 }
		/^monos_context_switches_total / { cs = $2 }
		/^monos_syscalls_total\{name="poll"\}/ { poll = $2 }
		END { printf "%.0f %d %d %d\n", busy * 1e9, ren, cs, poll }'
}

# one MODE: "busy_ns renewals ctxsw polls wakeups_per_s" for the window.
one() {
	local mode=$1 a id extra=() m0 m1 log
	a=$(port)
	[ "$mode" = on ] && extra=(--etcd "http://10.0.2.2:$cport" --service bench)
	id=$(MONOS_QEMU_ARGS="-icount shift=0,sleep=on" taskset -c 0 "$MONOS" run -d --verbose \
		-p "$a:9000" --api 9000 "${extra[@]}" -- "$HTTPD" 8080)
	sleep $SETTLE
	m0=$(metric "$a")
	sleep "$SECS"
	m1=$(metric "$a")
	"$MONOS" stop -t 10 "$id" >/dev/null
	log=$("$MONOS" logs "$id" 2>&1 | sed -n 's/.*wake-ups (\([0-9.]*\)\/s).*/\1/p' | tail -1)
	"$MONOS" rm "$id" >/dev/null
	echo "$m0 $m1 $log" | awk '{ print $5 - $1, $6 - $2, $7 - $3, $8 - $4, $9 }'
}

for r in $(seq "$ROUNDS"); do
	off=$(one off)
	on=$(one on)
	echo "round $r off: $off / on: $on (busy_ns renewals ctxsw polls wakeups/s)" >&2
	echo "$off $on" >>"$tmp/rounds"
done
awk -v secs="$SECS" '
	function stats(v, n,   i, j, t, m) {
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
		m = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		return sprintf("%.6g (%.6g to %.6g)", m, v[1], v[n])
	}
	{ n++
	  ipr[n] = $7 > 0 ? ($6 - $1) / $7 : 0
	  ren[n] = $7
	  csoff[n] = $3 / secs; cson[n] = $8 / secs
	  poff[n] = $4 / secs; pon[n] = $9 / secs
	  woff[n] = $5; won[n] = $10
	  ppr[n] = $7 > 0 ? ($9 - $4) / $7 : 0 }
	END {
	  print "| figure | registration off | registration on |"
	  print "|---|---|---|"
	  print "| lease renewals in " secs " s | - | " stats(ren, n) " |"
	  print "| guest instructions per renewal (on - off) | - | " stats(ipr, n) " |"
	  print "| agent poll() calls per renewal (on - off) | - | " stats(ppr, n) " |"
	  print "| context switches per second | " stats(csoff, n) " | " stats(cson, n) " |"
	  print "| agent poll() calls per second | " stats(poff, n) " | " stats(pon, n) " |"
	  print "| guest wake-ups per second, whole run | " stats(woff, n) " | " stats(won, n) " |"
	}' "$tmp/rounds"
