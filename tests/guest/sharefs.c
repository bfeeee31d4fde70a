/*
 * Guest test: a host directory share (monos run -v HOSTDIR:/share), every
 * operation the VFS has, compared with the same program run natively on a
 * host directory (tests/run.sh's @SHARE@: an empty directory each time).
 * Directories, create/O_EXCL, read/write/pread/pwrite past one 9p message,
 * O_APPEND, lseek, ftruncate (cut and grown with a hole), rename (over a
 * file, a directory), hard links, symlinks, unlink and rmdir (ENOTEMPTY),
 * renameat2's RENAME_NOREPLACE, user.* xattrs, chmod, utimensat, a file unlinked while
 * open, a MAP_SHARED write seen by read() after munmap, a private mapping,
 * fsync/fdatasync, statfs, readdir, and the errors on the way.  Owners
 * are not printed: they are the host user's under a non-root monos (the
 * share's security model, cli/share.c).
 */
#include "guest.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>

#define BIG (200 * 1024 + 77) /* more than three 64 KiB messages */
/* renameat2's flags (linux/fs.h), which musl's headers lack. */
#define SHAREFS_RENAME_NOREPLACE 1
#define SHAREFS_RENAME_EXCHANGE	 2

static const char *dir;

/* DIR/NAME in one of two buffers taken in turn. */
static const char *at(const char *name)
{
	static char bufs[2][4096];
	static int next;
	char *b = bufs[next ^= 1];

	snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
	return b;
}

