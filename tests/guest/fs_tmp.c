/*
 * Guest test, area fs: writable files in /tmp (tmpfs in monos).  Every call
 * that changes files or the tree, with its Linux errors: open with O_CREAT,
 * O_EXCL, O_TRUNC, O_APPEND and the umask; creat; reads and writes past the
 * end (holes); truncate, ftruncate, fallocate, fsync; mkdir(at), rmdir,
 * unlink(at), rename(at, at2 with NOREPLACE and EXCHANGE), link(at),
 * symlink(at), utimensat, utimes, chmod and chown families, statfs, fstatfs,
 * getdents64, and a private mapping of a written file.
 *
 * It works in a fresh directory made with mkdtemp under /tmp, natively and in
 * monos, prints only names relative to it, and removes it at the end.
 */
#include "guest.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>

#define RENAME_NOREPLACE_ (1 << 0)
#define RENAME_EXCHANGE_  (1 << 1)
#define KEEP_SIZE	  1
#define ST_RDONLY_	  1 /* statfs f_flags (linux/statfs.h) */

static long renameat2_(const char *a, const char *b, unsigned flags)
{
	return syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, flags);
}

static off_t size_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) ? -1 : st.st_size;
}

static void put_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		printf("BAD put_file %s\n", path), guest_bad++;
	close(fd);
}

/* The file's text (up to 63 bytes), for comparisons. */
static const char *text_of(const char *path)
{
	static char buf[64];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	close(fd);
	buf[n < 0 ? 0 : n] = 0;
	return n < 0 ? "(unreadable)" : buf;
}

static void test_create(void)
{
	struct stat st;
	int fd;

	umask(022);
	fd = open("a", O_RDWR | O_CREAT | O_EXCL, 0666);
	guest_check("create a", fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 07777) == 0644);
	guest_check("new file is empty", st.st_size == 0 && S_ISREG(st.st_mode));
	guest_check_err("O_EXCL on existing", open("a", O_RDWR | O_CREAT | O_EXCL, 0666), EEXIST);
	guest_check("O_CREAT on existing", close(open("a", O_RDWR | O_CREAT, 0666)) == 0);
	guest_check("umask returns the old mask", umask(077) == 022);
	close(open("b", O_WRONLY | O_CREAT, 0666));
	guest_check("umask applies", stat("b", &st) == 0 && (st.st_mode & 0777) == 0600);
	umask(022);
	guest_check_err("O_CREAT in a missing dir", open("nodir/x", O_WRONLY | O_CREAT, 0644),
			ENOENT);
	guest_check_err("O_CREAT under a file", open("a/x", O_WRONLY | O_CREAT, 0644), ENOTDIR);
	guest_check_err("O_CREAT with a slash", open("c/", O_WRONLY | O_CREAT, 0644), EISDIR);
	guest_check_err("O_CREAT on a dir", open(".", O_RDONLY | O_CREAT, 0644), EISDIR);
	guest_check_err("open a dir for writing", open(".", O_WRONLY), EISDIR);
	guest_check_err("missing without O_CREAT", open("c", O_RDONLY), ENOENT);
	fd = creat("c", 0600);
	guest_check("creat", fd >= 0 && write(fd, "xyz", 3) == 3);
	guest_check_err("read from creat's O_WRONLY fd", read(fd, &st, 1), EBADF);
	close(fd);
	close(fd = open("b", O_RDONLY));
	guest_check_err("write to O_RDONLY fd", write(fd, "x", 1), EBADF);
	close(fd);
}

static void test_rw(void)
{
	char buf[16];
	int fd = open("a", O_RDWR);

	guest_check("write", write(fd, "hello", 5) == 5);
	guest_check("pwrite past the end", pwrite(fd, "end", 3, 10000) == 3);
	guest_check("size after the hole", size_of("a") == 10003);
	guest_check("hole reads zeros",
		    pread(fd, buf, 4, 5000) == 4 && !memcmp(buf, "\0\0\0\0", 4));
	guest_check("pread at the end",
		    pread(fd, buf, 16, 9998) == 5 && !memcmp(buf, "\0\0end", 5));
	guest_check("read at EOF", pread(fd, buf, 16, 10003) == 0);
	guest_check("lseek SEEK_END", lseek(fd, 0, SEEK_END) == 10003);
	guest_check("lseek past EOF", lseek(fd, 20000, SEEK_SET) == 20000 && read(fd, buf, 1) == 0);
	close(fd);
	fd = open("a", O_RDWR | O_TRUNC);
	guest_check("O_TRUNC empties", fd >= 0 && size_of("a") == 0);
	write(fd, "12345", 5);
	close(fd);
	fd = open("a", O_WRONLY | O_APPEND);
	guest_check("O_APPEND write", lseek(fd, 0, SEEK_SET) == 0 && write(fd, "67", 2) == 2);
	guest_check("O_APPEND moves to the end", lseek(fd, 0, SEEK_CUR) == 7);
	close(fd);
	guest_check("appended text", !strcmp(text_of("a"), "1234567"));
}

