#!/usr/bin/env bash
# CLI test: Debian's containerd with build/monos-runtime as the runc binary
# of its runc shim v2 (io.containerd.runc.v2, the option BinaryName, which
# `ctr run --runc-binary` sets and a Kubernetes RuntimeClass's config.toml
# entry sets: docs/containerd.md), compared with runc on the same image
# (issue 10): `ctr run --rm` output and exit status, with --env and --cwd;
# a detached task: `ctr task ls`, kill with SIGTERM to a trap and its
# status; `ctr task exec` runs a second process (its output and status); nothing of a
# deleted container left (no monitor, no state directory).
#
# containerd is started here, by hand, with its own root, state, socket and
# config.toml in the scratch directory (the CRI plugin off: no cluster), so
# nothing of the machine's own containerd is touched.  The image is made
# offline: `podman import` of a tarball of Debian's static busybox,
# `podman save` and `ctr images import`.  Skips (saying why) where
# containerd, podman or runc is missing or cannot run here.
. "$(dirname "$0")/lib/common.bash"

BUILD_DIR=${BUILD:-build}
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$PWD/$BUILD_DIR
RT=$BUILD_DIR/monos-runtime
image=localhost/monos-ctrd-busybox:test
ns=monos-test-$$ # containerd namespace: the shim's runc state is /run/containerd/runc/NS

for tool in containerd ctr containerd-shim-runc-v2 podman runc; do
	if ! command -v $tool >/dev/null; then
		echo "skip: $tool is not installed (scripts/deps.sh installs it)"
		finish
	fi
done
if [ "$(id -u)" != 0 ]; then
	echo "skip: containerd runs containers as root only here"
	finish
fi

# containerd's own directories under a short path (a unix socket's path
# has at most 107 bytes).
cd_dir=$(mktemp -d /tmp/monos-ctrd.XXXXXX)
sock=$cd_dir/containerd.sock
cat >"$cd_dir/config.toml" <<EOF
version = 2
root = "$cd_dir/root"
state = "$cd_dir/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$sock"
EOF
containerd -c "$cd_dir/config.toml" --root "$cd_dir/root" --state "$cd_dir/state" \
	--address "$sock" >"$cd_dir/containerd.log" 2>&1 &
cd_pid=$!
cleanup() {
	ctr --address "$sock" -n "$ns" tasks kill -s SIGKILL tk >/dev/null 2>&1
	kill "$cd_pid" 2>/dev/null
	wait "$cd_pid" 2>/dev/null
	umount "$cd_dir"/state/io.containerd.runtime.v2.task/*/*/rootfs 2>/dev/null
	rmdir "/run/containerd/runc/$ns" 2>/dev/null
	rm -rf "$cd_dir" "$scratch"
	podman rmi -f "$image" >/dev/null 2>&1
}
trap cleanup EXIT
C=(ctr --address "$sock" -n "$ns")
for _ in $(seq 100); do "${C[@]}" version >/dev/null 2>&1 && break; sleep 0.1; done
if ! "${C[@]}" version >/dev/null 2>&1; then
	echo "skip: containerd did not start: $(tail -c 300 "$cd_dir/containerd.log")"
	finish
fi

mkdir -p "$scratch/img/bin" "$scratch/img/tmp" "$scratch/img/etc"
cp /bin/busybox "$scratch/img/bin/busybox"
for c in sh echo pwd cat sleep env true; do ln -s busybox "$scratch/img/bin/$c"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$scratch/img/etc/passwd"
echo 'root:x:0:' >"$scratch/img/etc/group"
tar -C "$scratch/img" -cf "$scratch/img.tar" .
if ! podman import -q "$scratch/img.tar" "$image" >/dev/null 2>"$scratch/err" ||
	! podman save -q -o "$scratch/save.tar" "$image" 2>"$scratch/err" ||
	! "${C[@]}" images import "$scratch/save.tar" >/dev/null 2>"$scratch/err"; then
	echo "skip: the image could not be made: $(head -c 200 "$scratch/err")"
	finish
fi
run "${C[@]}" run --rm --runc-binary "$(command -v runc)" "$image" probe true
if [ "$rc" -ne 0 ]; then
	echo "skip: containerd cannot run runc here: ${err:0:200}"
	finish
fi

# same NAME CTR_RUN_OPTIONS... -- ARGS...: `ctr run --rm` under runc and
# under monos-runtime (as the runc shim v2's BinaryName) give the same
# stdout and exit status.
n=0
same() {
	local name=$1 opts=()
	shift
	while [ "$1" != -- ]; do opts+=("$1") && shift; done
	shift
	n=$((n + 1))
	"${C[@]}" run --rm --runtime io.containerd.runc.v2 --runc-binary "$(command -v runc)" \
		"${opts[@]}" "$image" "r$n" "$@" >"$scratch/runc.out" 2>"$scratch/runc.err"
	local runc_rc=$?
	run "${C[@]}" run --rm --runtime io.containerd.runc.v2 --runc-binary "$RT" \
		"${opts[@]}" "$image" "m$n" "$@"
	check "$name: status $runc_rc as under runc" status_is "$runc_rc"
	check "$name: the same output as under runc" cmp -s "$scratch/runc.out" "$scratch/out"
}
same "echo" -- echo hello from containerd
same "exit status" -- sh -c 'echo out; exit 3'
same "--env" --env FOO=bar -- sh -c 'echo $FOO'
same "--cwd" --cwd /tmp -- pwd

# A detached task: listed as running, exec into it, SIGTERM to its trap.
run "${C[@]}" run -d --runc-binary "$RT" "$image" tk \
	sh -c 'trap "echo got TERM; exit 7" TERM; echo started; while :; do sleep 1; done'
check "run -d: status 0" status_is 0
monitor=$("${C[@]}" tasks ls 2>/dev/null | awk '$1 == "tk" { print $2 }')
run "${C[@]}" tasks ls
check "tasks ls: tk is RUNNING" eval 'grep -qE "^tk +[0-9]+ +RUNNING" "$scratch/out"'
run "${C[@]}" tasks exec --exec-id e1 tk sh -c 'echo from exec; exit 4'
check "tasks exec: the process's status" status_is 4
check "tasks exec: its output" out_has "from exec"
sleep 2 # the guest's shell sets its trap
run "${C[@]}" tasks kill -s SIGTERM tk
check "tasks kill SIGTERM: status 0" status_is 0
for _ in $(seq 300); do
	"${C[@]}" tasks ls 2>/dev/null | grep -qE "^tk .*STOPPED" && break
	sleep 0.1
done
run "${C[@]}" tasks delete tk
check "tasks delete: the trap's status 7" err_matches "exit code 7"
"${C[@]}" containers delete tk >/dev/null 2>&1

# Nothing left: the monitor is gone, and so is every state directory of
# the runtime under the shim's root and containerd's state.
check "the monitor ($monitor) is gone" eval '[ -n "$monitor" ] && ! kill -0 "$monitor" 2>/dev/null'
check "no state under the shim's runc root" eval '[ -z "$(ls -A /run/containerd/runc/$ns 2>/dev/null)" ]'
check "no task directory in containerd's state" \
	eval '[ -z "$(ls -A "$cd_dir/state/io.containerd.runtime.v2.task/$ns" 2>/dev/null)" ]'
check "no monos process for this namespace" \
	eval '! pgrep -f -- "--root /run/containerd/runc/$ns" >/dev/null'
finish
