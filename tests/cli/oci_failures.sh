#!/usr/bin/env bash
# CLI test: failures under podman with build/monos-runtime (issue 10's "Bad
# input"): a mount the guest cannot honour fails `podman run` with the
# runtime's runc-style message shown by podman; QEMU killed under a
# running container is that container's failure with a status (podman
# wait returns, ps shows it exited), never a hung podman; after `podman rm`
# nothing of the container is left: no process, no state directory, no
# socket.  Skips (saying why) where podman is missing or cannot run here.
. "$(dirname "$0")/lib/common.bash"

BUILD_DIR=${BUILD:-build}
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$PWD/$BUILD_DIR
RT=$BUILD_DIR/monos-runtime
image=localhost/monos-fail-busybox:test
ulimits=(--ulimit "nofile=1024:1024" --ulimit "nproc=1024:1024")

if ! command -v podman >/dev/null; then
	echo "skip: podman is not installed (scripts/deps.sh installs it)"
	finish
fi
if [ "$(id -u)" != 0 ]; then
	echo "skip: podman's rootful mode is needed (user namespaces are not supported)"
	finish
fi
mkdir -p "$scratch/img/bin"
cp /bin/busybox "$scratch/img/bin/busybox"
for c in sh sleep true; do ln -s busybox "$scratch/img/bin/$c"; done
tar -C "$scratch/img" -cf "$scratch/img.tar" .
if ! podman import -q "$scratch/img.tar" "$image" >/dev/null 2>"$scratch/err"; then
	echo "skip: podman import failed: $(head -c 200 "$scratch/err")"
	finish
fi
trap 'podman rm -f -t 0 monos-fail-qemu >/dev/null 2>&1; podman rmi -f "$image" >/dev/null 2>&1; rm -rf "$scratch"' EXIT

# A tmpfs at a place the guest has none of its own: refused at create.
run timeout 120 podman run --rm "${ulimits[@]}" --runtime "$RT" --tmpfs /data "$image" true
check "an unhonourable mount: podman run fails" eval '[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]'
check "... podman shows the runtime's message" err_matches "mount of type 'tmpfs' at /data is not supported"

# QEMU killed: the container fails with a status, podman does not hang.
run podman run -d "${ulimits[@]}" --runtime "$RT" --name monos-fail-qemu "$image" sleep 1000
check "run -d: status 0" status_is 0
id=$(podman inspect --format '{{.Id}}' monos-fail-qemu 2>/dev/null)
monitor=$(podman inspect --format '{{.State.Pid}}' monos-fail-qemu 2>/dev/null)
qemu=""
for _ in $(seq 100); do
	qemu=$(pgrep -P "${monitor:-1}" -f qemu-system | head -1)
	[ -n "$qemu" ] && break
	sleep 0.1
done
check "the container's QEMU found (monitor $monitor)" eval '[ -n "$qemu" ]'
[ -n "$qemu" ] && kill -KILL "$qemu"
run timeout 60 podman wait monos-fail-qemu
check "podman wait returns (no hang)" eval '[ "$rc" -ne 124 ]'
check "... with a failure status" eval '[ "$rc" -eq 0 ] && [ -n "$out" ] && [ "$out" -ne 0 ]'
run podman ps -a --format '{{.Names}} {{.Status}}'
check "podman ps shows it exited" eval 'grep -q "^monos-fail-qemu Exited" "$scratch/out"'

# Nothing left after podman rm.
podman rm -f -t 0 monos-fail-qemu >/dev/null 2>&1
check "the monitor is gone" eval '[ -n "$monitor" ] && ! kill -0 "$monitor" 2>/dev/null'
check "no process names the container" eval '! pgrep -f "$id" >/dev/null'
check "no state directory of it under /run" eval '[ -z "$(find /run -maxdepth 4 -name "$id" 2>/dev/null)" ]'
check "no socket of it" eval '! ss -xlp 2>/dev/null | grep -q "$id"'
finish
