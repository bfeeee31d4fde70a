#!/usr/bin/env bash
# CLI test: Debian's podman with build/monos-runtime as its OCI runtime,
# compared with runc on the same image (issue 10's "What must show it"):
# output and exit status of `podman run --rm`, with -e, -w, -u and
# --hostname; `podman run -d` with ps, logs and stop; a writable root seen
# by `podman diff`.  The images are made offline: `podman import` of
# tarballs holding Debian's static busybox; python3 and its libraries laid
# out as Debian's merged /usr; a dynamic musl program as Alpine's.
# Skips (saying why) where podman or runc is missing or cannot run here.
#
# This machine's containers cannot raise RLIMIT_NOFILE/NPROC to podman's
# defaults (runc then fails "error setting rlimits"), so every run passes
# --ulimit values within the host's limits, to both runtimes alike.
. "$(dirname "$0")/lib/common.bash"

BUILD_DIR=${BUILD:-build}
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$PWD/$BUILD_DIR
RT=$BUILD_DIR/monos-runtime
image=localhost/monos-oci-busybox:test
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
mkdir -p "$scratch/img/www"
echo "hello from a monos container" >"$scratch/img/www/index.html"
for c in sh echo id pwd hostname cat sleep env true tty httpd ip grep; do ln -s busybox "$scratch/img/bin/$c"; done
cp /bin/busybox "$scratch/img/busybox" # a top-level program, as a pause image's /catatonit
echo 'root:x:0:0:root:/root:/bin/sh' >"$scratch/img/etc/passwd"
echo 'root:x:0:' >"$scratch/img/etc/group"
tar -C "$scratch/img" -cf "$scratch/img.tar" .
if ! podman import -q "$scratch/img.tar" "$image" >/dev/null 2>"$scratch/err"; then
	echo "skip: podman import failed: $(head -c 200 "$scratch/err")"
	finish
fi
run podman run --rm "${ulimits[@]}" --runtime /usr/sbin/runc "$image" true
if [ "$rc" -ne 0 ]; then
	echo "skip: podman cannot run runc here: ${err:0:200}"
	finish
fi

# same NAME ARGS...: podman run --rm ARGS under runc and under monos-runtime
# give the same stdout and exit status.
same() {
	local name=$1
	shift
	podman run --rm "${ulimits[@]}" --runtime /usr/sbin/runc "$@" >"$scratch/runc.out" 2>"$scratch/runc.err"
	local runc_rc=$?
	run podman run --rm "${ulimits[@]}" --runtime "$RT" "$@"
	check "$name: status $runc_rc as under runc" status_is "$runc_rc"
	check "$name: the same output as under runc" cmp -s "$scratch/runc.out" "$scratch/out"
}

same "echo" "$image" echo hello
same "exit status" "$image" sh -c 'echo out; exit 3'
same "-e" -e FOO=bar "$image" sh -c 'echo $FOO'
same "-w" -w /tmp "$image" pwd
same "-u 1000:1000" -u 1000:1000 "$image" id
same "--hostname" --hostname box1 "$image" hostname
same "a missing program" "$image" /bin/nonexistent
# The rootfs is the guest's "/" itself: its top-level files are seen.
same "a top-level program of the image" "$image" /busybox echo a top-level program
# process.rlimits are set in the guest before the program starts, as runc
# sets them (podman passes --ulimit as config.json's rlimits).
# The core limit stays within this shell's hard limit (tests/run.sh sets it
# to 0), which runc cannot raise: it would fail with status 126.
core_hard=$(ulimit -Hc)
[ "$core_hard" = unlimited ] && core_hard=-1
same "--ulimit (rlimits)" --ulimit nofile=500:1000 --ulimit nproc=300:600 --ulimit "core=0:$core_hard" \
	"$image" sh -c 'ulimit -n; ulimit -Hn; ulimit -u; ulimit -Hu; ulimit -c; ulimit -Hc'
same "-t (a terminal)" -t "$image" sh -c 'tty; [ -t 1 ] && echo a terminal; exit 4' </dev/null

# A writable root (root.readonly false, podman's default): what the
# container writes is in the rootfs, so `podman diff` lists it, and only it
# (the programs it ran were read, not opened for writing: no copy-up).
podman rm -f monos-oci-diff >/dev/null 2>&1
run podman run "${ulimits[@]}" --runtime "$RT" --name monos-oci-diff "$image" \
	sh -c 'echo x >/etc/written && mkdir /www/new && echo top >/newfile'
check "writable root: status 0" status_is 0
run podman diff monos-oci-diff
check "podman diff lists the file the container wrote" out_has "A /etc/written"
check "podman diff lists the directory it made" out_has "A /www/new"
check "podman diff lists the file made at / itself" out_has "A /newfile"
mnt=$(podman mount monos-oci-diff 2>/dev/null)
check "the file made at / is in the container's rootfs on the host" \
	eval '[ -n "$mnt" ] && grep -qx top "$mnt/newfile"'
podman umount monos-oci-diff >/dev/null 2>&1
check "podman diff lists nothing the container only ran" eval '! grep -q busybox "$scratch/out"'
podman rm -f monos-oci-diff >/dev/null 2>&1
# --read-only (root.readonly true): EROFS, as under runc (podman's default
# tmpfs mounts for it are not supported yet: left out).
same "--read-only root" --read-only --read-only-tmpfs=false "$image" \
	sh -c 'echo x >/etc/written 2>/dev/null; echo $?; cat /etc/written'