static void test_truncate(void)
{
	int fd = open("a", O_RDWR), ro = open("a", O_RDONLY);
	struct stat st;

	guest_check("ftruncate shrinks", ftruncate(fd, 3) == 0 && !strcmp(text_of("a"), "123"));
	guest_check("ftruncate grows with zeros", ftruncate(fd, 6) == 0 && size_of("a") == 6);
	guest_check("grown part is zero", pread(fd, &st, 3, 3) == 3 && !memcmp(&st, "\0\0\0", 3));
	guest_check("truncate by path", truncate("a", 2) == 0 && !strcmp(text_of("a"), "12"));
	guest_check_err("ftruncate a read-only fd", ftruncate(ro, 0), EINVAL);
	guest_check_err("truncate negative", truncate("a", -1), EINVAL);
	guest_check_err("truncate a dir", truncate(".", 0), EISDIR);
	guest_check_err("truncate missing", truncate("zz", 0), ENOENT);
	guest_check("fallocate grows", fallocate(fd, 0, 0, 8192) == 0 && size_of("a") == 8192);
	guest_check("fallocate KEEP_SIZE",
		    fallocate(fd, KEEP_SIZE, 0, 65536) == 0 && size_of("a") == 8192);
	guest_check_err("fallocate len 0", fallocate(fd, 0, 0, 0), EINVAL);
	guest_check_err("fallocate read-only fd", fallocate(ro, 0, 0, 10), EBADF);
	guest_check("fsync", fsync(fd) == 0 && fdatasync(fd) == 0);
	guest_check_err("fsync bad fd", fsync(999), EBADF);
	close(fd);
	close(ro);
}

static void test_dirs(void)
{
	struct stat st;

	guest_check("mkdir", mkdir("d", 0755) == 0 && stat("d", &st) == 0 && S_ISDIR(st.st_mode));
	guest_check("mkdir mode", (st.st_mode & 07777) == 0755 && st.st_nlink == 2);
	guest_check("mkdirat", mkdirat(AT_FDCWD, "d/e", 0700) == 0);
	guest_check("parent nlink", stat("d", &st) == 0 && st.st_nlink == 3);
	guest_check_err("mkdir existing", mkdir("d", 0755), EEXIST);
	guest_check_err("mkdir .", mkdir(".", 0755), EEXIST);
	guest_check_err("mkdir in missing", mkdir("x/y", 0755), ENOENT);
	guest_check_err("mkdir under a file", mkdir("a/y", 0755), ENOTDIR);
	guest_check_err("rmdir non-empty", rmdir("d"), ENOTEMPTY);
	guest_check_err("rmdir a file", rmdir("a"), ENOTDIR);
	guest_check_err("rmdir .", rmdir("d/e/."), EINVAL);
	guest_check_err("unlink a dir", unlink("d"), EISDIR);
	guest_check_err("unlink missing", unlink("zz"), ENOENT);
	guest_check_err("unlink file/", unlink("a/"), ENOTDIR);
	guest_check_err("unlinkat bad flag", unlinkat(AT_FDCWD, "a", 0x1), EINVAL);
	guest_check("unlinkat AT_REMOVEDIR", unlinkat(AT_FDCWD, "d/e", AT_REMOVEDIR) == 0);
	guest_check("parent nlink after", stat("d", &st) == 0 && st.st_nlink == 2);
	guest_check("rmdir", rmdir("d") == 0 && stat("d", &st) == -1 && errno == ENOENT);
	char name[300];
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	guest_check_err("name too long", open(name, O_WRONLY | O_CREAT, 0644), ENAMETOOLONG);
	guest_check_err("mkdir name too long", mkdir(name, 0755), ENAMETOOLONG);
}

