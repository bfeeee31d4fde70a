/*
 * Guest test for tests/cli/mount.sh: mount(2) and umount2(2) of tmpfs with
 * Linux's rules (fs/namespace.c): a tmpfs mounted on a new directory hides
 * what was there and takes files, lookups cross it both ways ("..", getcwd),
 * renames and links across it give EXDEV, its mount point cannot be removed
 * or renamed (EBUSY), an open file or a working directory in it makes
 * umount EBUSY, MNT_EXPIRE and MNT_DETACH, remount read-only, size=,
 * stacked mounts, /proc/mounts and /proc/self/mountinfo lines, the EINVAL,
 * ENOENT, ENOTDIR and ENODEV cases, and EPERM without CAP_SYS_ADMIN.  And
 * a regular file in /dev, which shares the boot tmpfs' size accounting.
 *
 * It changes the mount table: the CLI test runs it natively only under
 * `unshare --mount` (a private namespace), never in tests/run.sh's plain
 * native runs.  Paths differ between runs and are not printed.
 */
#include "guest.h"
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>

#define TMPFS_MAGIC   0x01021994
#define CAP_VERSION_3 0x20080522
#define MIB	      (1 << 20)

static char top[64], mnt[80], file[96], sub[96];

struct cap_header {
	unsigned version;
	int pid;
};

struct cap_data {
	unsigned effective, permitted, inheritable;
};

static int drop_caps(void)
{
	struct cap_header h = { CAP_VERSION_3, 0 };
	struct cap_data d[2] = { { 0 } };

	return (int)syscall(SYS_capset, &h, d);
}

/* Is there a line in /proc/`name` holding `needle`? */
static int proc_has(const char *name, const char *needle)
{
	char path[64], line[1024];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/self/%s", name);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f))
		found |= strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);

	guest_check(path == file ? "create a file in the mount" : "create a file",
		    fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

/* The new tmpfs takes the place of `mnt`, and lookups cross it. */
static void crossing(void)
{
	struct stat st, parent, dotdot;
	char cwd[256], want[128];

	guest_check("mount tmpfs", mount("tmpfs", mnt, "tmpfs", 0, "mode=0750") == 0);
	guest_check("stat the mount", stat(mnt, &st) == 0 && stat(top, &parent) == 0);
	printf("mode %o, a device of its own: %d\n", st.st_mode, st.st_dev != parent.st_dev);
	guest_check("what was there is hidden", !exists(sub));
	write_file(file, "hello");
	snprintf(want, sizeof(want), "%s/d", mnt);
	guest_check("mkdir in the mount", mkdir(want, 0755) == 0);
	snprintf(want, sizeof(want), "%s/..", mnt);
	guest_check("\"..\" of the mount root is its parent",
		    stat(want, &dotdot) == 0 && dotdot.st_ino == parent.st_ino &&
			    dotdot.st_dev == parent.st_dev);
	snprintf(want, sizeof(want), "%s/d", mnt);
	guest_check("chdir into the mount", chdir(want) == 0);
	guest_check("getcwd", getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, want));
	guest_check("chdir ../..", chdir("../..") == 0);
	guest_check("getcwd is the parent", getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, top));
}

static void busy(void)
{
	char other[96];
	int fd;

	snprintf(other, sizeof(other), "%s/x", top);
	guest_check_err("rename across the mount", rename(file, other), EXDEV);
	guest_check_err("link across the mount", link(file, other), EXDEV);
	guest_check_err("rmdir the mount point", rmdir(mnt), EBUSY);
	guest_check_err("rename the mount point", rename(mnt, other), EBUSY);
	fd = open(file, O_RDONLY);
	guest_check_err("umount with a file open", umount(mnt), EBUSY);
	close(fd);
	guest_check("chdir into it", chdir(mnt) == 0);
	guest_check_err("umount with the cwd in it", umount(mnt), EBUSY);
	guest_check("chdir out", chdir("/") == 0);
	guest_check_err("MNT_EXPIRE | MNT_DETACH", umount2(mnt, MNT_EXPIRE | MNT_DETACH), EINVAL);
	guest_check_err("MNT_EXPIRE once", umount2(mnt, MNT_EXPIRE), EAGAIN);
	guest_check("MNT_EXPIRE twice unmounts", umount2(mnt, MNT_EXPIRE) == 0);
	guest_check("what was there is back", exists(sub) && !exists(file));
}

