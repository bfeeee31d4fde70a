#!/usr/bin/env bash
# CLI test (issue 12): detached instances under their monitors.  Three run
# at once (an HTTP server, a sleeper, a program that exits 3); ps, logs -f,
# stats, inspect, stop -t, kill, wait and rm act on them by name, id and id
# prefix; then each restart policy: no, on-failure:N, on-failure with a
# success, always.
. "$(dirname "$0")/lib/common.bash"
export XDG_RUNTIME_DIR=$scratch/rt
mkdir -m 700 "$XDG_RUNTIME_DIR"
# Whatever happens, no monitor or QEMU outlives the test.
trap '"$MONOS" rm -f $("$MONOS" ps -aq) >/dev/null 2>&1; rm -rf "$scratch"' EXIT

logs_have() { "$MONOS" logs "$1" | grep -qF -- "$2"; }
# state_of NAME KEY: KEY's value in NAME's inspect output, as written.
state_of() { "$MONOS" inspect "$1" | sed -n "s/^    \"$2\": \(.*\),\$/\1/p"; }
is_id() { [ "$rc" -eq 0 ] && [[ $out =~ ^[0-9a-f]{16}$ ]]; }

# --- three instances -------------------------------------------------------
hport=$(free_port)
run "$MONOS" run -d --name web -p "$hport:8080" "$GUEST/httpd" 8080
check "run -d prints the instance's id and returns" is_id
web=$out
run "$MONOS" run -d --name sleepy "$GUEST/sleeper" ignore-term
check "a second instance" is_id
sleepy=$out
run "$MONOS" run -d --name quick "$GUEST/exit" exit 3
check "a third instance" is_id
run "$MONOS" run -d --name sleepy "$GUEST/sleeper"
check "a name in use is refused" err_matches "name 'sleepy' is in use"
run "$MONOS" run -d --name 'bad/name' "$GUEST/sleeper"
check "a bad name is refused" err_matches "name 'bad/name': use letters"

check "the sleeper runs (logs)" until_ok 60 logs_have sleepy ready
run "$MONOS" wait quick
check "wait prints the status" out_has 3
run "$MONOS" ps
check "ps lists the running instances" grep -qE "^${sleepy:0:12} +sleepy .* Up " "$scratch/out"
check "... and not the ended one" bash -c "! grep -q quick '$scratch/out'"
run "$MONOS" ps -a
check "ps -a lists the ended one with its status" grep -qE "quick .* Exited \(3\)" "$scratch/out"
run "$MONOS" logs quick
check "logs: the program's output" out_has "exiting with exit(3)"

# logs -f follows the sleeper's log until it ends (below).
"$MONOS" logs -f "${sleepy:0:6}" >"$scratch/follow" 2>&1 &
follower=$!

# --- stats and inspect, on the server after a request ----------------------
get() { python3 -c 'import urllib.request,sys; urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1], timeout=5).read()' "$hport"; }
check "the published server answers" until_ok 60 get
run "$MONOS" stats --raw web
check "stats: memory in use" grep -qE "mem_used=[1-9][0-9]* " "$scratch/out"
check "stats: CPU time" grep -qE "cpu_ns=[1-9]" "$scratch/out"
check "stats: network packets both ways" grep -qE "rx_packets=[1-9].*tx_packets=[1-9]" "$scratch/out"
run "$MONOS" stats
check "stats without a name: a row per running instance" \
	bash -c "grep -q '^${web:0:12} ' '$scratch/out' && grep -q '^${sleepy:0:12} ' '$scratch/out'"
run "$MONOS" inspect "${web:0:8}"
check "inspect by id prefix: JSON with state, args, ports, address" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))[0]
assert d["state"] == "running" and d["running"] and d["status"] is None, d
assert d["name"] == "web" and d["args"][1:] == ["8080"], d
assert d["ports"] == ["127.0.0.1:%s->8080/tcp" % sys.argv[2]], d
assert d["addresses"] == ["10.0.2.15/24"] and d["started"].endswith("Z"), d' "$scratch/out" "$hport"
run "$MONOS" inspect nosuch
check "inspect of an unknown name fails" err_matches "no such image or instance: nosuch"

