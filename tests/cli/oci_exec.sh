#!/usr/bin/env bash
# CLI test: `podman exec` into a container run by build/monos-runtime
# (cli/cmd_runtime_exec.c: runc's exec, --process and --detach as conmon
# calls it), against the same under runc: output and exit status of exec
# with -e, -w, -u, stdin (-i), a status, a missing program.  Then
# monos-runtime exec by hand: without --detach, and with --detach and
# --pid-file (the pid's process exits with the exec'd one's status).
# Skips (saying why) where podman or runc is missing or cannot run here.
. "$(dirname "$0")/lib/common.bash"

BUILD_DIR=${BUILD:-build}
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$PWD/$BUILD_DIR
RT=$BUILD_DIR/monos-runtime
image=localhost/monos-oci-exec:test
ulimits=(--ulimit "nofile=1024:1024" --ulimit "nproc=1024:1024")

for tool in podman runc; do
	if ! command -v $tool >/dev/null; then
		echo "skip: $tool is not installed (scripts/deps.sh installs it)"
		finish
	fi
done
if [ "$(id -u)" != 0 ]; then
	echo "skip: podman's rootful mode is needed (user namespaces are not supported)"
	finish
fi
mkdir -p "$scratch/img/bin" "$scratch/img/tmp" "$scratch/img/etc"
cp /bin/busybox "$scratch/img/bin/busybox"
for c in sh echo id pwd cat sleep true wc; do ln -s busybox "$scratch/img/bin/$c"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$scratch/img/etc/passwd"
echo 'root:x:0:' >"$scratch/img/etc/group"
tar -C "$scratch/img" -cf "$scratch/img.tar" .
if ! podman import -q "$scratch/img.tar" "$image" >/dev/null 2>"$scratch/err"; then
	echo "skip: podman import failed: $(head -c 200 "$scratch/err")"
	finish
fi
c_runc=monos-exec-runc-$$
c_monos=monos-exec-monos-$$
trap 'podman rm -f -t 0 $c_runc $c_monos >/dev/null 2>&1; podman rmi -f $image >/dev/null 2>&1; rm -rf "$scratch"' EXIT
if ! podman run -d --name $c_runc "${ulimits[@]}" --runtime /usr/sbin/runc "$image" sleep 1000 \
	>/dev/null 2>"$scratch/err"; then
	echo "skip: podman cannot run runc here: $(head -c 200 "$scratch/err")"
	finish
fi
run podman run -d --name $c_monos "${ulimits[@]}" --runtime "$RT" "$image" sleep 1000
check "a container under monos-runtime runs" status_is 0

# same NAME [FLAGS...] -- CMD...: podman exec FLAGS CTR CMD in each
# container gives the same stdout and exit status (stdin from $scratch/in).
: >"$scratch/in"
same() {
	local name=$1 flags=()
	shift
	while [ "$1" != -- ]; do
		flags+=("$1")
		shift
	done
	shift
	podman exec "${flags[@]}" $c_runc "$@" <"$scratch/in" >"$scratch/runc.out" 2>"$scratch/runc.err"
	local runc_rc=$?
	run podman exec "${flags[@]}" $c_monos "$@" <"$scratch/in"
	check "$name: status $runc_rc as under runc" status_is "$runc_rc"
	[ "$rc" = "$runc_rc" ] || echo "    runc's stderr: $(head -c 200 "$scratch/runc.err")"
	check "$name: the same output as under runc" cmp -s "$scratch/runc.out" "$scratch/out"
}

same "exec echo" -- echo hello
check "... which is the command's" grep -qx hello "$scratch/runc.out"
same "exec: a status" -- sh -c 'echo out; exit 3'
same "exec -e" -e FOO=bar -- sh -c 'echo $FOO'
same "exec -w" -w /tmp -- pwd
same "exec -u 1000:1000" -u 1000:1000 -- id
same "exec: a missing program" -- /bin/nonexistent
printf 'a\nb\n' >"$scratch/in"
same "exec -i (stdin)" -i -- wc -l
check "... which was read" grep -qx 2 "$scratch/out"
: >"$scratch/in"
# -t: conmon passes --tty and --console-socket (a pty for the exec).
same "exec -t (a terminal)" -t -- sh -c '[ -t 0 ] && [ -t 1 ] && echo a terminal; exit 4'
check "... which was one" grep -q "a terminal" "$scratch/out"

# By hand, as containerd's shim and conmon call it.
rc_err() { status_is "$1" && err_matches "$2"; }
rc_out() { status_is "$1" && out_has "$2"; }
id=$(podman inspect --format '{{.Id}}' $c_monos)
# podman gives each runtime its own --root under /run: find the container's.
rtroot=$(dirname "$(ls -d /run/*/"$id" 2>/dev/null | head -1)")
if [ -d "$rtroot/$id" ]; then
	run "$RT" --root "$rtroot" exec "$id" sh -c 'echo by-hand; exit 5'
	check "monos-runtime exec ID CMD: output and status" rc_out 5 by-hand
	run "$RT" --root "$rtroot" exec --detach --pid-file "$scratch/pid" "$id" sh -c 'sleep 1; exit 6'
	check "exec --detach returns at once" status_is 0
	pid=$(cat "$scratch/pid" 2>/dev/null)
	check "... its pid file names a live process" kill -0 "${pid:-0}"
	check "... which ends" until_ok 60 bash -c "! kill -0 $pid"
	run "$RT" --root "$rtroot" exec --detach "$id" /no/such
	check "exec --detach of a missing program fails as runc's" rc_err 1 "executable file not found"
else
	echo "ok (not checked: monos-runtime's state directory for podman was not found)"
fi
finish
