/*
 * Writes far beyond the end of a /tmp file (found by tests/fuzz/sysfuzz,
 * seed 1, call 2817: pwritev at offset 0x43874966864b79bb).  The kernel's
 * tmpfs asked its heap for a page array of 2^54 bytes; the heap moved its
 * large-block cursor past the end of its area before finding that no frames
 * were left, so the next large allocation was made at a non-canonical
 * address and the kernel died of a general protection fault.
 *
 * Linux makes a sparse file (tmpfs) or refuses with EFBIG (a disk /tmp);
 * monos may also say ENOSPC.  What must hold everywhere: the kernel lives
 * on, and an ordinary file of a few MiB (a large page array) still works.
 */
#include <fcntl.h>
#include <stdlib.h>

#include "guest.h"

#define FILE_PATH  "/tmp/tmpfs_huge"
#define CHUNK	   65536
#define BIG_CHUNKS 64 /* 4 MiB: a page array bigger than a small heap block */

/* A write at @off either happened or was refused for its size. */
static void huge_write(int fd, const char *name, uint64_t off)
{
	long r = syscall(SYS_pwrite64, fd, "x", 1, off);

	guest_check(name, r == 1 || (r < 0 && (errno == ENOSPC || errno == EFBIG)));
}

/* Write BIG_CHUNKS chunks of a pattern, read them back, compare. */
static void big_file(int fd)
{
	static unsigned char buf[CHUNK], back[CHUNK];
	int same = 1;

	for (int i = 0; i < BIG_CHUNKS; i++) {
		memset(buf, i, sizeof(buf));
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			same = 0;
	}
	for (int i = 0; i < BIG_CHUNKS; i++) {
		memset(buf, i, sizeof(buf));
		if (pread(fd, back, sizeof(back), (off_t)i * CHUNK) != (ssize_t)sizeof(back) ||
		    memcmp(buf, back, sizeof(buf)))
			same = 0;
	}
	guest_check("a 4 MiB file afterwards reads back", same);
}

int main(void)
{
	int fd = open(FILE_PATH, O_RDWR | O_CREAT | O_TRUNC, 0600);

	guest_check("open", fd >= 0);
	huge_write(fd, "pwrite at the fuzzer's offset", 0x43874966864b79bbull);
	huge_write(fd, "pwrite at 2^62", 1ull << 62);
	huge_write(fd, "pwrite at 2^63 - 2", INT64_MAX - 1);
	guest_check("truncate to 0", ftruncate(fd, 0) == 0);
	big_file(fd);
	close(fd);
	guest_check("unlink", unlink(FILE_PATH) == 0);
	return guest_bad != 0;
}
