/*
 * Guest test: statfs and fstatfs report every filesystem truthfully.  What
 * any Linux host agrees on is printed: the type of /proc, /sys, /dev (a
 * tmpfs, devtmpfs or a container's), pipes, sockets, anonymous inodes and
 * memfds; that proc and sysfs have no size; and, for the root (ext4 or
 * overlay on the host, the image in monos) and /dev, a size with free
 * counts that fit inside it.  tests/cli/statfs.sh checks /tmp's tmpfs in
 * monos alone (the host's /tmp need not be a tmpfs), with `statfs fill DIR`.
 */
#include "guest.h"
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/statfs.h>

/* Filesystem types (include/uapi/linux/magic.h). */
#define PROC_SUPER_MAGIC    0x9fa0
#define SYSFS_MAGIC	    0x62656572
#define TMPFS_MAGIC	    0x01021994
#define PIPEFS_MAGIC	    0x50495045
#define SOCKFS_MAGIC	    0x534f434b
#define ANON_INODE_FS_MAGIC 0x09041934

static void type_of(const char *what, const struct statfs *st, int ok)
{
	printf("%s: %s f_type %#lx\n", what, ok ? "ok " : "BAD", (unsigned long)st->f_type);
	guest_bad += !ok;
}

/* A filesystem with a size: its numbers fit together. */
static void sized(const char *path)
{
	struct statfs st;
	char name[64];

	snprintf(name, sizeof(name), "statfs %s", path);
	guest_check(name, statfs(path, &st) == 0);
	snprintf(name, sizeof(name), "%s: f_bsize a power of two >= 512", path);
	guest_check(name, st.f_bsize >= 512 && !(st.f_bsize & (st.f_bsize - 1)));
	snprintf(name, sizeof(name), "%s: f_blocks > 0", path);
	guest_check(name, st.f_blocks > 0);
	snprintf(name, sizeof(name), "%s: f_bavail <= f_bfree <= f_blocks", path);
	guest_check(name, st.f_bavail <= st.f_bfree && st.f_bfree <= st.f_blocks);
	snprintf(name, sizeof(name), "%s: f_ffree <= f_files", path);
	guest_check(name, st.f_ffree <= st.f_files);
	snprintf(name, sizeof(name), "%s: f_namelen >= 255", path);
	guest_check(name, st.f_namelen >= 255);
}

/* proc and sysfs: a type, and no size (simple_statfs). */
static void pseudo(const char *path, long magic)
{
	struct statfs st;

	guest_check(path, statfs(path, &st) == 0);
	type_of(path, &st, (long)st.f_type == magic);
	printf("%s: f_blocks %lu f_bfree %lu f_files %lu f_bsize %ld\n", path,
	       (unsigned long)st.f_blocks, (unsigned long)st.f_bfree, (unsigned long)st.f_files,
	       (long)st.f_bsize);
}

/* fstatfs of a descriptor in no tree. */
static void fd_type(const char *what, int fd, long magic)
{
	struct statfs st;

	guest_check(what, fd >= 0 && fstatfs(fd, &st) == 0);
	type_of(what, &st, (long)st.f_type == magic);
	close(fd);
}

#define CHUNK (64 * 1024)

/* Write `fd` full; the bytes written, with errno telling why it stopped. */
static long long write_until_error(int fd)
{
	static char buf[CHUNK];
	long long total = 0;
	ssize_t n;

	memset(buf, 'x', sizeof(buf));
	while ((n = write(fd, buf, sizeof(buf))) > 0)
		total += n;
	return total;
}

/*
 * `statfs fill DIR` (monos only: natively it would fill the host's tmpfs):
 * DIR is a tmpfs of half the memory whose free blocks are exactly what a
 * file can take before ENOSPC, and whose used blocks are the files' pages;
 * a memfd is not refused when it is full, as on Linux.
 */
static int fill(const char *dir)
{
	char a[256], b[256];
	struct statfs st0, st;
	long long page = sysconf(_SC_PAGESIZE), written;
	int fd, mfd;

	snprintf(a, sizeof(a), "%s/statfs-a", dir);
	snprintf(b, sizeof(b), "%s/statfs-b", dir);
	guest_check("statfs", statfs(dir, &st0) == 0);
	type_of("the directory", &st0, st0.f_type == TMPFS_MAGIC);
	printf("size: %llu MiB\n", (unsigned long long)st0.f_blocks * st0.f_bsize >> 20);
	fd = open(a, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	guest_check("write 1 MiB", write(fd, (char[1 << 20]){ 0 }, 1 << 20) == 1 << 20);
	close(fd);
	statfs(dir, &st);
	guest_check("it uses 1 MiB of blocks", (st0.f_bfree - st.f_bfree) * st.f_bsize == 1 << 20);
	fd = open(b, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	written = write_until_error(fd);
	guest_check_err("filling it ends with", -1, errno);
	guest_check("it took exactly the free blocks",
		    written == (long long)(st.f_bfree * st.f_bsize));
	statfs(dir, &st);
	guest_check("then none is free", st.f_bfree == 0 && st.f_bavail == 0);
	mfd = (int)syscall(SYS_memfd_create, "statfs", 0);
	guest_check("a memfd still takes a page", write(mfd, (char[4096]){ 0 }, page) == page);
	close(mfd);
	close(fd);
	unlink(a);
	unlink(b);
	statfs(dir, &st);
	guest_check("removing the files frees their blocks", st.f_bfree == st0.f_bfree);
	return guest_finish();
}

int main(int argc, char **argv)
{
	struct statfs st, dev;
	int p[2], efd;

	if (argc == 3 && !strcmp(argv[1], "fill"))
		return fill(argv[2]);

	sized("/");
	sized("/dev");
	pseudo("/proc", PROC_SUPER_MAGIC);
	pseudo("/proc/self/status", PROC_SUPER_MAGIC);
	pseudo("/sys", SYSFS_MAGIC);
	guest_check("statfs /dev", statfs("/dev", &dev) == 0);
	type_of("/dev", &dev, dev.f_type == TMPFS_MAGIC);
	guest_check("statfs /dev/null", statfs("/dev/null", &st) == 0);
	type_of("/dev/null", &st, st.f_type == TMPFS_MAGIC);
	guest_check_err("statfs of a missing path", statfs("/no/such/path", &st), ENOENT);
	guest_check_err("fstatfs of a bad descriptor", fstatfs(-1, &st), EBADF);
	guest_check("pipe", pipe(p) == 0);
	fd_type("pipe", p[0], PIPEFS_MAGIC);
	close(p[1]);
	fd_type("socket", socket(AF_UNIX, SOCK_STREAM, 0), SOCKFS_MAGIC);
	fd_type("eventfd", eventfd(0, 0), ANON_INODE_FS_MAGIC);
	fd_type("epoll", epoll_create1(0), ANON_INODE_FS_MAGIC);
	efd = (int)syscall(SYS_memfd_create, "statfs", 0);
	fd_type("memfd", efd, TMPFS_MAGIC);
	return guest_finish();
}
