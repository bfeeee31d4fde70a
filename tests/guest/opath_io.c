/*
 * I/O on O_PATH descriptors (found by tests/fuzz/sysfuzz, seed 102, call
 * 1888: open of a /proc file with O_PATH|O_RDWR, then readv of it, was a
 * kernel page fault: the file had /proc's read operation but no generated
 * text, since O_PATH never opens the file).  Linux answers EBADF to every
 * read, write, seek and ioctl of such a descriptor, whatever the access mode
 * asked, while fstat still works.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "guest.h"

static void path_io(const char *path)
{
	char buf[64], name[128];
	struct iovec iov = { buf, sizeof(buf) };
	struct stat st;
	int fd = open(path, O_PATH | O_RDWR), n;

	snprintf(name, sizeof(name), "open %s O_PATH|O_RDWR", path);
	guest_check(name, fd >= 0);
	guest_check_err("  read", read(fd, buf, sizeof(buf)), EBADF);
	guest_check_err("  readv", readv(fd, &iov, 1), EBADF);
	guest_check_err("  pread", pread(fd, buf, sizeof(buf), 0), EBADF);
	guest_check_err("  preadv", preadv(fd, &iov, 1, 0), EBADF);
	guest_check_err("  write", write(fd, "x", 1), EBADF);
	guest_check_err("  writev", writev(fd, &iov, 1), EBADF);
	guest_check_err("  pwrite", pwrite(fd, "x", 1, 0), EBADF);
	guest_check_err("  lseek", lseek(fd, 0, SEEK_SET), EBADF);
	guest_check_err("  ioctl FIONREAD", ioctl(fd, FIONREAD, &n), EBADF);
	guest_check("  fstat works", fstat(fd, &st) == 0 && S_ISREG(st.st_mode));
	close(fd);
}

int main(void)
{
	int fd = open("/tmp/opath_io", O_CREAT | O_WRONLY | O_TRUNC, 0600);

	guest_check("a /tmp file", fd >= 0 && write(fd, "data", 4) == 4);
	close(fd);
	path_io("/proc/self/status");
	path_io("/proc/meminfo");
	path_io("/tmp/opath_io");
	unlink("/tmp/opath_io");
	return guest_bad != 0;
}