# Images as Debian's and Alpine's are laid out, run wholly from the rootfs
# share with their own ld.so: python3 from Debian's binaries with /bin,
# /lib, /lib64 and /sbin symlinks into /usr (the kernel reads them from the
# share); a dynamic musl program beside static busybox in real /bin and /lib.
p=$scratch/py
mkdir -p "$p/usr/bin" "$p/usr/sbin" "$p/usr/lib/x86_64-linux-gnu" "$p/usr/lib64" \
	"$p/usr/lib/python3.11/lib-dynload" "$p/etc" "$p/tmp"
for l in bin lib lib64 sbin; do ln -s "usr/$l" "$p/$l"; done
cp /usr/bin/python3.11 "$p/usr/bin/" && ln -s python3.11 "$p/usr/bin/python3"
for lib in $(ldd /usr/bin/python3.11 | awk '/=>/ { print $3 }') /lib64/ld-linux-x86-64.so.2; do
	cp -L "$lib" "$p/usr/lib/x86_64-linux-gnu/"
done
ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$p/usr/lib64/"
cp /usr/lib/python3.11/*.py "$p/usr/lib/python3.11/"
cp -r /usr/lib/python3.11/{encodings,collections,re,importlib,json} "$p/usr/lib/python3.11/"
tar -C "$p" -cf "$scratch/py.tar" . && podman import -q "$scratch/py.tar" "$image-py" >/dev/null
same "python3 (Debian's, merged /usr)" "$image-py" python3 -B -c \
	'import json, sys; print(json.dumps({"argv": sys.argv[1:]})); sys.exit(6)' a b
podman rmi -f "$image-py" >/dev/null 2>&1
if command -v musl-gcc >/dev/null && [ -f /usr/lib/x86_64-linux-musl/libc.so ]; then
	a=$scratch/alpine
	mkdir -p "$a/bin" "$a/lib" "$a/usr/bin" "$a/etc"
	cp /bin/busybox "$a/bin/" && ln -s busybox "$a/bin/sh"
	cp /usr/lib/x86_64-linux-musl/libc.so "$a/lib/ld-musl-x86_64.so.1"
	printf '#include <stdio.h>\nint main(void){puts("musl");return 3;}\n' >"$scratch/m.c"
	musl-gcc -o "$a/usr/bin/m" "$scratch/m.c"
	tar -C "$a" -cf "$scratch/alpine.tar" . && podman import -q "$scratch/alpine.tar" "$image-musl" >/dev/null
	same "a dynamic musl program (Alpine-like)" "$image-musl" sh -c '/usr/bin/m; echo $?'
	podman rmi -f "$image-musl" >/dev/null 2>&1
else
	echo "skip: musl-gcc or musl's ld.so is missing (musl-tools): no Alpine-like image"
fi

# -v: the container's writes reach the host directory.
mkdir -p "$scratch/data"
run podman run --rm "${ulimits[@]}" --runtime "$RT" -v "$scratch/data:/data" "$image" \
	sh -c 'echo written in the guest >/data/f'
check "-v: status 0" status_is 0
check "-v: the write is on the host" grep -qx "written in the guest" "$scratch/data/f"

# -p: podman's network namespace and port forwarding reach the guest.
port=$(free_port)
run podman run -d "${ulimits[@]}" --runtime "$RT" --name monos-oci-web -p "$port:80" "$image" \
	httpd -f -p 80 -h /www
check "-p: run -d httpd: status 0" status_is 0
for _ in $(seq 150); do curl -sf -m 2 "http://127.0.0.1:$port/" >"$scratch/page" && break; sleep 0.2; done
check "-p $port:80: curl gets the container's page" grep -qx "hello from a monos container" "$scratch/page"
podman rm -f monos-oci-web >/dev/null 2>&1

# The guest's eth0 has the MAC address of the namespace's eth0 (the one
# podman gave the container and shows in inspect), as under runc.
for rt in /usr/sbin/runc "$RT"; do
	podman run -d "${ulimits[@]}" --runtime "$rt" --name monos-oci-mac "$image" \
		sh -c 'ip link show eth0 | grep -o "link/ether [0-9a-f:]*"; sleep 60' >/dev/null 2>&1
	for _ in $(seq 150); do podman logs monos-oci-mac 2>/dev/null | grep -q link/ether && break; sleep 0.2; done
	mac=$(podman inspect --format '{{.NetworkSettings.MacAddress}}' monos-oci-mac 2>/dev/null)
	run podman logs monos-oci-mac
	check "eth0's MAC is the one podman shows ($mac) under $(basename "$rt")" \
		eval '[ -n "$mac" ] && grep -qx "link/ether $mac" "$scratch/out"'
	podman rm -f -t 0 monos-oci-mac >/dev/null 2>&1
done

# Detached: ps shows it, logs has its output, stop ends it with SIGTERM.
run podman run -d "${ulimits[@]}" --runtime "$RT" --name monos-oci-test "$image" \
	sh -c 'echo started; trap "echo got TERM; exit 7" TERM; while :; do sleep 1; done'
check "run -d: status 0" status_is 0
for _ in $(seq 150); do podman logs monos-oci-test 2>/dev/null | grep -q started && break; sleep 0.2; done
run podman ps --format '{{.Names}} {{.Status}}'
check "podman ps shows it up" eval 'grep -q "^monos-oci-test Up" "$scratch/out"'
run podman logs monos-oci-test
check "podman logs has its output" out_has started
run podman stop -t 30 monos-oci-test
check "podman stop: status 0" status_is 0
run podman inspect --format '{{.State.ExitCode}}' monos-oci-test
check "stopped by SIGTERM: the trap's status 7" out_has 7
podman rm -f monos-oci-test >/dev/null 2>&1
podman rmi -f "$image" >/dev/null 2>&1
finish
