#!/usr/bin/env bash
# CLI test (issues 11, 12): a manifest's health check and restart policy
# act, as their flags do.  health: the in-guest agent checks the program
# (/healthz through --api turns healthy); restart: a detached instance of a
# manifest with on-failure:2 restarts twice, a foreground run of the same
# manifest runs once (the user is the supervisor there), and --restart on
# the command line overrides the manifest's.
. "$(dirname "$0")/lib/common.bash"
export XDG_RUNTIME_DIR=$scratch/rt XDG_DATA_HOME=$scratch/data
mkdir -m 700 "$XDG_RUNTIME_DIR"
trap '"$MONOS" rm -f $("$MONOS" ps -aq) >/dev/null 2>&1; rm -rf "$scratch"' EXIT

state_of() { "$MONOS" inspect "$1" | sed -n "s/^    \"$2\": \(.*\),\$/\1/p"; }

# --- health: from the manifest, with no --health flag ----------------------
cat >"$scratch/web.yaml" <<YAML
program: $GUEST/httpd
args: ['8080', '120']
health:
  type: http
  port: 8080
  path: /
  interval: 1s
  timeout: 2s
  retries: 2
YAML
tok=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$tok" >"$scratch/token"
aport=$(free_port)
timeout -k 5 200 "$MONOS" run -f "$scratch/web.yaml" -p "$aport:9000" --api 9000 \
	--api-token-file "$scratch/token" >"$scratch/web.out" 2>&1 &
web=$!
healthy() { [ "$(curl -s -m 5 "http://127.0.0.1:$aport/healthz")" = '{"status":"healthy"}' ]; }
rc=0 out= err=
check "the manifest's health check runs: /healthz turns healthy" until_ok 120 healthy
run curl -s -m 5 -H "Authorization: Bearer $tok" "http://127.0.0.1:$aport/v1/app"
check "/v1/app: healthy" grep -q '"health":{"status":"healthy"' "$scratch/out"
kill "$web" 2>/dev/null
wait "$web" 2>/dev/null

# --- restart: detached, foreground, overridden -----------------------------
cat >"$scratch/fail.yaml" <<YAML
program: $GUEST/exit
args: [exit, '3']
restart: on-failure:2
YAML
run "$MONOS" run -d --name nf -f "$scratch/fail.yaml"
check "run -d -f with a restart policy starts" status_is 0
run "$MONOS" wait nf
check "the detached instance ends with the program's status" eval '[ "$out" = 3 ]'
check "... after the manifest's 2 restarts" test "$(state_of nf restarts)" = 2
run timeout -k 5 120 "$MONOS" run -f "$scratch/fail.yaml"
check "a foreground run of it runs once, with the program's status" status_is 3
run "$MONOS" run -d --name once --restart no -f "$scratch/fail.yaml"
run "$MONOS" wait once
check "--restart no overrides the manifest's policy" test "$(state_of once restarts)" = 0
run "$MONOS" run -f "$scratch/fail.yaml" --restart always
check "--restart given on the command line still needs -d" err_matches "restart needs -d"
exit $((fails > 0))
