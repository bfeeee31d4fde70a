/*
 * Guest test, area file: open, openat, close, fstat, newfstatat, statx,
 * lseek, pread64, getdents64, readlink, access, faccessat, getcwd, chdir,
 * and the errors ENOENT, ENOTDIR, EBADF, EISDIR, EFAULT, EINVAL, ERANGE.
 *
 * argv[1] is the test data directory (tests/guest/data natively, /data in
 * monos, where the runner packs it with --file), so only names relative to
 * it are ever printed.  Its contents:
 *   hello.txt    "hello, monos\n" (13 bytes)
 *   numbers.txt  1000 lines "line NNNN\n" (10000 bytes)
 *   sub/inner.txt, and link -> hello.txt
 * Write-permission errors are not tested: natively root may write anything,
 * while monos' image is read-only by design.
 */
#include "guest.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#define HELLO_SIZE   13
#define NUMBERS_SIZE 10000
#define NUMBERS_LINE 10

/* The start of Linux's struct statx (include/uapi/linux/stat.h). */
struct guest_statx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, pad0;
	uint64_t ino, size, blocks, attributes_mask;
	unsigned char rest[256 - 64];
};

#define GUEST_STATX_TYPE  0x1u
#define GUEST_STATX_SIZE  0x200u
#define GUEST_STATX_BASIC 0x7ffu

static int data_fd;

static void file_open_read(void)
{
	char buf[64] = "";
	struct stat st;
	int fd = open("hello.txt", O_RDONLY);

	guest_check("open hello.txt", fd >= 3);
	guest_check("read hello.txt", read(fd, buf, sizeof(buf)) == HELLO_SIZE);
	printf("hello.txt says: %s", buf);
	guest_check("fstat: regular", fstat(fd, &st) == 0 && S_ISREG(st.st_mode));
	guest_check("fstat: size", st.st_size == HELLO_SIZE);
	guest_check("close", close(fd) == 0);
	guest_check_err("close again", close(fd), EBADF);
	guest_check_err("read closed fd", read(fd, buf, 1), EBADF);

	fd = syscall(SYS_openat, data_fd, "sub/inner.txt", O_RDONLY);
	memset(buf, 0, sizeof(buf));
	guest_check("openat sub/inner.txt", fd >= 3 && read(fd, buf, sizeof(buf)) == 22);
	printf("sub/inner.txt says: %s", buf);
	close(fd);
	guest_check_err("openat with bad data_fd", syscall(SYS_openat, 99, "x", O_RDONLY), EBADF);
}

static void file_stat(void)
{
	struct stat st;
	struct guest_statx sx;
	long r;

	r = syscall(SYS_newfstatat, data_fd, "link", &st, AT_SYMLINK_NOFOLLOW);
	guest_check("newfstatat link nofollow: symlink", r == 0 && S_ISLNK(st.st_mode));
	r = syscall(SYS_newfstatat, data_fd, "link", &st, 0);
	guest_check("newfstatat link: regular", r == 0 && S_ISREG(st.st_mode));
	guest_check("newfstatat link: size of target", st.st_size == HELLO_SIZE);
	r = syscall(SYS_newfstatat, data_fd, "sub", &st, 0);
	guest_check("newfstatat sub: directory", r == 0 && S_ISDIR(st.st_mode));
	r = syscall(SYS_newfstatat, data_fd, "missing", &st, 0);
	guest_check_err("newfstatat missing", r, ENOENT);

	memset(&sx, 0, sizeof(sx));
	r = syscall(SYS_statx, data_fd, "numbers.txt", 0, GUEST_STATX_BASIC, &sx);
	guest_check("statx numbers.txt", r == 0);
	guest_check("statx mask has type and size",
		    (sx.mask & (GUEST_STATX_TYPE | GUEST_STATX_SIZE)) ==
			(GUEST_STATX_TYPE | GUEST_STATX_SIZE));
	guest_check("statx size", sx.size == NUMBERS_SIZE);
	guest_check("statx regular", S_ISREG(sx.mode));
	r = syscall(SYS_statx, data_fd, "", AT_EMPTY_PATH, GUEST_STATX_BASIC, &sx);
	guest_check("statx AT_EMPTY_PATH on the dir fd", r == 0 && S_ISDIR(sx.mode));
	r = syscall(SYS_statx, data_fd, "missing", 0, GUEST_STATX_BASIC, &sx);
	guest_check_err("statx missing", r, ENOENT);
}

static void file_seek(void)
{
	char buf[16] = "";
	int fd = open("numbers.txt", O_RDONLY);

	guest_check("lseek SET 5", lseek(fd, 5, SEEK_SET) == 5);
	guest_check("lseek CUR +2", lseek(fd, 2, SEEK_CUR) == 7);
	guest_check("lseek END 0", lseek(fd, 0, SEEK_END) == NUMBERS_SIZE);
	guest_check("lseek END -10", lseek(fd, -10, SEEK_END) == NUMBERS_SIZE - 10);
	guest_check("read last line", read(fd, buf, sizeof(buf)) == NUMBERS_LINE);
	printf("last line: %s", buf);
	guest_check("lseek beyond EOF", lseek(fd, NUMBERS_SIZE + 5000, SEEK_SET) == 15000);
	guest_check("read beyond EOF is 0", read(fd, buf, sizeof(buf)) == 0);
	guest_check_err("lseek before 0", lseek(fd, -1, SEEK_SET), EINVAL);
	guest_check_err("lseek bad whence", lseek(fd, 0, 77), EINVAL);
	guest_check_err("lseek bad fd", lseek(99, 0, SEEK_SET), EBADF);

	lseek(fd, 3, SEEK_SET);
	memset(buf, 0, sizeof(buf));
	guest_check("pread64 line 500", syscall(SYS_pread64, fd, buf, NUMBERS_LINE,
						500 * NUMBERS_LINE) == NUMBERS_LINE);
	printf("pread64 at 5000: %s", buf);
	guest_check("pread64 leaves the offset", lseek(fd, 0, SEEK_CUR) == 3);
	guest_check("pread64 at EOF is 0", syscall(SYS_pread64, fd, buf, 4, NUMBERS_SIZE) == 0);
	guest_check("pread64 across EOF is short",
		    syscall(SYS_pread64, fd, buf, 16, NUMBERS_SIZE - 4) == 4);
	guest_check_err("pread64 negative offset", syscall(SYS_pread64, fd, buf, 4, -1L), EINVAL);
	guest_check_err("read into (void *)1", syscall(SYS_read, fd, (void *)1, 4), EFAULT);
	close(fd);
}

