#!/usr/bin/env bash
# CLI test: host directory shares (issue 10), `monos run -v HOSTDIR:DIR[:ro]`
# over virtio-9p (cli/share.c, kernel/fs/v9fs*.c).  The compared guest
# program is tests/guest/sharefs.c (run.sh's @SHARE@); here:
# 1. What the guest writes is on the host (a file, a directory, a symlink),
#    and what the host changes during a run is seen at once (no data cache);
#    msync(MS_SYNC) writes a shared mapping back while it is mapped;
#    O_DIRECT's alignment rule;
#    on q35 (virtio-9p-pci) as on microvm.
# 2. :ro refuses every change with EROFS; reads work; the host is unchanged.
# 3. Two instances read one read-only directory at the same time.
# 4. sqlite3 makes a database on a share; the host's sqlite3 reads it.
# 5. As a user (not root): the share works and new files are the user's.
# 6. Bad -v values are one clear line, before anything boots.
. "$(dirname "$0")/lib/common.bash"

BB=/bin/busybox
RUN_TIMEOUT=120
[ -x "$BB" ] || { echo "FAILED busybox-static is needed (scripts/deps.sh)"; exit 1; }

guest() {
	run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run "$@"
}

# 1. Writes reach the host; the host's changes reach a running guest.
d=$scratch/rw
mkdir "$d"
echo old >"$d/seen"
guest -v "$d:/data" $BB sh -c 'echo hello >/data/f && mkdir /data/sub && ln -s f /data/l &&
	echo more >>/data/f && cat /data/seen'
check "rw: status 0, reads the host's file" eval 'status_is 0 && out_has old'
check "rw: the file is on the host" eval '[ "$(cat "$d/f")" = "hello
more" ]'
check "rw: the directory and the symlink too" \
	eval '[ -d "$d/sub" ] && [ "$(readlink "$d/l")" = f ]'
# The guest polls the file until the host changes it (bounded).
timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run -v "$d:/data" $BB sh -c \
	'echo started; i=0; while [ "$(cat /data/seen)" = old ] && [ $i -lt 600 ]; do
		sleep 0.1; i=$((i + 1)); done; cat /data/seen' >"$scratch/poll" 2>&1 &
pid=$!
for _ in $(seq 600); do
	grep -q started "$scratch/poll" && break
	sleep 0.1
done
echo new >"$d/seen"
wait $pid
rc=$?
check "rw: a host change is seen by the running guest" \
	eval '[ $rc -eq 0 ] && [ "$(tail -n 1 "$scratch/poll")" = new ]'
# The same for a file the host removes: the guest's cached entry goes.
timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run -v "$d:/data" $BB sh -c \
	'cat /data/seen >/dev/null; echo started; i=0; while [ -e /data/seen ] && [ $i -lt 600 ]; do
		sleep 0.1; i=$((i + 1)); done; ls /data; cat /data/seen' >"$scratch/poll" 2>&1 &
pid=$!
for _ in $(seq 600); do
	grep -q started "$scratch/poll" && break
	sleep 0.1
done
rm "$d/seen"
wait $pid
check "rw: a file the host removes is gone in the running guest" \
	eval '! grep -qx seen "$scratch/poll" && grep -q "No such file" "$scratch/poll"'

# msync(MS_SYNC) of a MAP_SHARED write reaches the host file while the
# mapping lives (before, only munmap, fsync or the exit wrote it back).
if command -v musl-gcc >/dev/null; then
	cat >"$scratch/msync.c" <<'EOF'
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
int main(void)
{
	int fd = open("/data/mapped", O_RDWR | O_CREAT, 0644), i;
	char *m;

	if (fd < 0 || ftruncate(fd, 4096) || (m = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
						       MAP_SHARED, fd, 0)) == MAP_FAILED)
		return 1;
	strcpy(m, "written through the mapping\n");
	if (msync(m, 4096, MS_SYNC))
		return 2;
	printf("synced\n");
	fflush(stdout);
	for (i = 0; i < 600 && access("/data/go", F_OK); i++)
		usleep(100000);
	return 0;
}
EOF
	musl-gcc -static -o "$scratch/msync" "$scratch/msync.c"
	timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run -v "$d:/data" "$scratch/msync" >"$scratch/poll" 2>&1 &
	pid=$!
	for _ in $(seq 600); do
		grep -q synced "$scratch/poll" && break
		sleep 0.1
	done
	head -c 28 "$d/mapped" >"$scratch/mapped" 2>/dev/null
	touch "$d/go"
	wait $pid
	rc=$?
	check "rw: msync(MS_SYNC) writes a shared mapping back while it is mapped" \
		eval '[ $rc -eq 0 ] && grep -qx "written through the mapping" "$scratch/mapped"'
	# O_DIRECT: aligned transfers work, unaligned ones are EINVAL as on the
	# host's own filesystem (QEMU's server drops the flag: the guest checks).
	cat >"$scratch/direct.c" <<'EOF'
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(void)
{
	int fd = open("/data/direct", O_RDWR | O_CREAT | O_DIRECT, 0644);
	char *b;
	long r;

	if (fd < 0 || posix_memalign((void **)&b, 4096, 8192))
		return 1;
	memset(b, 'd', 8192);
	printf("aligned write %zd\n", pwrite(fd, b, 8192, 0));
	memset(b, 0, 8192);
	r = pread(fd, b, 8192, 0);
	printf("aligned read %ld %c\n", r, b[8191]);
	r = pread(fd, b + 1, 100, 0);
	printf("unaligned read %ld %s\n", r, r < 0 ? strerror(errno) : "");
	r = pwrite(fd, b, 512, 7);
	printf("unaligned offset %ld %s\n", r, r < 0 ? strerror(errno) : "");
	return 0;
}
EOF
	musl-gcc -static -o "$scratch/direct" "$scratch/direct.c"
	guest -v "$d:/data" "$scratch/direct"
	check "O_DIRECT: aligned transfers work" \
		eval 'out_has "aligned write 8192" && out_has "aligned read 8192 d"'
	check "O_DIRECT: unaligned ones are EINVAL" eval 'out_has "unaligned read -1 Invalid argument" &&
		out_has "unaligned offset -1 Invalid argument"'