static void test_rename(void)
{
	put_file("r1", "one");
	put_file("r2", "two");
	mkdir("rd", 0755);
	mkdir("rd/sub", 0755);
	mkdir("full", 0755);
	put_file("full/f", "f");
	guest_check("rename replaces", rename("r1", "r2") == 0 && !strcmp(text_of("r2"), "one"));
	guest_check_err("old name gone", open("r1", O_RDONLY), ENOENT);
	guest_check_err("rename missing", rename("r1", "r3"), ENOENT);
	guest_check_err("dir into itself", rename("rd", "rd/sub/x"), EINVAL);
	guest_check_err("dir over a file", rename("rd", "r2"), ENOTDIR);
	guest_check_err("file over a dir", rename("r2", "rd"), EISDIR);
	guest_check_err("dir over non-empty", rename("rd/sub", "full"), ENOTEMPTY);
	guest_check("dir over empty dir",
		    rename("full/f", "ff") == 0 && rename("rd/sub", "full") == 0);
	guest_check("renameat", renameat(AT_FDCWD, "ff", AT_FDCWD, "rd/ff") == 0);
	put_file("x1", "x1");
	put_file("x2", "x2");
	guest_check_err("NOREPLACE existing", renameat2_("x1", "x2", RENAME_NOREPLACE_), EEXIST);
	guest_check("NOREPLACE free", renameat2_("x1", "x3", RENAME_NOREPLACE_) == 0);
	guest_check("EXCHANGE", renameat2_("x2", "x3", RENAME_EXCHANGE_) == 0 &&
					!strcmp(text_of("x2"), "x1") &&
					!strcmp(text_of("x3"), "x2"));
	guest_check_err("EXCHANGE missing", renameat2_("x2", "x9", RENAME_EXCHANGE_), ENOENT);
	guest_check_err("both flags", renameat2_("x2", "x3", 3), EINVAL);
	guest_check("same file", rename("x2", "x2") == 0);
	guest_check_err("across filesystems", rename("/proc/meminfo", "pm"), EXDEV);
	unlink("x2"), unlink("x3"), unlink("r2"), unlink("rd/ff");
	rmdir("full"), rmdir("rd");
}

static void test_links(void)
{
	struct stat a, b;
	char buf[64];

	put_file("t", "target");
	guest_check("link", link("t", "t2") == 0 && stat("t", &a) == 0 && stat("t2", &b) == 0);
	guest_check("link shares the inode", a.st_ino == b.st_ino && a.st_nlink == 2);
	guest_check_err("link existing", link("t", "t2"), EEXIST);
	guest_check_err("link a dir", link(".", "dl"), EPERM);
	guest_check_err("link missing", link("zz", "zl"), ENOENT);
	guest_check("linkat", linkat(AT_FDCWD, "t", AT_FDCWD, "t3", 0) == 0);
	guest_check("unlink the first name", unlink("t") == 0 && !strcmp(text_of("t2"), "target"));
	guest_check("nlink drops", stat("t2", &b) == 0 && b.st_nlink == 2);
	guest_check("symlink",
		    symlink("t2", "s") == 0 && lstat("s", &a) == 0 && S_ISLNK(a.st_mode));
	guest_check("readlink", readlink("s", buf, sizeof(buf)) == 2 && !memcmp(buf, "t2", 2));
	guest_check("symlink followed", !strcmp(text_of("s"), "target") && size_of("s") == 2);
	guest_check("symlinkat dangling", symlinkat("nowhere", AT_FDCWD, "s2") == 0);
	guest_check_err("open dangling", open("s2", O_RDONLY), ENOENT);
	guest_check_err("symlink existing", symlink("t2", "s"), EEXIST);
	guest_check_err("symlink empty", symlink("", "s3"), ENOENT);
	symlink("l2", "l1"), symlink("l1", "l2");
	guest_check_err("symlink loop", open("l1", O_RDONLY), ELOOP);
	guest_check_err("O_NOFOLLOW on a link", open("s", O_RDONLY | O_NOFOLLOW), ELOOP);
	guest_check("unlink a symlink", unlink("s") == 0 && unlink("s2") == 0);
	unlink("l1"), unlink("l2"), unlink("t2"), unlink("t3");
}