# --- kill, stop -t, wait, rm -----------------------------------------------
run "$MONOS" kill -s TERM web
check "kill -s TERM" status_is 0
run "$MONOS" wait web
check "... the server died of it (143)" out_has 143
start=$(date +%s%N)
run "$MONOS" stop -t 1 sleepy
took=$((($(date +%s%N) - start) / 1000000))
check "stop -t 1 of a program ignoring SIGTERM" status_is 0
check "... waited the grace time (${took} ms)" test "$took" -ge 900
run "$MONOS" wait "$sleepy"
check "... then SIGKILL (137)" out_has 137
wait $follower
check "logs -f ended with the instance, after its output" grep -qx ready "$scratch/follow"
run "$MONOS" ps
check "nothing runs now" test "$(wc -l <"$scratch/out")" -eq 1
run "$MONOS" kill web
check "kill of an ended instance fails" err_matches "web is not running"
# stop right after the program died of a signal: its monitor may be gone
# between stop finding it live and asking it (it once said "does not answer").
"$MONOS" run -d --name hup "$GUEST/sleeper" >/dev/null
check "another sleeper runs" until_ok 60 logs_have hup ready
"$MONOS" kill -s HUP hup >/dev/null
run "$MONOS" stop hup
check "stop of an instance ending meanwhile succeeds" status_is 0
run "$MONOS" wait hup
check "... with the status of its signal (129)" out_has 129
run "$MONOS" rm web sleepy quick hup
check "rm removes ended instances" status_is 0
run "$MONOS" ps -aq
check "... all of them" test -z "$out"

# --- create: the monitor waits at its gate until start -----------------------
run "$MONOS" create --name gated "$GUEST/exit" exit 5
check "create prints the id" is_id
sleep 0.5
check "created: it waits (ps)" bash -c "'$MONOS' ps | grep -q 'gated .* Created'"
check "... and nothing ran" test -z "$("$MONOS" logs gated)"
run "$MONOS" start gated
check "start" out_has gated
run "$MONOS" wait gated
check "... then it runs" out_has 5
run "$MONOS" start gated
check "start of an ended instance fails" err_matches "gated has ended"
run "$MONOS" create --name never "$GUEST/exit" exit 5
run "$MONOS" stop never
check "stop of a created instance: it ends without running" \
	bash -c "[ -z \"\$('$MONOS' logs never)\" ] && '$MONOS' ps -a | grep -q 'never .* Exited (0)'"
"$MONOS" rm gated never >/dev/null
run "$MONOS" create --name unstarted "$GUEST/exit" exit 5
run "$MONOS" rm unstarted
check "rm of a created instance needs no -f" status_is 0

# --- restart policies ------------------------------------------------------
run "$MONOS" run -d --name nf --restart on-failure:2 "$GUEST/exit" exit 3
"$MONOS" wait nf >"$scratch/st" 2>&1
check "on-failure:2: the last status" grep -qx 3 "$scratch/st"
check "... after 2 restarts" test "$(state_of nf restarts)" = 2
check "... 3 runs in the log" test "$("$MONOS" logs nf | grep -c 'exiting with exit(3)')" = 3
run "$MONOS" logs --tail 3 nf
check "logs --tail 3: the last three lines" \
	test "$out" = "$(printf 'atexit handler ran\nexiting with exit(3)\natexit handler ran')"
run "$MONOS" run -d --name ok --restart on-failure "$GUEST/exit" exit 0
"$MONOS" wait ok >"$scratch/st" 2>&1
check "on-failure and a success: no restart" test "$(state_of ok restarts)" = 0
run "$MONOS" run -d --name once "$GUEST/exit" exit 4
"$MONOS" wait once >/dev/null 2>&1
check "no (the default): no restart" test "$(state_of once restarts)" = 0
run "$MONOS" run -d --name again --restart always "$GUEST/exit" exit 0
restarted() { [ "$(state_of again restarts)" -ge 2 ]; }
check "always: restarted after a success, again" until_ok 60 restarted
run "$MONOS" stop again
check "... until stopped" test "$(state_of again state)" = '"exited"'
run "$MONOS" run --restart always "$GUEST/exit" exit 0
check "--restart without -d is refused" err_matches "restart needs -d"
run "$MONOS" rm -f nf ok once again
check "rm -f" status_is 0
finish
