#!/usr/bin/env bash
# CLI test: `monos run --rootfs DIR[:rw]` (issue 10; cli/share.c,
# kernel/fs/mount.c mount_link, kernel/fs/v9fs.c).  The rootfs is a
# merged-/usr tree as Debian's (/bin and /lib symlinks into /usr) made here:
# 1. Its top-level symlinks are the share's own (read by the kernel, not
#    packed): a program run through /bin, a dynamic musl program whose
#    PT_INTERP /lib/ld-musl-x86_64.so.1 is the rootfs's, through /lib.
# 2. Read-only by default: writes fail with EROFS, the host is unchanged;
#    a name found missing is not asked for again.
# 3. DIR:rw: what the guest writes lands in DIR; reading programs and
#    libraries from it changes nothing there (their mappings are read
#    through a read-only fid).
# 4. The share is "/" itself: its top-level files are seen and run, a
#    file made at / lands in DIR (:rw) or fails with EROFS, and the guest's
#    own /proc, /dev, /sys, /tmp and /run are there though DIR has no
#    directory for them (a read-only DIR is not written to make them).
# 5. Bad values are one clear line.
. "$(dirname "$0")/lib/common.bash"

BB=/bin/busybox
RUN_TIMEOUT=120
MUSL_LD=/usr/lib/x86_64-linux-musl/libc.so
[ -x "$BB" ] || { echo "FAILED busybox-static is needed (scripts/deps.sh)"; exit 1; }

guest() {
	run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run "$@"
}

r=$scratch/root
mkdir -p "$r/usr/bin" "$r/usr/lib" "$r/etc"
cp "$BB" "$r/usr/bin/busybox"
ln -s usr/bin "$r/bin"
ln -s usr/lib "$r/lib"
echo keep >"$r/etc/k"
printf '#!/bin/busybox sh\necho top-level script ran\n' >"$r/top.sh"
chmod 755 "$r/top.sh"
have_musl=false
if command -v musl-gcc >/dev/null && [ -f "$MUSL_LD" ]; then
	printf '#include <stdio.h>\nint main(void){puts("musl via the rootfs ld.so");return 5;}\n' \
		>"$scratch/hello.c"
	musl-gcc -o "$r/usr/bin/hello" "$scratch/hello.c" && cp "$MUSL_LD" "$r/usr/lib/ld-musl-x86_64.so.1" &&
		have_musl=true
fi
# Each program in the rootfs gets its mtime of 2000-01-01 so a change shows.
find "$r" -exec touch -h -d 2000-01-01 {} +
cp -a "$r" "$scratch/root.before"

# 1. The share's own top-level symlinks.
guest --rootfs "$r" $BB sh -c 'readlink /bin; readlink /lib; /bin/busybox echo through-bin'
check "links: status 0" status_is 0
check "links: /bin and /lib are the rootfs's symlinks" eval 'grep -qx usr/bin "$scratch/out" && grep -qx usr/lib "$scratch/out"'
check "links: a program runs through /bin" out_has through-bin
if $have_musl; then
	guest --rootfs "$r" $BB sh -c '/bin/hello'
	check "the rootfs's own ld.so through /lib: the program's status" status_is 5
	check "the rootfs's own ld.so through /lib: its output" out_has "musl via the rootfs ld.so"
else
	echo "skip: musl-gcc or musl's ld.so is missing (musl-tools): no dynamic program"
fi

# A read-only rootfs keeps negative entries: a name looked up again that
# the server said is missing costs no request (QEMU's 9p trace counts them).
errors_of() {
	rm -f "$scratch/trace"
	MONOS_QEMU_ARGS="-trace v9fs_rerror,file=$scratch/trace" timeout -k 5 "$RUN_TIMEOUT" \
		"$MONOS" run --rootfs "$r" $BB sh -c "$1" >/dev/null 2>&1
	grep -c v9fs_rerror "$scratch/trace"
}
once=$(errors_of 'test -e /etc/nope')
thrice=$(errors_of 'test -e /etc/nope; test -e /etc/nope; test -e /etc/nope')
check "ro: a missing name is asked for once ($once and $thrice errors)" \
	eval '[ "$once" -ge 1 ] && [ "$once" = "$thrice" ]'

