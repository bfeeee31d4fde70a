/*
 * Guest test, area files (copies in the kernel): sendfile and
 * copy_file_range.
 *
 * sendfile from a file in /tmp to another file (with the file position, and
 * with an offset pointer that leaves the position alone), to a pipe and to
 * stdout; copy_file_range between two files, with and without offsets, and
 * within one file.  Then the errors Linux gives: EBADF for the wrong access
 * mode, EINVAL for O_APPEND, flags or overlapping ranges, EISDIR.
 */
#include "guest.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#define SRC	 "/tmp/copy-src"
#define DST	 "/tmp/copy-dst"
#define DST2	 "/tmp/copy-dst2"
#define SRC_SIZE 200000

static char data[SRC_SIZE], back[2 * SRC_SIZE];

/* The FNV fingerprint of the whole of file `path`, and its size. */
static void show_file(const char *label, const char *path)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, back, sizeof(back));

	printf("%s: %zd bytes, fnv %016llx\n", label, n,
	       (unsigned long long)guest_fnv(GUEST_FNV_INIT, back, n > 0 ? n : 0));
	close(fd);
}

static int make_src(void)
{
	int fd = open(SRC, O_RDWR | O_CREAT | O_TRUNC, 0644);

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 31 + i / 1000);
	guest_check("source written", fd >= 0 && write(fd, data, sizeof(data)) == SRC_SIZE);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void sendfile_files(int src)
{
	int dst = open(DST, O_WRONLY | O_CREAT | O_TRUNC, 0644), p[2];
	off_t off = 1000;
	char buf[100];

	guest_check("sendfile whole file", sendfile(dst, src, NULL, SRC_SIZE + 5) == SRC_SIZE);
	guest_check("sendfile moved the source position", lseek(src, 0, SEEK_CUR) == SRC_SIZE);
	guest_check("sendfile at EOF returns 0", sendfile(dst, src, NULL, 10) == 0);
	show_file("after sendfile", DST);
	lseek(src, 7, SEEK_SET);
	guest_check("sendfile with an offset", sendfile(dst, src, &off, 5000) == 5000);
	guest_check("offset pointer advanced", off == 6000);
	guest_check("position left alone", lseek(src, 0, SEEK_CUR) == 7);
	show_file("after sendfile with offset", DST);
	guest_check("pipe", pipe(p) == 0);
	off = 50;
	guest_check("sendfile to a pipe", sendfile(p[1], src, &off, 100) == 100);
	guest_check("pipe holds the bytes",
		    read(p[0], buf, sizeof(buf)) == 100 && memcmp(buf, data + 50, 100) == 0);
	close(p[0]);
	close(p[1]);
	close(dst);
}

static void sendfile_stdout(void)
{
	static const char text[] = "this line came through sendfile\n";
	int fd = open(DST2, O_RDWR | O_CREAT | O_TRUNC, 0644);
	off_t off = 0;

	write(fd, text, sizeof(text) - 1);
	fflush(stdout);
	guest_check("sendfile to stdout",
		    sendfile(1, fd, &off, sizeof(text)) == (ssize_t)sizeof(text) - 1);
	close(fd);
}

static void sendfile_errors(int src)
{
	int ro = open(SRC, O_RDONLY), wo = open(DST, O_WRONLY), ap = open(DST, O_WRONLY | O_APPEND);
	off_t off = 0;

	guest_check_err("sendfile to a read-only fd", sendfile(ro, src, &off, 1), EBADF);
	guest_check_err("sendfile from a write-only fd", sendfile(wo, wo, &off, 1), EBADF);
	guest_check_err("sendfile from a bad fd", sendfile(wo, 999, &off, 1), EBADF);
	guest_check_err("sendfile to O_APPEND", sendfile(ap, src, &off, 1), EINVAL);
	close(ro);
	close(wo);
	close(ap);
}

static void copy_range(int src)
{
	int dst = open(DST2, O_RDWR | O_CREAT | O_TRUNC, 0644);
	loff_t in = 100, out = 0;

	lseek(src, 0, SEEK_SET);
	guest_check("copy_file_range whole file",
		    copy_file_range(src, NULL, dst, NULL, SRC_SIZE, 0) == SRC_SIZE);
	guest_check("copy moved both positions",
		    lseek(src, 0, SEEK_CUR) == SRC_SIZE && lseek(dst, 0, SEEK_CUR) == SRC_SIZE);
	show_file("after copy_file_range", DST2);
	guest_check("copy_file_range at EOF returns 0",
		    copy_file_range(src, NULL, dst, NULL, 10, 0) == 0);
	guest_check("copy_file_range with offsets",
		    copy_file_range(src, &in, dst, &out, 3000, 0) == 3000);
	guest_check("offsets advanced", in == 3100 && out == 3000);
	show_file("after copy with offsets", DST2);
	in = 0, out = 150000;
	guest_check("copy within one file, apart",
		    copy_file_range(dst, &in, dst, &out, 10000, 0) == 10000);
	show_file("after copy within a file", DST2);
	in = 0, out = 5000;
	guest_check_err("copy within one file, overlapping",
			copy_file_range(dst, &in, dst, &out, 10000, 0), EINVAL);
	in = 0;
	guest_check_err("copy_file_range flags", copy_file_range(src, &in, dst, NULL, 10, 1),
			EINVAL);
	close(dst);
}

static void copy_errors(int src)
{
	int ro = open(DST2, O_RDONLY), ap = open(DST2, O_WRONLY | O_APPEND);
	int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
	loff_t in = 0;

	guest_check_err("copy to a read-only fd", copy_file_range(src, &in, ro, NULL, 10, 0),
			EBADF);
	guest_check_err("copy to O_APPEND", copy_file_range(src, &in, ap, NULL, 10, 0), EBADF);
	guest_check_err("copy from a directory", copy_file_range(dir, &in, ap, NULL, 10, 0),
			EISDIR);
	guest_check_err("copy from a bad fd", copy_file_range(999, &in, ap, NULL, 10, 0), EBADF);
	close(ro);
	close(ap);
	close(dir);
}

int main(void)
{
	int src = make_src();

	sendfile_files(src);
	sendfile_stdout();
	sendfile_errors(src);
	copy_range(src);
	copy_errors(src);
	close(src);
	unlink(SRC);
	unlink(DST);
	unlink(DST2);
	return guest_finish();
}