else
	echo "skip: musl-gcc is missing (musl-tools): no msync and O_DIRECT checks"
fi

guest --machine q35 -v "$d:/data" $BB cat /data/f
check "rw: on q35 (virtio-9p-pci) too" eval 'status_is 0 && out_has more'

# 2. Read-only.
r=$scratch/ro
mkdir "$r" && echo keep >"$r/k"
cp -a "$r" "$scratch/ro.before"
for cmd in 'echo x >/data/new' 'echo x >>/data/k' 'rm /data/k' 'mkdir /data/d' \
	'touch /data/k' 'chmod 600 /data/k' 'mv /data/k /data/k2' 'ln -s k /data/s'; do
	guest -v "$r:/data:ro" $BB sh -c "$cmd"
	check "ro: '$cmd' fails with EROFS" eval '! status_is 0 && err_matches "read-only file system"'
done
guest -v "$r:/data:ro" $BB cat /data/k
check "ro: reads work" eval 'status_is 0 && out_has keep'
check "ro: the host directory is unchanged" diff -r "$r" "$scratch/ro.before"

# 3. Two instances on one read-only directory at once.
for n in 1 2; do
	timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run -v "$r:/data:ro" $BB sh -c \
		'for i in 1 2 3 4 5; do cat /data/k; done' >"$scratch/two.$n" 2>&1 &
	pids[n]=$!
done
wait "${pids[1]}" && wait "${pids[2]}"
rc=$?
check "two instances share one ro directory" eval '[ $rc -eq 0 ] &&
	[ "$(grep -c keep "$scratch/two.1")" = 5 ] && [ "$(grep -c keep "$scratch/two.2")" = 5 ]'

# 4. sqlite3 on a share, read back by the host's.
if command -v sqlite3 >/dev/null; then
	q=$scratch/db
	mkdir "$q"
	guest -v "$q:/db" /usr/bin/sqlite3 /db/t.db \
		'create table t(x); insert into t values (1), (2), (39); select sum(x) from t;'
	check "sqlite3 in the guest" eval 'status_is 0 && out_has 42'
	run sqlite3 "$q/t.db" 'pragma integrity_check; select count(*) from t;'
	check "sqlite3 on the host reads it" eval 'status_is 0 && out_has ok && out_has 3'
else
	echo "FAILED sqlite3 is needed (scripts/deps.sh)"
	fails=$((fails + 1))
fi

# 5. As a user: QEMU's 9p server runs as that user (security model none).
if [ "$(id -u)" -eq 0 ] && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	# A directory nobody can reach: the test's own scratch may not be.
	u=$(mktemp -d /tmp/monos-share-user.XXXXXX)
	chown 65534:65534 "$u" && chmod 755 "$u"
	# monos and its kernel where nobody can run them: the checkout may be
	# private (a fresh clone in a 0700 directory).
	ub=$(mktemp -d /tmp/monos-share-bin.XXXXXX) && chmod 755 "$ub"
	cp "$MONOS" "$ub/monos" && cp "${MONOS_KERNEL:-$(dirname "$MONOS")/monos-kernel}" "$ub/monos-kernel"
	run env -u MONOS_KERNEL HOME=/ TMPDIR="$u" setpriv --reuid=65534 --regid=65534 --clear-groups \
		timeout -k 5 "$RUN_TIMEOUT" "$ub/monos" run -v "$u:/data" $BB sh -c \
		'echo mine >/data/m && mkdir /data/dd && cat /data/m'
	check "user: the share works" eval 'status_is 0 && out_has mine'
	check "user: new files are the user's on the host" \
		eval '[ "$(stat -c %u "$u/m")" = 65534 ] && [ "$(stat -c %u "$u/dd")" = 65534 ]'
	rm -rf "$u" "$ub"
else
	echo "ok user: skipped (not root, or setpriv cannot switch users here)"
fi

# 6. Bad values.
guest -v /nonexistent-monos-dir/x:/data $BB true
check "-v of a missing path is a disk file that cannot be opened" \
	eval 'status_is 125 && err_matches "nonexistent-monos-dir"'
guest -v "$d:relative" $BB true
check "-v DIR must be absolute" eval 'status_is 125 && err_matches "absolute"'
guest --rootfs /nonexistent-monos-dir $BB true
check "--rootfs of a missing directory" eval 'status_is 125 && err_matches "not a directory"'
finish
