#!/usr/bin/env bash
# CLI test: `monos run -u USER[:GROUP]` (cli/user.c, the kernel's per-run
# "user" entry, core/cred.c).  The program runs with the ids docker would
# give (numbers, names from the image's /etc/passwd and /etc/group, the
# generated ones or a --file's), its HOME from the passwd entry, no
# capabilities, and meets the permission checks: root's files are
# readable, not writable; root's private files and directories are closed,
# /proc/self open; /tmp is a sticky, world-writable directory where its
# files are its own; it cannot become root again.  A name the image does not know is an
# error before anything boots; a set-user-ID program gets its owner's euid;
# a program the user may not execute is 126.
. "$(dirname "$0")/lib/common.bash"

GUEST_TIMEOUT=${GUEST_TIMEOUT:-120}
# The image keeps the host's directory modes, and the user must be able to
# search every directory down to its program: TMPDIR (run.sh's, mktemp's
# 0700) would keep it out, so the files live in a 0755 directory of /tmp.
rm -rf "$scratch"
scratch=$(mktemp -d /tmp/monos-user.XXXXXX) && chmod 0755 "$scratch"
trap 'rm -rf "$scratch"' EXIT
probe=$scratch/userprobe
cat >"$scratch/userprobe.c" <<'CEOF'
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *try_open(const char *path, int flags)
{
	int fd = open(path, flags, 0644);

	if (fd < 0)
		return errno == EACCES ? "EACCES" : errno == EROFS ? "EROFS" : strerror(errno);
	close(fd);
	return "ok";
}

int main(void)
{
	unsigned r, e, s;
	gid_t g[8];
	int n = getgroups(8, g);
	struct stat st;

	getresuid(&r, &e, &s);
	printf("uid %u %u %u gid %u groups", r, e, s, (unsigned)getgid());
	for (int i = 0; i < n; i++)
		printf(" %u", (unsigned)g[i]);
	printf("\nHOME=%s\n", getenv("HOME"));
	printf("read /data/rootfile: %s\n", try_open("/data/rootfile", O_RDONLY));
	printf("write /data/rootfile: %s\n", try_open("/data/rootfile", O_WRONLY));
	printf("read /data/secret: %s\n", try_open("/data/secret", O_RDONLY));
	printf("create in /root: %s\n", try_open("/root/x", O_CREAT | O_WRONLY));
	printf("list /proc/self/fd: %s\n", try_open("/proc/self/fd", O_RDONLY | O_DIRECTORY));
	printf("create in /tmp: %s\n", try_open("/tmp/mine", O_CREAT | O_WRONLY));
	if (!stat("/tmp/mine", &st))
		printf("/tmp/mine: %u:%u\n", (unsigned)st.st_uid, (unsigned)st.st_gid);
	if (!stat("/tmp", &st))
		printf("/tmp: %o\n", (unsigned)st.st_mode & 07777);
	printf("setuid 0: %s\n", setuid(0) ? strerror(errno) : "ok");
	return 0;
}
CEOF
if ! musl-gcc -static -O2 -o "$probe" "$scratch/userprobe.c" 2>"$scratch/cc.err"; then
	cat "$scratch/cc.err"
	check "the probe builds" false
	finish
fi
mkdir -p "$scratch/data"
echo root >"$scratch/data/rootfile" && chmod 0644 "$scratch/data/rootfile"
echo secret >"$scratch/data/secret" && chmod 0600 "$scratch/data/secret"
data=(--file "$scratch/data:/data")