static void show(const char *name)
{
	struct stat st;

	if (lstat(at(name), &st)) {
		printf("%s: %s\n", name, guest_errname(errno));
		return;
	}
	printf("%s: type %o mode %o nlink %lu", name, (unsigned)(st.st_mode & S_IFMT) >> 12,
	       (unsigned)(st.st_mode & 07777), (unsigned long)st.st_nlink);
	if (!S_ISDIR(st.st_mode))
		printf(" size %lld", (long long)st.st_size);
	printf("\n");
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void list(const char *name)
{
	struct dirent **e;
	int n = scandir(at(name), &e, NULL, by_name);

	printf("ls %s:", name);
	for (int i = 0; i < n; i++) {
		printf(" %s", e[i]->d_name);
		free(e[i]);
	}
	printf("%s\n", n < 0 ? " (error)" : "");
	free(e);
}

static uint64_t file_hash(const char *name)
{
	char buf[4096];
	uint64_t h = GUEST_FNV_INIT;
	int fd = open(at(name), O_RDONLY);
	ssize_t n;

	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		h = guest_fnv(h, buf, n);
	close(fd);
	return h;
}

static void tree(void)
{
	int fd;

	guest_check("mkdir d", mkdir(at("d"), 0750) == 0);
	guest_check_err("mkdir d again", mkdir(at("d"), 0750), EEXIST);
	guest_check("mkdir d/e", mkdir(at("d/e"), 0700) == 0);
	fd = open(at("d/f"), O_WRONLY | O_CREAT | O_EXCL, 0640);
	guest_check("create d/f", fd >= 0);
	guest_check("write d/f", write(fd, "abc", 3) == 3);
	close(fd);
	guest_check_err("O_EXCL on d/f", open(at("d/f"), O_WRONLY | O_CREAT | O_EXCL, 0640),
			EEXIST);
	guest_check_err("open a missing file", open(at("nope"), O_RDONLY), ENOENT);
	guest_check_err("rmdir d (not empty)", rmdir(at("d")), ENOTEMPTY);
	guest_check("link d/f d/g", link(at("d/f"), at("d/g")) == 0);
	show("d/f");
	guest_check("symlink", symlink("d/f", at("s")) == 0);
	{
		char t[64];
		ssize_t n = readlink(at("s"), t, sizeof(t));

		printf("readlink s: %.*s\n", (int)(n > 0 ? n : 0), t);
	}
	printf("through the link: %016llx\n", (unsigned long long)file_hash("s"));
	guest_check("rename d/g over nothing", rename(at("d/g"), at("g")) == 0);
	guest_check("rename d/e to e2", rename(at("d/e"), at("e2")) == 0);
	fd = open(at("h"), O_WRONLY | O_CREAT, 0600);
	close(fd);
	guest_check("rename h over g", rename(at("h"), at("g")) == 0);
	show("d/f");
	show("g");
	guest_check("unlink d/f", unlink(at("d/f")) == 0);
	guest_check_err("unlink d/f again", unlink(at("d/f")), ENOENT);
	guest_check("rmdir d", rmdir(at("d")) == 0);
	guest_check_err("rmdir a file", rmdir(at("g")), ENOTDIR);
	guest_check_err("unlink a directory", unlink(at("e2")), EISDIR);
	list(".");
}

static void data(void)
{
	unsigned char *big = malloc(BIG), *back = malloc(BIG);
	int fd = open(at("big"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	char c[8];

	for (size_t i = 0; i < BIG; i++)
		big[i] = (unsigned char)(i * 7 + i / 251);
	guest_check("write big", write(fd, big, BIG) == BIG);
	guest_check("pread big", pread(fd, back, BIG, 0) == BIG && !memcmp(big, back, BIG));
	guest_check("pwrite in the middle", pwrite(fd, "XY", 2, 100000) == 2);
	guest_check("lseek SEEK_END", lseek(fd, 0, SEEK_END) == BIG);
	guest_check("read at the end", read(fd, c, 8) == 0);
	guest_check("ftruncate down", ftruncate(fd, 5000) == 0);
	guest_check("ftruncate up (a hole)", ftruncate(fd, 70000) == 0);
	guest_check("pread the hole", pread(fd, c, 4, 65536) == 4 && !c[0] && !c[3]);
	guest_check("fsync", fsync(fd) == 0);
	guest_check("fdatasync", fdatasync(fd) == 0);
	close(fd);
	show("big");
	printf("big: %016llx\n", (unsigned long long)file_hash("big"));
	fd = open(at("log"), O_WRONLY | O_CREAT | O_APPEND, 0644);
	guest_check("append 1", write(fd, "one\n", 4) == 4);
	guest_check("append 2 (pwrite appends too)", pwrite(fd, "two\n", 4, 0) == 4);
	close(fd);
	show("log");
	fd = open(at("log"), O_WRONLY | O_TRUNC);
	guest_check("O_TRUNC", fd >= 0);
	close(fd);
	show("log");
	guest_check_err("write a read-only fd", write(open(at("big"), O_RDONLY), "x", 1), EBADF);
	free(big);
	free(back);
}

static void meta(void)
{
	struct timespec ts[2] = { { 1000000000, 123456789 }, { 1200000000, 987654321 } };
	struct stat st;

	guest_check("chmod 0604", chmod(at("g"), 0604) == 0);
	guest_check("chown to myself", chown(at("g"), getuid(), getgid()) == 0);
	guest_check("utimensat", utimensat(AT_FDCWD, at("g"), ts, 0) == 0);
	guest_check("stat g", stat(at("g"), &st) == 0);
	printf("g: mode %o atime %lld.%09ld mtime %lld.%09ld\n", (unsigned)(st.st_mode & 07777),
	       (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec,
	       st.st_mtim.tv_nsec);
	guest_check("truncate by path", truncate(at("g"), 10) == 0);
	show("g");
}

/* renameat2: RENAME_NOREPLACE refuses an existing target (the VFS's
 * check, the server's Trenameat having no flags) and moves to a free one;
 * NOREPLACE with EXCHANGE is EINVAL.  (RENAME_EXCHANGE itself is EINVAL
 * through 9p, which cannot swap: not compared with the host's.) */
static void rename_flags(void)
{
	int fd = open(at("r1"), O_WRONLY | O_CREAT, 0644);

	close(fd);
	fd = open(at("r2"), O_WRONLY | O_CREAT, 0644);
	close(fd);
	guest_check_err("RENAME_NOREPLACE over a file",
			syscall(SYS_renameat2, AT_FDCWD, at("r1"), AT_FDCWD, at("r2"),
				SHAREFS_RENAME_NOREPLACE),
			EEXIST);
	guest_check("RENAME_NOREPLACE to a free name",
		    syscall(SYS_renameat2, AT_FDCWD, at("r1"), AT_FDCWD, at("r3"),
			    SHAREFS_RENAME_NOREPLACE) == 0);
	guest_check_err("RENAME_NOREPLACE | RENAME_EXCHANGE",
			syscall(SYS_renameat2, AT_FDCWD, at("r2"), AT_FDCWD, at("r3"),
				SHAREFS_RENAME_NOREPLACE | SHAREFS_RENAME_EXCHANGE),
			EINVAL);
	guest_check("the names after",
		    access(at("r1"), F_OK) && !access(at("r2"), F_OK) && !access(at("r3"), F_OK));
}

/* Extended attributes in the user namespace, as the host's filesystem
 * keeps them (Txattrwalk, Txattrcreate through the share). */
static void xattrs(void)
{
	char buf[64] = { 0 };
	int fd = open(at("x"), O_WRONLY | O_CREAT, 0644);

	close(fd);
	guest_check("setxattr", setxattr(at("x"), "user.monos", "value", 5, 0) == 0);
	guest_check("getxattr's size", getxattr(at("x"), "user.monos", NULL, 0) == 5);
	guest_check("getxattr", getxattr(at("x"), "user.monos", buf, sizeof(buf)) == 5 &&
					!memcmp(buf, "value", 5));
	guest_check_err("getxattr into too small a buffer", getxattr(at("x"), "user.monos", buf, 2),
			ERANGE);
	guest_check_err("XATTR_CREATE of one there",
			setxattr(at("x"), "user.monos", "v", 1, XATTR_CREATE), EEXIST);
	guest_check_err("XATTR_REPLACE of one not there",
			setxattr(at("x"), "user.other", "v", 1, XATTR_REPLACE), ENODATA);
	guest_check("fsetxattr replaces", (fd = open(at("x"), O_RDONLY)) >= 0 &&
						  fsetxattr(fd, "user.monos", "new", 3, 0) == 0);
	guest_check("fgetxattr",
		    fgetxattr(fd, "user.monos", buf, sizeof(buf)) == 3 && !memcmp(buf, "new", 3));
	close(fd);
	memset(buf, 0, sizeof(buf));
	guest_check("listxattr",
		    listxattr(at("x"), buf, sizeof(buf)) == 11 && !strcmp(buf, "user.monos"));
	guest_check_err("getxattr of a missing one", getxattr(at("x"), "user.none", buf, 8),
			ENODATA);
	guest_check_err("lsetxattr on a symlink (user.*)",
			lsetxattr(at("s"), "user.monos", "v", 1, 0), EPERM);
	guest_check("removexattr", removexattr(at("x"), "user.monos") == 0);
	guest_check_err("removexattr again", removexattr(at("x"), "user.monos"), ENODATA);
	guest_check("listxattr after", listxattr(at("x"), buf, sizeof(buf)) == 0);
}

static void unlinked_and_mapped(void)
{
	int fd = open(at("gone"), O_RDWR | O_CREAT, 0644);
	char buf[16] = { 0 };
	char *m;

	guest_check("write gone", write(fd, "still here", 10) == 10);
	guest_check("unlink while open", unlink(at("gone")) == 0);
	guest_check("read after unlink", pread(fd, buf, 10, 0) == 10 && !strcmp(buf, "still here"));
	close(fd);

	fd = open(at("map"), O_RDWR | O_CREAT, 0644);
	guest_check("size the mapped file", ftruncate(fd, 8192) == 0);
	m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	guest_check("mmap shared", m != MAP_FAILED);
	if (m != MAP_FAILED) {
		memcpy(m + 4090, "across pages", 12);
		guest_check("msync", msync(m, 8192, MS_SYNC) == 0);
		guest_check("munmap", munmap(m, 8192) == 0);
	}
	guest_check("read what the mapping wrote",
		    pread(fd, buf, 12, 4090) == 12 && !memcmp(buf, "across pages", 12));
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 4096);
	guest_check("mmap private", m != MAP_FAILED && !memcmp(m, " pag", 4));
	if (m != MAP_FAILED) {
		m[0] = 'P'; /* the file keeps its byte */
		munmap(m, 4096);
	}
	guest_check("a private write stays private", pread(fd, buf, 1, 4096) == 1 && buf[0] == ' ');
	close(fd);
	show("map");
}

int main(int argc, char **argv)
{
	struct statfs sf;
	DIR *d;
	struct dirent *e;
	int n = 0;

	if (argc != 2)
		return 2;
	dir = argv[1];
	d = opendir(dir);
	while (d && (e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	guest_check("the directory starts empty", d && n == 0);
	if (d)
		closedir(d);
	tree();
	data();
	meta();
	unlinked_and_mapped();
	rename_flags();
	xattrs();
	guest_check("statfs", statfs(dir, &sf) == 0 && sf.f_blocks > 0 && sf.f_bsize > 0);
	list(".");
	return guest_finish();
}
