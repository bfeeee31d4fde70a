#!/usr/bin/env bash
# CLI test: build/monos-runtime driven as runc's callers drive it, on a
# bundle made here (a static busybox rootfs and a config.json): version and
# features, runc's error style on stderr and in --log (text and json), a
# bad config refused at create with nothing left behind, then the
# lifecycle: create (gated: state "created", the pid file names the live
# monitor), start, the program's output, state "stopped", delete; kill of a
# running container; delete --force.
. "$(dirname "$0")/lib/common.bash"

BUILD_DIR=${BUILD:-build}
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$PWD/$BUILD_DIR
RT=$BUILD_DIR/monos-runtime
root=$scratch/root
busybox=/bin/busybox

run "$RT" --version
check "--version names the spec" eval 'grep -q "^spec: 1\.0\." "$scratch/out"'
run "$RT" features
check "features is JSON" python3 -m json.tool "$scratch/out"
check "features lists the hooks" eval 'grep -q "\"createRuntime\"" "$scratch/out"'
run "$RT" --root "$root" list
check "list: only the header when empty" eval '[ "$(wc -l <"$scratch/out")" -eq 1 ] && grep -q "^ID  *PID  *STATUS" "$scratch/out"'

# Errors as runc gives them: logrus text on stderr without --log; with a
# log file, the entry there and the bare message on stderr.
run "$RT" --root "$root" state nope
check "state of a missing container: status 1" status_is 1
check "... logrus text on stderr" err_matches '^time="[0-9T:-]+Z" level=error msg="container nope does not exist"$'
run "$RT" --root "$root" --log "$scratch/log.json" --log-format json state nope
check "--log json: the bare message on stderr" eval '[ "$err" = "container nope does not exist" ]'
check "--log json: the entry in the log" \
	python3 -c 'import json,sys; e=json.loads(open(sys.argv[1]).read().splitlines()[-1]); sys.exit(not (e["level"]=="error" and e["msg"]=="container nope does not exist" and e["time"]))' "$scratch/log.json"
run "$RT" --root "$root" exec nope true
check "exec into a missing container: runc's error" err_matches 'container nope does not exist'
run "$RT" --root "$root" state ../x
check "an id with a slash is refused" err_matches 'invalid id format'

if [ ! -x "$busybox" ] || ! file -L "$busybox" 2>/dev/null | grep -q static; then
	echo "skip: the lifecycle needs a static busybox at $busybox (busybox-static)"
	finish
fi
bundle=$scratch/bundle
mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs/tmp"
cp "$busybox" "$bundle/rootfs/bin/busybox"
# config ARGS_JSON: a config.json running ARGS_JSON (a JSON array).
config() {
	cat >"$bundle/config.json" <<EOF
{"ociVersion": "1.0.2", "root": {"path": "rootfs"},
 "process": {"args": $1, "cwd": "/", "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0}},
 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
 "linux": {"namespaces": [{"type": "pid"}, {"type": "network"}]}}
EOF
}

# A config that cannot be honoured: refused at create, nothing left.
config '["/bin/busybox", "true"]'
sed -i 's|"mounts": \[|"mounts": [{"destination": "/data", "type": "nfs"}, |' "$bundle/config.json"
run "$RT" --root "$root" create --bundle "$bundle" bad1
check "create refuses an nfs mount: status 1" status_is 1
check "... saying why" err_matches "mount of type 'nfs' at /data is not supported"
check "... and leaves no state" eval '[ ! -e "$root/bad1" ]'
echo '{"ociVersion": "1.0.2",' >"$bundle/config.json"
run "$RT" --root "$root" create --bundle "$bundle" bad2
check "create refuses malformed JSON with its place" err_matches 'config.json: line 2, column 1: unexpected end of input'
# A missing rootfs or program: runc's words, on stderr and in --log, nothing left.
config '["/bin/busybox", "true"]'
sed -i 's|"path": "rootfs"|"path": "norootfs"|' "$bundle/config.json"
run "$RT" --root "$root" --log "$scratch/bad.log" create --bundle "$bundle" bad3
check "create refuses a missing rootfs" err_matches 'rootfs \("[^"]*/norootfs"\) does not exist'
check "... in the log too" grep -q 'level=error msg="monos-runtime create failed: rootfs' "$scratch/bad.log"
check "... and leaves no state" eval '[ ! -e "$root/bad3" ]'
config '["/bin/nonexistent"]'
run "$RT" --root "$root" --log "$scratch/bad.log" create --bundle "$bundle" bad4
check "create refuses a missing program" err_matches 'exec: "/bin/nonexistent": stat /bin/nonexistent: no such file or directory'
check "... and leaves no state" eval '[ ! -e "$root/bad4" ]'

# The lifecycle.
config '["/bin/busybox", "echo", "hello from the container"]'
"$RT" --root "$root" create --bundle "$bundle" --pid-file "$scratch/pid" c1 >"$scratch/c1.out" 2>"$scratch/c1.err"
rc=$?
out=$(cat "$scratch/c1.out")
err=$(cat "$scratch/c1.err")
check "create: status 0" status_is 0
pid=$(cat "$scratch/pid" 2>/dev/null)
check "create: the pid file names a live process" kill -0 "${pid:-0}"
run "$RT" --root "$root" state c1
check "state after create: created" eval 'python3 -c "import json,sys; s=json.load(open(sys.argv[1])); sys.exit(not (s[\"status\"]==\"created\" and s[\"pid\"]==$pid and s[\"id\"]==\"c1\" and s[\"bundle\"]==\"$bundle\"))" "$scratch/out"'
run "$RT" --root "$root" list -q
check "list -q names it" out_has c1
run "$RT" --root "$root" start c1
check "start: status 0" status_is 0
for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
check "the monitor ends with the program" eval '! kill -0 $pid 2>/dev/null'
check "the program's output reaches create's stdout" grep -qx "hello from the container" "$scratch/c1.out"
run "$RT" --root "$root" state c1
check "state after the end: stopped, pid 0" eval 'grep -q "\"status\": \"stopped\"" "$scratch/out" && grep -q "\"pid\": 0," "$scratch/out"'
run "$RT" --root "$root" start c1
check "start of a stopped container is refused" err_matches 'cannot start a container that has stopped'
run "$RT" --root "$root" delete c1
check "delete: status 0" status_is 0
check "delete removes every trace" eval '[ ! -e "$root/c1" ]'

# kill: SIGKILL ends a running container.
config '["/bin/busybox", "sleep", "1000"]'
"$RT" --root "$root" create --bundle "$bundle" --pid-file "$scratch/pid2" c2 >/dev/null 2>&1
"$RT" --root "$root" start c2
run "$RT" --root "$root" delete c2
check "delete of a running container without --force is refused" err_matches 'cannot delete container c2 that is not stopped: running'
run "$RT" --root "$root" kill c2 KILL
check "kill c2 KILL: status 0" status_is 0
pid=$(cat "$scratch/pid2")
for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
check "SIGKILL ends the container" eval '! kill -0 $pid 2>/dev/null'
run "$RT" --root "$root" delete c2
check "delete after kill" eval '[ $rc -eq 0 ] && [ ! -e "$root/c2" ]'

# delete --force of a created (never started) container.
"$RT" --root "$root" create --bundle "$bundle" --pid-file "$scratch/pid3" c3 >/dev/null 2>&1
pid=$(cat "$scratch/pid3")
run "$RT" --root "$root" delete --force c3
check "delete --force: status 0, no state" eval '[ $rc -eq 0 ] && [ ! -e "$root/c3" ]'
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
check "delete --force ends the monitor" eval '! kill -0 $pid 2>/dev/null'
finish
