/*
 * The kernel's own reads of a sparse /tmp file (found by tests/fuzz/sysfuzz,
 * seed 7, call 13321: sendfile from a file ftruncate had made 4 GiB long).
 * read(2) clears a hole straight in the program's buffer, but sendfile and
 * copy_file_range read into a kernel buffer, and there tmpfs copied the hole
 * from a NULL page: a page fault in the kernel.  A hole reads as zeros.
 */
#include <fcntl.h>
#include <sys/sendfile.h>

#include "guest.h"

#define SRC	"/tmp/tmpfs_holes.src"
#define DST	"/tmp/tmpfs_holes.dst"
#define SIZE	65536
#define DATA_AT 40000 /* a written page between holes */
#define DATA	"written"

/* Whether the file at @fd holds SIZE bytes: zeros, DATA at DATA_AT. */
static int holds_pattern(int fd)
{
	static char buf[SIZE], want[SIZE];

	memcpy(want + DATA_AT, DATA, sizeof(DATA) - 1);
	return pread(fd, buf, SIZE, 0) == SIZE && !memcmp(buf, want, SIZE);
}

static int fresh(const char *path)
{
	return open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
}

int main(void)
{
	int src = fresh(SRC), dst = fresh(DST);
	off_t off = 0;
	loff_t in = 0, out = 0;

	guest_check("open", src >= 0 && dst >= 0);
	guest_check("ftruncate makes a hole", ftruncate(src, SIZE) == 0);
	guest_check("pwrite between holes",
		    pwrite(src, DATA, sizeof(DATA) - 1, DATA_AT) == sizeof(DATA) - 1);
	guest_check("sendfile of the sparse file", sendfile(dst, src, &off, SIZE) == SIZE);
	guest_check("what it wrote", holds_pattern(dst));
	guest_check("ftruncate the copy", ftruncate(dst, 0) == 0);
	guest_check("copy_file_range of the sparse file",
		    syscall(SYS_copy_file_range, src, &in, dst, &out, SIZE, 0) == SIZE);
	guest_check("what it copied", holds_pattern(dst));
	guest_check("unlink", unlink(SRC) == 0 && unlink(DST) == 0);
	return guest_bad != 0;
}