static void test_meta(void)
{
	struct timespec ts[2] = { { 1000000000, 5 }, { 1200000000, 7 } };
	struct timeval tv[2] = { { 1300000000, 0 }, { 1400000000, 3 } };
	struct stat st;
	struct statfs sf;
	int fd = open("a", O_RDWR);

	guest_check("utimensat", utimensat(AT_FDCWD, "a", ts, 0) == 0 && stat("a", &st) == 0);
	guest_check("times set", st.st_atim.tv_sec == 1000000000 && st.st_atim.tv_nsec == 5 &&
					 st.st_mtim.tv_sec == 1200000000 &&
					 st.st_mtim.tv_nsec == 7);
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_nsec = UTIME_NOW;
	guest_check("futimens OMIT/NOW", futimens(fd, ts) == 0 && fstat(fd, &st) == 0 &&
						 st.st_atim.tv_sec == 1000000000 &&
						 st.st_mtim.tv_sec > 1700000000);
	ts[0].tv_nsec = 1000000000;
	guest_check_err("utimensat bad nsec", utimensat(AT_FDCWD, "a", ts, 0), EINVAL);
	guest_check("utimes", utimes("a", tv) == 0 && stat("a", &st) == 0 &&
				      st.st_mtim.tv_sec == 1400000000 &&
				      st.st_mtim.tv_nsec == 3000);
	guest_check("write moves mtime", write(fd, "x", 1) == 1 && fstat(fd, &st) == 0 &&
						 st.st_mtim.tv_sec > 1700000000);
	guest_check("chmod", chmod("a", 0600) == 0 && stat("a", &st) == 0 &&
				     (st.st_mode & 07777) == 0600 && S_ISREG(st.st_mode));
	guest_check("fchmod",
		    fchmod(fd, 0640) == 0 && fstat(fd, &st) == 0 && (st.st_mode & 07777) == 0640);
	guest_check("fchmodat", fchmodat(AT_FDCWD, "a", 0444, 0) == 0 && stat("a", &st) == 0 &&
					(st.st_mode & 07777) == 0444);
	guest_check_err("chmod missing", chmod("zz", 0644), ENOENT);
	guest_check("chown to self", chown("a", getuid(), getgid()) == 0);
	guest_check("fchown -1", fchown(fd, -1, -1) == 0);
	guest_check("lchown", lchown("a", getuid(), -1) == 0);
	guest_check("fchownat", fchownat(AT_FDCWD, "a", -1, getgid(), AT_SYMLINK_NOFOLLOW) == 0);
	guest_check("owner kept",
		    stat("a", &st) == 0 && st.st_uid == getuid() && st.st_gid == getgid());
	guest_check_err("chown missing", chown("zz", 0, 0), ENOENT);
	guest_check("statfs", statfs(".", &sf) == 0 && sf.f_namelen == 255 && sf.f_bsize > 0);
	guest_check("fstatfs", fstatfs(fd, &sf) == 0 && sf.f_namelen == 255);
	guest_check("tmp is writable", !(sf.f_flags & ST_RDONLY_));
	guest_check_err("statfs missing", statfs("zz", &sf), ENOENT);
	close(fd);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_list(void)
{
	DIR *d;
	struct dirent *e;
	char *names[32];
	int n = 0;

	mkdir("ls", 0755);
	put_file("ls/one", "1");
	put_file("ls/two", "2");
	mkdir("ls/sub", 0755);
	symlink("one", "ls/link");
	d = opendir("ls");
	while (d && (e = readdir(d)) && n < 32) {
		char *s = malloc(300);
		snprintf(s, 300, "%s:%s", e->d_name,
			 e->d_type == DT_DIR   ? "dir"
			 : e->d_type == DT_LNK ? "link"
					       : "file");
		names[n++] = s;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (int i = 0; i < n; i++)
		printf("ls: %s\n", names[i]), free(names[i]);
	unlink("ls/one"), unlink("ls/two"), unlink("ls/link"), rmdir("ls/sub"), rmdir("ls");
}

static void test_mmap(void)
{
	int fd = open("m", O_RDWR | O_CREAT, 0644);
	char page[8192];
	char *p;

	for (size_t i = 0; i < sizeof(page); i++)
		page[i] = 'a' + i % 26;
	write(fd, page, sizeof(page));
	p = mmap(NULL, sizeof(page), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	guest_check("mmap a written file", p != MAP_FAILED && !memcmp(p, page, sizeof(page)));
	if (p != MAP_FAILED) {
		p[0] = '!';
		guest_check("private write stays private", !strncmp(text_of("m"), "abc", 3));
		munmap(p, sizeof(page));
	}
	close(fd);
	unlink("m");
}

int main(void)
{
	char base[] = "/tmp/fs_tmp.XXXXXX";

	if (!mkdtemp(base) || chdir(base)) {
		printf("BAD mkdtemp/chdir\n");
		return 1;
	}
	test_create();
	test_rw();
	test_truncate();
	test_dirs();
	test_rename();
	test_links();
	test_meta();
	test_list();
	test_mmap();
	int fd = open("c", O_RDONLY);
	char buf[4] = "";
	unlink("a"), unlink("b"), unlink("c");
	guest_check("unlinked open file still readable",
		    read(fd, buf, 3) == 3 && !memcmp(buf, "xyz", 3));
	close(fd);
	guest_check("cleanup", chdir("/") == 0 && rmdir(base) == 0);
	return guest_finish();
}