# 2. Read-only unless :rw (also when said so).
for spec in "$r" "$r:ro"; do
	guest --rootfs "$spec" $BB sh -c 'echo x >/etc/new'
	check "--rootfs ${spec#$scratch/}: a write fails with EROFS" \
		eval '! status_is 0 && err_matches "read-only file system"'
done
guest --rootfs "$r" $BB cat /etc/k
check "ro: reads work" eval 'status_is 0 && out_has keep'
check "ro: the host directory is unchanged" diff -r "$r" "$scratch/root.before"
check "ro: nothing's mtime changed" eval '[ -z "$(find "$r" -newermt 2000-01-02)" ]'

# 3. :rw: the writes reach the host.  As root the rootfs is an overlayfs
# mount, as podman's: a file opened for writing is copied up, so the upper
# directory shows that the programs and libraries run were only read.
rw=$r overlay=false
if [ "$(id -u)" = 0 ] && mkdir "$scratch/upper" "$scratch/work" "$scratch/merged" &&
	mount -t overlay overlay -o "lowerdir=$r,upperdir=$scratch/upper,workdir=$scratch/work" \
		"$scratch/merged" 2>/dev/null; then
	rw=$scratch/merged overlay=true
	trap 'umount "$scratch/merged"; rm -rf "$scratch"' EXIT
fi
guest --rootfs "$rw:rw" $BB sh -c 'echo written >/etc/new && mkdir /etc/d && ln -s new /etc/l &&
	rm /etc/k && /bin/busybox true && { ! $0 || /bin/hello; }' "$have_musl"
check "rw: status 0 (or the musl program's 5)" eval 'status_is 0 || status_is 5'
check "rw: the new file is on the host" grep -qx written "$rw/etc/new"
check "rw: the directory, the symlink and the removal too" \
	eval '[ -d "$rw/etc/d" ] && [ "$(readlink "$rw/etc/l")" = new ] && [ ! -e "$rw/etc/k" ]'
if $overlay; then
	check "rw: the programs and libraries run were not opened for writing (no copy-up)" \
		eval '[ ! -e "$scratch/upper/usr" ]'
else
	echo "skip: not root: no overlayfs to see what was opened for writing"
fi

# 4. "/" is the share.
guest --rootfs "$r" $BB sh -c '/top.sh; ls /; echo x >/new; echo "write at /: $?";
	test -r /proc/self/status && test -c /dev/null && test -d /sys/kernel && echo own-trees;
	touch /tmp/t /run/r && echo own-tmpfs; grep " / " /proc/mounts; rmdir /proc'
check "root: a top-level file of the rootfs runs" out_has "top-level script ran"
check "root: ls / lists the rootfs's top-level entries" eval 'grep -qx top.sh "$scratch/out" && grep -qx usr "$scratch/out"'
check "root: a write at / of a read-only rootfs fails (EROFS)" \
	eval 'out_has "write at /: 1" && err_matches "read-only file system"'
check "root: the guest's own /proc, /dev, /sys, /tmp and /run" eval 'out_has own-trees && out_has own-tmpfs'
check "root: /proc/mounts shows the share at /" eval 'grep -q "^rootfs / 9p ro" "$scratch/out"'
check "root: the guest's own /proc cannot be removed (EBUSY)" err_matches "rmdir.*/proc.*busy"
check "root: nothing made in the read-only rootfs" \
	eval '[ ! -e "$r/new" ] && [ ! -e "$r/proc" ] && [ ! -e "$r/dev" ] && [ ! -e "$r/run" ]'
guest --rootfs "$rw:rw" $BB sh -c 'echo made >/newfile && /top.sh && cd / && pwd && ls -a .. | grep -x top.sh'
check "rw root: status 0" status_is 0
check "rw root: a file made at / is on the host" grep -qx made "$rw/newfile"
check "rw root: .. of / is /" out_has top.sh
check "rw root: no mount point made for the guest's own trees" \
	eval '[ ! -e "$rw/proc" ] && [ ! -e "$rw/dev" ] && [ ! -e "$rw/tmp" ]'

# 5. Bad values.
guest --rootfs "$scratch/nonexistent:rw" $BB true
check "a missing rootfs: one clear line" eval '! status_is 0 && err_matches "rootfs .*nonexistent: not a directory"'
finish