static int file_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* struct linux_dirent64, as getdents64 fills it. */
struct guest_dirent64 {
	uint64_t ino;
	int64_t off;
	uint16_t reclen;
	uint8_t type;
	char name[];
};

/* List the data directory with a small buffer (several calls), sorted. */
static void file_getdents(void)
{
	char buf[80], *names[32];
	int fd = open(".", O_RDONLY | O_DIRECTORY), count = 0, calls = 0;
	long n;

	guest_check_err("getdents64 buffer too small", syscall(SYS_getdents64, fd, buf, 1), EINVAL);
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		calls++;
		for (long off = 0; off < n && count < 32;) {
			struct guest_dirent64 *d = (void *)(buf + off);
			static const char types[] = {
			    [DT_DIR] = 'd', [DT_REG] = 'f', [DT_LNK] = 'l'};
			char *s = malloc(strlen(d->name) + 4);

			sprintf(s, "%s %c", d->name, d->type <= DT_LNK ? types[d->type] : '?');
			names[count++] = s;
			off += d->reclen;
		}
	}
	guest_check("getdents64 ended with 0", n == 0);
	guest_check("getdents64 needed several calls", calls > 1);
	qsort(names, count, sizeof(names[0]), file_cmp_names);
	for (int i = 0; i < count; i++) {
		printf("  entry: %s\n", names[i]);
		free(names[i]);
	}
	close(fd);
	fd = open("hello.txt", O_RDONLY);
	guest_check_err("getdents64 on a file", syscall(SYS_getdents64, fd, buf, sizeof(buf)),
			ENOTDIR);
	close(fd);
}

static void file_links_access(void)
{
	char buf[64] = "";
	long n = readlink("link", buf, sizeof(buf));

	guest_check("readlink link", n == 9 && memcmp(buf, "hello.txt", 9) == 0);
	n = syscall(SYS_readlinkat, data_fd, "link", buf, 4);
	guest_check("readlinkat truncates to the buffer", n == 4 && memcmp(buf, "hell", 4) == 0);
	guest_check_err("readlink a regular file", readlink("hello.txt", buf, 64), EINVAL);
	guest_check_err("readlink missing", readlink("missing", buf, 64), ENOENT);
	guest_check("access hello.txt R_OK", access("hello.txt", R_OK) == 0);
	guest_check("access link F_OK", access("link", F_OK) == 0);
	guest_check_err("access missing", access("missing", F_OK), ENOENT);
	guest_check_err("access through a file", access("hello.txt/x", F_OK), ENOTDIR);
	guest_check("faccessat sub/inner.txt", faccessat(data_fd, "sub/inner.txt", R_OK, 0) == 0);
	guest_check_err("faccessat missing", faccessat(data_fd, "sub/missing", R_OK, 0), ENOENT);
}

static void file_errors(void)
{
	char buf[16];
	int fd;

	guest_check_err("open missing", open("missing", O_RDONLY), ENOENT);
	guest_check_err("open through a file", open("hello.txt/x", O_RDONLY), ENOTDIR);
	guest_check_err("open O_DIRECTORY on a file", open("hello.txt", O_RDONLY | O_DIRECTORY),
			ENOTDIR);
	guest_check_err("open bad pointer", syscall(SYS_open, (void *)1, O_RDONLY), EFAULT);
	fd = open("sub", O_RDONLY);
	guest_check("open a directory read-only", fd >= 3);
	guest_check_err("read a directory", read(fd, buf, sizeof(buf)), EISDIR);
	close(fd);
}

static void file_cwd(const char *data)
{
	char buf[4096];

	guest_check("chdir data", chdir(data) == 0);
	guest_check("getcwd", getcwd(buf, sizeof(buf)) == buf && buf[0] == '/');
	printf("cwd ends in: %s\n", guest_basename(buf));
	guest_check("chdir sub", chdir("sub") == 0 && getcwd(buf, sizeof(buf)) != NULL);
	printf("cwd ends in: %s\n", guest_basename(buf));
	guest_check("relative open in sub", access("inner.txt", R_OK) == 0);
	guest_check("chdir ..", chdir("..") == 0 && getcwd(buf, sizeof(buf)) != NULL);
	printf("cwd ends in: %s\n", guest_basename(buf));
	guest_check_err("getcwd size 1", syscall(SYS_getcwd, buf, 1), ERANGE);
	guest_check_err("chdir to a file", chdir("hello.txt"), ENOTDIR);
	guest_check_err("chdir missing", chdir("missing"), ENOENT);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: file DATA-DIR\n");
		return 2;
	}
	file_cwd(argv[1]);
	data_fd = open(".", O_RDONLY | O_DIRECTORY);
	guest_check("open . O_DIRECTORY", data_fd >= 3);
	file_open_read();
	file_stat();
	file_seek();
	file_getdents();
	file_links_access();
	file_errors();
	return guest_finish();
}
