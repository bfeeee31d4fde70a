/*
 * Guest test, area mm (part 2): mremap, msync, mincore and memfd_create.
 *
 * mremap grows in place when the range after is free, refuses without
 * MREMAP_MAYMOVE when it is not, and moves (keeping the data) with it;
 * MREMAP_FIXED moves to a chosen place; shrinking keeps the address.  msync
 * and mincore validate like Linux, and mincore reports the pages touched.
 * A memfd mapped MAP_SHARED twice shows each mapping's writes in the other
 * and through read()/write(), also after the mapping moved.  Only results
 * of checks are printed, never an address.
 */
#include "guest.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>

#define PAGE 4096ul
#define RW   (PROT_READ | PROT_WRITE)

static char *anon(size_t len)
{
	return mmap(NULL, len, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* Fill `len` bytes with a pattern depending on `seed`. */
static void fill(char *p, size_t len, int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (char)(i * 7 + seed);
}

static int holds(const char *p, size_t len, int seed)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != (char)(i * 7 + seed))
			return 0;
	return 1;
}

static int all_zero(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Whether [p, p + len) is unmapped: msync says ENOMEM there. */
static int unmapped(void *p, size_t len)
{
	return msync(p, len, MS_ASYNC) == -1 && errno == ENOMEM;
}

static void remap_grow_shrink(void)
{
	/* Pages 4-7 stay mapped after `a` as a guard, whatever the layout. */
	char *a = anon(8 * PAGE), *b, *guard = a + 4 * PAGE;

	fill(a, 4 * PAGE, 1);
	/* Free pages 2-3, then grow back over them: in place. */
	munmap(a + 2 * PAGE, 2 * PAGE);
	b = mremap(a, 2 * PAGE, 4 * PAGE, 0);
	guest_check("mremap grows in place into a free range", b == a);
	guest_check("grown mapping keeps its data", holds(a, 2 * PAGE, 1));
	guest_check("grown part reads zero", all_zero(a + 2 * PAGE, 2 * PAGE));
	/* The guard right after: growing must move. */
	fill(a, 4 * PAGE, 2);
	b = mremap(a, 4 * PAGE, 64 * PAGE, 0);
	guest_check_err("mremap without MAYMOVE, range taken", b == MAP_FAILED ? -1 : 0, ENOMEM);
	b = mremap(a, 4 * PAGE, 64 * PAGE, MREMAP_MAYMOVE);
	guest_check("mremap MAYMOVE moves", b != MAP_FAILED && b != a);
	guest_check("moved mapping keeps its data", b != MAP_FAILED && holds(b, 4 * PAGE, 2));
	guest_check("moved mapping's new part reads zero",
		    b != MAP_FAILED && all_zero(b + 4 * PAGE, 60 * PAGE));
	guest_check("old range is unmapped", unmapped(a, 4 * PAGE));
	b[64 * PAGE - 1] = 5;
	a = mremap(b, 64 * PAGE, 3 * PAGE, 0);
	guest_check("mremap shrinks in place", a == b);
	guest_check("shrunk mapping keeps its data", holds(a, 3 * PAGE, 2));
	guest_check("shrunk tail is unmapped", unmapped(a + 3 * PAGE, 61 * PAGE));
	munmap(a, 3 * PAGE);
	munmap(guard, 4 * PAGE);
}

static void remap_fixed(void)
{
	char *a = anon(3 * PAGE), *t = anon(8 * PAGE), *b;

	fill(a, 3 * PAGE, 3);
	t[0] = 9; /* replaced by the move */
	b = mremap(a, 3 * PAGE, 5 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, t + 2 * PAGE);
	guest_check("mremap FIXED lands at the given address", b == t + 2 * PAGE);
	guest_check("FIXED move keeps the data", holds(b, 3 * PAGE, 3));
	guest_check("FIXED move's new part reads zero", all_zero(b + 3 * PAGE, 2 * PAGE));
	guest_check("FIXED leaves the rest of the target", t[0] == 9);
	guest_check("FIXED unmaps the source", unmapped(a, 3 * PAGE));
	b = mremap(t, 2 * PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, t + PAGE);
	guest_check_err("mremap FIXED onto itself", b == MAP_FAILED ? -1 : 0, EINVAL);
	munmap(t, 8 * PAGE);
}

static void remap_errors(void)
{
	char *a = anon(2 * PAGE);
	long r;

	r = (long)mremap(a + 1, PAGE, 2 * PAGE, MREMAP_MAYMOVE);
	guest_check_err("mremap unaligned", r == -1 ? -1 : 0, EINVAL);
	r = (long)mremap(a, PAGE, 0, MREMAP_MAYMOVE);
	guest_check_err("mremap to length 0", r == -1 ? -1 : 0, EINVAL);
	r = (long)syscall(SYS_mremap, a, PAGE, 2 * PAGE, MREMAP_FIXED, a + 8 * PAGE);
	guest_check_err("mremap FIXED without MAYMOVE", r, EINVAL);
	r = (long)syscall(SYS_mremap, a, PAGE, 2 * PAGE, 0x100, 0);
	guest_check_err("mremap unknown flag", r, EINVAL);
	munmap(a, 2 * PAGE);
	r = (long)mremap(a, PAGE, 2 * PAGE, MREMAP_MAYMOVE);
	guest_check_err("mremap of an unmapped range", r == -1 ? -1 : 0, EFAULT);
}

static void sync_and_mincore(void)
{
	char *a = anon(8 * PAGE);
	unsigned char vec[8];
	char shown[9] = { 0 };

	guest_check("msync MS_SYNC", msync(a, 8 * PAGE, MS_SYNC) == 0);
	guest_check("msync MS_ASYNC|MS_INVALIDATE", msync(a, PAGE, MS_ASYNC | MS_INVALIDATE) == 0);
	guest_check_err("msync MS_ASYNC|MS_SYNC", msync(a, PAGE, MS_ASYNC | MS_SYNC), EINVAL);
	guest_check_err("msync unaligned", msync(a + 1, PAGE, MS_SYNC), EINVAL);
	guest_check_err("msync bad flag", msync(a, PAGE, 64), EINVAL);
	a[0] = a[3 * PAGE] = a[5 * PAGE + 100] = 1;
	guest_check("mincore of 8 pages", mincore(a, 8 * PAGE, vec) == 0);
	for (int i = 0; i < 8; i++)
		shown[i] = (vec[i] & 1) ? '1' : '0';
	printf("mincore after touching pages 0, 3, 5: %s\n", shown);
	guest_check_err("mincore unaligned", mincore(a + 1, PAGE, vec), EINVAL);
	guest_check_err("mincore bad vector", mincore(a, PAGE, (unsigned char *)8), EFAULT);
	munmap(a + 4 * PAGE, PAGE);
	guest_check_err("mincore over a hole", mincore(a, 8 * PAGE, vec), ENOMEM);
	guest_check_err("msync over a hole", msync(a, 8 * PAGE, MS_SYNC), ENOMEM);
	munmap(a, 8 * PAGE);
}

/* The link text of /proc/self/fd/`fd`. */
static void show_fd_link(int fd)
{
	char path[64], link[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	link[n < 0 ? 0 : n] = 0;
	printf("memfd link: %s\n", link);
}

static void memfd_shared(void)
{
	int fd = memfd_create("mm2", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	char *m1, *m2, buf[16] = { 0 };
	unsigned char vec[3];

	guest_check("memfd_create", fd >= 0);
	guest_check("memfd is close-on-exec", fcntl(fd, F_GETFD) == FD_CLOEXEC);
	show_fd_link(fd);
	guest_check("memfd ftruncate", ftruncate(fd, 3 * PAGE) == 0);
	m1 = mmap(NULL, 3 * PAGE, RW, MAP_SHARED, fd, 0);
	m2 = mmap(NULL, 3 * PAGE, RW, MAP_SHARED, fd, 0);
	guest_check("two shared mappings", m1 != MAP_FAILED && m2 != MAP_FAILED && m1 != m2);
	strcpy(m1 + 10, "via m1");
	/* The file's page is resident for m2 too, before m2 touches it. */
	guest_check("mincore of m2 shows the page m1 touched",
		    mincore(m2, 3 * PAGE, vec) == 0 && vec[0] == 1 && vec[1] == 0 && vec[2] == 0);
	guest_check("m2 sees m1's write", strcmp(m2 + 10, "via m1") == 0);
	guest_check("pread sees the mapping's write",
		    pread(fd, buf, 6, 10) == 6 && memcmp(buf, "via m1", 6) == 0);
	guest_check("pwrite", pwrite(fd, "by fd", 5, PAGE + 1) == 5);
	guest_check("both mappings see write()", memcmp(m1 + PAGE + 1, "by fd", 5) == 0 &&
							 memcmp(m2 + PAGE + 1, "by fd", 5) == 0);
	guest_check("msync of a shared mapping", msync(m1, 3 * PAGE, MS_SYNC) == 0);
	guest_check_err("MADV_FREE on a shared mapping", madvise(m1, PAGE, MADV_FREE), EINVAL);
	guest_check("MADV_FREE's refusal keeps the data", strcmp(m1 + 10, "via m1") == 0);
	/* Move m1 somewhere else: it must still be the file. */
	m1 = mremap(m1, 3 * PAGE, 3 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, m2 + 16 * PAGE);
	guest_check("shared mapping moved", m1 == m2 + 16 * PAGE);
	m1[2 * PAGE] = 'Z';
	guest_check("moved shared mapping still writes the file",
		    m2[2 * PAGE] == 'Z' && pread(fd, buf, 1, 2 * PAGE) == 1 && buf[0] == 'Z');
	guest_check("moved shared mapping keeps old data", strcmp(m1 + 10, "via m1") == 0);
	munmap(m1, 3 * PAGE);
	munmap(m2, 3 * PAGE);
	close(fd);
}

static void memfd_errors(void)
{
	char name[300];
	int fd;
	void *m;

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	guest_check_err("memfd name too long", memfd_create(name, 0), EINVAL);
	guest_check_err("memfd bad flag", syscall(SYS_memfd_create, "x", 0x1000), EINVAL);
	fd = open("/tmp/mm2-ro-file", O_RDWR | O_CREAT | O_TRUNC, 0600);
	guest_check("tmp file", fd >= 0 && ftruncate(fd, PAGE) == 0);
	close(fd);
	fd = open("/tmp/mm2-ro-file", O_RDONLY);
	m = mmap(NULL, PAGE, RW, MAP_SHARED, fd, 0);
	guest_check_err("MAP_SHARED PROT_WRITE of a read-only fd", m == MAP_FAILED ? -1 : 0,
			EACCES);
	m = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	guest_check("MAP_SHARED PROT_READ of a read-only fd", m != MAP_FAILED);
	guest_check_err("mprotect it writable", mprotect(m, PAGE, RW), EACCES);
	munmap(m, PAGE);
	close(fd);
	unlink("/tmp/mm2-ro-file");
}

int main(void)
{
	remap_grow_shrink();
	remap_fixed();
	remap_errors();
	sync_and_mincore();
	memfd_shared();
	memfd_errors();
	return guest_finish();
}