static void remount_and_size(void)
{
	struct statfs sf;
	char *buf = calloc(1, 2 * MIB), line[128];
	struct stat st;
	int fd;

	guest_check("mount size=1m", mount("tmpfs", mnt, "tmpfs", 0, "size=1m") == 0);
	guest_check("statfs", statfs(mnt, &sf) == 0);
	printf("type %lx, blocks %ld of %ld bytes\n", (long)sf.f_type, (long)sf.f_blocks,
	       (long)sf.f_bsize);
	fd = open(file, O_CREAT | O_WRONLY, 0644);
	printf("2 MiB into 1 MiB: %zd written\n", write(fd, buf, 2 * MIB));
	guest_check_err("then a write", write(fd, buf, 1), ENOSPC);
	close(fd);
	free(buf);
	guest_check("remount read-only", mount(NULL, mnt, NULL, MS_REMOUNT | MS_RDONLY, NULL) == 0);
	snprintf(line, sizeof(line), "%s tmpfs ro,", mnt);
	guest_check("/proc/mounts says ro", proc_has("mounts", line) == 1);
	guest_check_err("create on it", open(sub, O_CREAT | O_WRONLY, 0644), EROFS);
	guest_check_err("write-open on it", open(file, O_WRONLY), EROFS);
	guest_check("statfs says read-only", statfs(mnt, &sf) == 0 && (sf.f_flags & ST_RDONLY));
	guest_check("remount read-write", mount(NULL, mnt, NULL, MS_REMOUNT, NULL) == 0);
	guest_check_err("remount below what is in use",
			mount(NULL, mnt, NULL, MS_REMOUNT, "size=4k"), EINVAL);
	guest_check_err("remount with a bad option", mount(NULL, mnt, NULL, MS_REMOUNT, "bogus=1"),
			EINVAL);
	guest_check("remount size=2m", mount(NULL, mnt, NULL, MS_REMOUNT, "size=2m,mode=700") == 0);
	guest_check("statfs", statfs(mnt, &sf) == 0 && stat(mnt, &st) == 0);
	printf("blocks %ld, mode %o (remount leaves it)\n", (long)sf.f_blocks, st.st_mode);
	write_file(file, "again");
	guest_check("umount", umount(mnt) == 0);
	guest_check("mount size=0",
		    mount("tmpfs", mnt, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=0") == 0);
	guest_check("statfs", statfs(mnt, &sf) == 0);
	printf("no limit: blocks %ld, free %ld\n", (long)sf.f_blocks, (long)sf.f_bfree);
	printf("flags %#lx (nosuid, noexec, relatime)\n", (long)sf.f_flags);
	guest_check("umount", umount(mnt) == 0);
}

/* A second mount covers the first; MNT_DETACH leaves open files working. */
static void stack_and_detach(void)
{
	char buf[8] = { 0 }, line[128];
	struct stat st, again;
	int fd;

	guest_check("mount", mount("tmpfs", mnt, "tmpfs", 0, NULL) == 0);
	write_file(file, "lower");
	guest_check("mount on top", mount("one", mnt, "tmpfs", 0, NULL) == 0);
	guest_check("the lower one is hidden", !exists(file));
	snprintf(line, sizeof(line), "one %s tmpfs rw,", mnt);
	guest_check("/proc/mounts lists the source", proc_has("mounts", line) == 1);
	guest_check("/proc/self/mountinfo lists it", proc_has("mountinfo", " - tmpfs one rw") == 1);
	guest_check("umount the top one", umount(mnt) == 0);
	fd = open(file, O_RDONLY);
	guest_check("the lower one is back", fd >= 0);
	guest_check("MNT_DETACH with a file open", umount2(mnt, MNT_DETACH) == 0);
	guest_check("the path is gone", !exists(file));
	guest_check("the file still reads",
		    pread(fd, buf, sizeof(buf) - 1, 0) == 5 && !strcmp(buf, "lower"));
	guest_check("and stats", fstat(fd, &st) == 0 && st.st_size == 5);
	/* A detached filesystem keeps its device number while it lives. */
	guest_check("mount again", mount("two", mnt, "tmpfs", 0, NULL) == 0);
	guest_check("a device of its own", stat(mnt, &again) == 0 && again.st_dev != st.st_dev);
	guest_check("umount", umount(mnt) == 0);
	close(fd);
	snprintf(line, sizeof(line), " %s ", mnt);
	guest_check("/proc/mounts lists neither", proc_has("mounts", line) == 0);
}

static void errors(void)
{
	char missing[96];

	snprintf(missing, sizeof(missing), "%s/missing", top);
	guest_check_err("umount a plain directory", umount(top), EINVAL);
	guest_check_err("umount2 with a bad flag", umount2(mnt, 0x100), EINVAL);
	guest_check_err("umount a missing path", umount(missing), ENOENT);
	guest_check_err("mount with no type", mount("x", mnt, NULL, 0, NULL), EINVAL);
	guest_check_err("mount an unknown type", mount("x", mnt, "nosuchfs", 0, NULL), ENODEV);
	guest_check_err("mount on a missing path", mount("x", missing, "tmpfs", 0, NULL), ENOENT);
	write_file(missing, "");
	guest_check_err("mount on a file", mount("x", missing, "tmpfs", 0, NULL), ENOTDIR);
	unlink(missing);
	guest_check_err("a bad tmpfs option", mount("x", mnt, "tmpfs", 0, "bogus=1"), EINVAL);
	guest_check_err("a bad mode", mount("x", mnt, "tmpfs", 0, "mode=9"), EINVAL);
	guest_check_err("remount a plain directory", mount(NULL, mnt, NULL, MS_REMOUNT, NULL),
			EINVAL);
	guest_check_err("MS_PRIVATE on a plain directory", mount(NULL, mnt, NULL, MS_PRIVATE, NULL),
			EINVAL);
	guest_check("mount", mount("tmpfs", mnt, "tmpfs", 0, NULL) == 0);
	guest_check("MS_PRIVATE on it", mount(NULL, mnt, NULL, MS_PRIVATE | MS_REC, NULL) == 0);
	guest_check_err("two propagation types",
			mount(NULL, mnt, NULL, MS_PRIVATE | MS_SHARED, NULL), EINVAL);
	guest_check("umount", umount(mnt) == 0);
	guest_check_err("umount it again", umount(mnt), EINVAL);
	guest_check("drop the capabilities", drop_caps() == 0);
	guest_check_err("mount without CAP_SYS_ADMIN", mount("x", mnt, "tmpfs", 0, NULL), EPERM);
	guest_check_err("mount on a missing path without it", mount("x", missing, "tmpfs", 0, NULL),
			ENOENT);
	guest_check_err("umount without it", umount(mnt), EPERM);
}

/* devtmpfs takes regular files as the tmpfs it is (once a kernel panic:
 * /dev had no tmpfs size to count the page in). */
static void dev_file(void)
{
	char path[64], buf[4] = { 0 };
	int fd;

	snprintf(path, sizeof(path), "/dev/monos-mount-test-%d", getpid());
	fd = open(path, O_CREAT | O_EXCL | O_RDWR, 0600);
	guest_check("a file in /dev", fd >= 0);
	guest_check("written and read back",
		    write(fd, "abc", 3) == 3 && pread(fd, buf, 3, 0) == 3 && !strcmp(buf, "abc"));
	close(fd);
	guest_check("and removed", unlink(path) == 0);
}

/* A removed file's pages go back (once the files made in /dev kept theirs
 * for good: 160 MiB through 1 MiB files ran out of the tmpfs size, half of
 * monos' default 256 MiB). */
static void dev_files_freed(void)
{
	static char buf[MIB];
	char path[64];
	int i, ok = 1;

	snprintf(path, sizeof(path), "/dev/monos-mount-test-%d", getpid());
	for (i = 0; i < 160 && ok; i++) {
		int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
		ok = fd >= 0 && write(fd, buf, MIB) == MIB;
		close(fd);
		unlink(path);
	}
	guest_check("160 MiB through removed files in /dev", ok);
}

int main(void)
{
	strcpy(top, "/tmp/mountXXXXXX");
	if (!mkdtemp(top))
		return 2;
	snprintf(mnt, sizeof(mnt), "%s/m", top);
	snprintf(file, sizeof(file), "%s/a", mnt);
	snprintf(sub, sizeof(sub), "%s/under", mnt);
	mkdir(mnt, 0755);
	write_file(sub, "under");
	crossing();
	busy();
	remount_and_size();
	stack_and_detach();
	dev_file();
	dev_files_freed();
	errors();
	unlink(sub);
	rmdir(mnt);
	rmdir(top);
	return guest_finish();
}
