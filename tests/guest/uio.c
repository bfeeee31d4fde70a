/*
 * Guest test: data moved between files and the program's buffers, where
 * read(2) and write(2) copy straight from or to user memory: /dev/null and
 * /dev/zero, tmpfs files (pages and holes), files of the image (the
 * program itself through /proc/self/exe), and buffers that end in an
 * unmapped page part-way, where Linux returns what was moved before the
 * fault, or EFAULT when nothing was.
 */
#include "guest.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/uio.h>

#define PG 4096

/* Three pages of which the third is unmapped: a buffer that faults at 2*PG. */
static char *two_good_pages(void)
{
	char *p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p + 2 * PG, PG);
	memset(p, 'a', 2 * PG);
	return p;
}

/* musl has no preadv2 wrapper: the system call, its offset in pos_l. */
static long preadv2_(int fd, const struct iovec *iov, int cnt, long off, int flags)
{
	return syscall(SYS_preadv2, fd, iov, cnt, off, 0, flags);
}

static void devices(void)
{
	int null = open("/dev/null", O_RDWR), zero = open("/dev/zero", O_RDWR);
	char *big = malloc(100000);

	guest_check("write(/dev/null, NULL, 10) is 10 (the buffer is never read)",
		    syscall(SYS_write, null, NULL, 10) == 10);
	guest_check("read(/dev/null) is 0", read(null, big, 10) == 0);
	guest_check_err("read(/dev/zero, NULL, 10)", syscall(SYS_read, zero, NULL, 10), EFAULT);
	memset(big, 'x', 100000);
	guest_check("read(/dev/zero) 100000 bytes", read(zero, big, 100000) == 100000);
	int all_zero = 1;
	for (int i = 0; i < 100000; i++)
		all_zero &= big[i] == 0;
	guest_check("... all zero", all_zero);
	char *p = two_good_pages();
	guest_check("read(/dev/zero) into a buffer that faults at 8192: an error or 8192",
		    read(zero, p, 3 * PG) < 0 ? errno == EFAULT : 1);
	guest_check("write(/dev/zero) is swallowed", write(zero, big, 5000) == 5000);
	free(big);
	close(null);
	close(zero);
}

static void tmpfs_files(void)
{
	int fd = open("/tmp/uio.test", O_RDWR | O_CREAT | O_TRUNC, 0600);
	char *p = two_good_pages(), buf[3 * PG], *q;
	struct iovec iov[2];

	guest_check("tmpfs: write from a buffer that faults at 8192 writes 8192",
		    write(fd, p, 3 * PG) == 2 * PG);
	guest_check("tmpfs: the size is 8192", lseek(fd, 0, SEEK_END) == 2 * PG);
	guest_check_err("tmpfs: write from NULL", syscall(SYS_write, fd, NULL, 10), EFAULT);
	guest_check("tmpfs: size unchanged after the failed write",
		    lseek(fd, 0, SEEK_END) == 2 * PG);
	guest_check("tmpfs: pread 100 bytes at 4090",
		    pread(fd, buf, 100, 4090) == 100 && buf[0] == 'a' && buf[99] == 'a');
	/* A hole: extend by 2 pages past a gap, read zeros from the gap. */
	guest_check("tmpfs: pwrite past a hole", pwrite(fd, "end", 3, 5 * PG) == 3);
	memset(buf, 'x', sizeof(buf));
	guest_check("tmpfs: the hole reads as zeros",
		    pread(fd, buf, PG, 3 * PG) == PG && buf[0] == 0 && buf[PG - 1] == 0);
	q = two_good_pages();
	guest_check("tmpfs: read into a buffer that faults at 8192 reads 8192",
		    pread(fd, q, 3 * PG, 0) == 2 * PG);
	guest_check_err("tmpfs: read into NULL", syscall(SYS_pread64, fd, NULL, 10, 0), EFAULT);
	iov[0] = (struct iovec){ buf, 10 };
	iov[1] = (struct iovec){ buf + 100, 5000 };
	guest_check("tmpfs: preadv of two buffers", preadv(fd, iov, 2, 4000) == 5010);
	guest_check("tmpfs: ... the bytes", buf[0] == 'a' && buf[100 + 4095 - 10] == 'a' &&
						    buf[100 + 4096 - 10 + 200] == 0);
	iov[0] = (struct iovec){ "0123", 4 };
	iov[1] = (struct iovec){ "4567", 4 };
	guest_check("tmpfs: pwritev at 100, the position untouched",
		    lseek(fd, 7, SEEK_SET) == 7 && pwritev(fd, iov, 2, 100) == 8 &&
			    lseek(fd, 0, SEEK_CUR) == 7);
	iov[0] = (struct iovec){ buf, 3 };
	guest_check("tmpfs: preadv2 at offset -1 reads at the position and moves it",
		    lseek(fd, 102, SEEK_SET) == 102 && preadv2_(fd, iov, 1, -1, 0) == 3 &&
			    !memcmp(buf, "234", 3) && lseek(fd, 0, SEEK_CUR) == 105);
	guest_check("tmpfs: preadv2 RWF_HIPRI|RWF_SYNC at 104",
		    preadv2_(fd, iov, 1, 104, 0x5) == 3 && !memcmp(buf, "456", 3));
	guest_check_err("preadv2 with an unknown flag", preadv2_(fd, iov, 1, 0, 0x1000),
			EOPNOTSUPP);
	guest_check_err("preadv at a negative offset", preadv(fd, iov, 1, -5), EINVAL);
	guest_check("tmpfs: O_APPEND write lands at the end",
		    fcntl(fd, F_SETFL, O_APPEND) == 0 && write(fd, "zz", 2) == 2 &&
			    lseek(fd, 0, SEEK_END) == 5 * PG + 5);
	close(fd);
	unlink("/tmp/uio.test");
}

static void image_files(void)
{
	int fd = open("/proc/self/exe", O_RDONLY);
	char *p = two_good_pages(), head[4];

	guest_check("the program's own file opens", fd >= 0);
	guest_check("its first bytes are ELF",
		    read(fd, head, 4) == 4 && !memcmp(head, "\177ELF", 4));
	guest_check("read into a buffer that faults at 8192 reads 8192",
		    pread(fd, p, 3 * PG, 0) == 2 * PG && !memcmp(p, "\177ELF", 4));
	guest_check_err("read into NULL", syscall(SYS_pread64, fd, NULL, 10, 0), EFAULT);
	guest_check_err("write to it", write(fd, head, 4), EBADF);
	{
		int p2[2];
		struct iovec one = { head, 1 };
		guest_check_err("preadv on a pipe", pipe(p2) == 0 ? preadv(p2[0], &one, 1, 0) : 0,
				ESPIPE);
	}
	close(fd);
}

int main(void)
{
	devices();
	tmpfs_files();
	image_files();
	return guest_finish();
}