run timeout -k 5 "$GUEST_TIMEOUT" "$MONOS" run -u 1000:1000 "${data[@]}" "$probe"
check "-u 1000:1000: status 0" status_is 0
check "-u 1000:1000: the ids" out_has "uid 1000 1000 1000 gid 1000 groups"
check "-u 1000:1000: HOME is / (no passwd entry)" out_has "HOME=/"
check "root's file is readable" out_has "read /data/rootfile: ok"
check "root's file is not writable (the image is read-only)" out_has "write /data/rootfile: EROFS"
check "root's 0600 file is closed" out_has "read /data/secret: EACCES"
check "/root is closed" out_has "create in /root: EACCES"
check "/proc/self is the user's" out_has "list /proc/self/fd: ok"
check "/tmp is writable" out_has "create in /tmp: ok"
check "new files are the user's" out_has "/tmp/mine: 1000:1000"
check "/tmp is 1777" out_has "/tmp: 1777"
check "no way back to root" out_has "setuid 0: Operation not permitted"

run timeout -k 5 "$GUEST_TIMEOUT" "$MONOS" run "${data[@]}" "$probe"
check "root: status 0" status_is 0
check "root: the ids" out_has "uid 0 0 0 gid 0 groups"
check "root: HOME" out_has "HOME=/root"
check "root: the 0600 file" out_has "read /data/secret: ok"
check "root: /root is the image's (read-only)" out_has "create in /root: EROFS"

run timeout -k 5 "$GUEST_TIMEOUT" "$MONOS" run -u daemon "$probe"
check "-u daemon: the generated passwd's ids" out_has "uid 1 1 1 gid 1 groups"
check "-u daemon: its home" out_has "HOME=/usr/sbin"

run timeout -k 5 "$GUEST_TIMEOUT" "$MONOS" run -u 4321 "$probe"
check "-u 4321 (unknown number): group 0" out_has "uid 4321 4321 4321 gid 0 groups"

# A --file /etc/passwd and /etc/group: names, supplementary groups.
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1234:1235:app:/srv/app:/bin/false\n' \
	>"$scratch/passwd"
printf 'root:x:0:\napp:x:1235:\nextra:x:777:other,app\nnone:x:778:other\n' >"$scratch/group"
files=(--file "$scratch/passwd:/etc/passwd" --file "$scratch/group:/etc/group")
run timeout -k 5 "$GUEST_TIMEOUT" "$MONOS" run -u app "${files[@]}" "$probe"
check "-u app: ids and the groups listing it" out_has "uid 1234 1234 1234 gid 1235 groups 777"
check "-u app: its home" out_has "HOME=/srv/app"
run timeout -k 5 "$GUEST_TIMEOUT" "$MONOS" run -u app:extra "${files[@]}" "$probe"
check "-u app:extra: the group named, no others" out_has "uid 1234 1234 1234 gid 777 groups"

run timeout -k 5 "$GUEST_TIMEOUT" "$MONOS" run -u nosuchuser "$probe"
check "unknown name: status 125" status_is 125
check "unknown name: says so" err_matches "user nosuchuser: no such user in the image's /etc/passwd"
run timeout -k 5 "$GUEST_TIMEOUT" "$MONOS" run -u 1000:nosuchgroup "$probe"
check "unknown group: status 125" status_is 125
check "unknown group: says so" err_matches "no such group"
run timeout -k 5 "$GUEST_TIMEOUT" "$MONOS" run -u 1000: "$probe"
check "empty group: status 125" status_is 125

# A set-user-ID root program runs with euid 0 and root's capabilities, as
# execve gives it (docker without no-new-privileges too).
cp "$probe" "$scratch/suid" && chmod 4755 "$scratch/suid"
run timeout -k 5 "$GUEST_TIMEOUT" "$MONOS" run -u 1000:1000 "${data[@]}" "$scratch/suid"
check "set-user-ID root: euid and saved uid 0" out_has "uid 1000 0 0 gid 1000 groups"
check "set-user-ID root: root's 0600 file" out_has "read /data/secret: ok"

# A program only root may execute.
cp "$probe" "$scratch/rootonly" && chmod 0700 "$scratch/rootonly"
run timeout -k 5 "$GUEST_TIMEOUT" "$MONOS" run -u 1000 "$scratch/rootonly"
check "not executable by the user: status 126" status_is 126
check "not executable by the user: says why" err_matches "permission|EACCES"
finish
