/*
 * Guest test, area mm: bad address ranges given to every memory call.
 *
 * Each call is asked about ranges that end past the user address space,
 * lie in the kernel half, wrap around the end of memory, or cover the last
 * page below the non-canonical hole (never the program's on Linux), and
 * must give Linux's errno without touching anything else: a fuzzer's
 * mremap once had monos unmap kernel memory and panic.  After the bad
 * calls a sentinel page must still hold its data.  Only errno names and
 * results of checks are printed, never an address.
 */
#include "guest.h"

#include <sys/mman.h>
#include <sys/resource.h>

#define PAGE	    4096ul
#define USER_END    0x7ffffffff000ul /* Linux's TASK_SIZE on x86-64 */
#define KERNEL_HALF 0xffff800000000000ul
#define LAST_PAGE   0xfffffffffffff000ul
#define FOUR_GIB    0x100000000ul
#define RW	    (PROT_READ | PROT_WRITE)
#define ANON	    (MAP_PRIVATE | MAP_ANONYMOUS)
#define MLOCK_PAGES 8 /* locked at most twice over: 64 KiB, Linux's old default limit */

/* Map with raw flags; the errno name of the result (0: it worked). */
static long map_at(unsigned long addr, unsigned long len, int flags)
{
	long r = syscall(SYS_mmap, addr, len, RW, ANON | flags, -1, 0);

	if (r != -1)
		munmap((void *)r, len);
	return r == -1 ? -1 : 0;
}

/* The exact call of the issue, then the same shrink with an area at its
 * start, which must reach the munmap range check (EINVAL).  Without an area
 * Linux 6.1 says EINVAL and later kernels EFAULT, so only failure counts. */
static void range_mremap(void)
{
	long r = syscall(SYS_mremap, FOUR_GIB, USER_END, PAGE, 0, 0);
	char *p;

	guest_check("mremap of the issue fails without a panic", r == -1);
	p = mmap((void *)FOUR_GIB, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
	guest_check("map a page at 4 GiB", p == (char *)FOUR_GIB);
	*p = 7;
	guest_check_err("mremap shrink into the kernel half",
			syscall(SYS_mremap, FOUR_GIB, USER_END, PAGE, 0, 0), EINVAL);
	guest_check_err("mremap shrink past the end of memory",
			syscall(SYS_mremap, FOUR_GIB, LAST_PAGE, PAGE, 0, 0), EINVAL);
	guest_check("the page at 4 GiB is intact", *p == 7);
	/* Overlapping a mapping: NOREPLACE refuses, even beside MAP_FIXED. */
	guest_check_err("mmap fixed-noreplace over a page",
			map_at(FOUR_GIB - PAGE, 2 * PAGE, MAP_FIXED_NOREPLACE), EEXIST);
	guest_check_err("mmap fixed and fixed-noreplace over a page",
			map_at(FOUR_GIB, PAGE, MAP_FIXED | MAP_FIXED_NOREPLACE), EEXIST);
	guest_check("the page at 4 GiB is intact again", *p == 7);
	guest_check_err(
		"mremap fixed into the kernel half",
		syscall(SYS_mremap, p, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, KERNEL_HALF),
		EINVAL);
	guest_check_err("mremap fixed onto the last user page",
			syscall(SYS_mremap, p, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, USER_END),
			EINVAL);
	guest_check_err(
		"mremap fixed wrapping around",
		syscall(SYS_mremap, p, PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, LAST_PAGE),
		EINVAL);
	guest_check_err("mremap fixed onto itself",
			syscall(SYS_mremap, p, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, p),
			EINVAL);
	guest_check_err("mremap grow past the end of memory",
			syscall(SYS_mremap, p, PAGE, USER_END, 0, 0), ENOMEM);
	guest_check_err("mremap new length rounding to zero",
			syscall(SYS_mremap, p, PAGE, -1ul, 0, 0), EINVAL);
	guest_check_err("mremap growing the kernel half",
			syscall(SYS_mremap, KERNEL_HALF, PAGE, 2 * PAGE, 0, 0), EFAULT);
	guest_check("the page at 4 GiB is still intact", *p == 7);
	munmap(p, PAGE);
}

static void range_munmap(void)
{
	guest_check_err("munmap the kernel half", munmap((void *)KERNEL_HALF, PAGE), EINVAL);
	guest_check_err("munmap the last user page", munmap((void *)USER_END, PAGE), EINVAL);
	guest_check_err("munmap wrapping around", munmap((void *)LAST_PAGE, 2 * PAGE), EINVAL);
	guest_check_err("munmap from 4 GiB past the end", munmap((void *)FOUR_GIB, USER_END),
			EINVAL);
	guest_check_err("munmap a length rounding to zero", munmap((void *)FOUR_GIB, -1ul), EINVAL);
	guest_check_err("munmap of nothing mapped", munmap((void *)FOUR_GIB, 16 * PAGE), 0);
}

static void range_mmap(void)
{
	long hint;

	guest_check_err("mmap fixed in the kernel half", map_at(KERNEL_HALF, PAGE, MAP_FIXED),
			ENOMEM);
	guest_check_err("mmap fixed on the last user page", map_at(USER_END, PAGE, MAP_FIXED),
			ENOMEM);
	guest_check_err("mmap fixed wrapping around", map_at(LAST_PAGE, 2 * PAGE, MAP_FIXED),
			ENOMEM);
	guest_check_err("mmap fixed, unaligned and out of range",
			map_at(USER_END + 1, PAGE, MAP_FIXED), ENOMEM);
	guest_check_err("mmap fixed-noreplace in the kernel half",
			map_at(KERNEL_HALF, PAGE, MAP_FIXED_NOREPLACE), ENOMEM);
	guest_check_err("mmap a length past the end of memory", map_at(0, -PAGE, 0), ENOMEM);
	/* A hint is only a hint: one outside user memory is ignored. */
	hint = syscall(SYS_mmap, LAST_PAGE, 2 * PAGE, RW, ANON, -1, 0);
	guest_check("mmap hint wrapping around lands in user memory",
		    hint != -1 && (unsigned long)hint < USER_END);
	if (hint != -1) {
		*(char *)hint = 1;
		munmap((void *)hint, 2 * PAGE);
	}
	hint = syscall(SYS_mmap, KERNEL_HALF, PAGE, RW, ANON, -1, 0);
	guest_check("mmap hint in the kernel half lands in user memory",
		    hint != -1 && (unsigned long)hint < USER_END);
	if (hint != -1)
		munmap((void *)hint, PAGE);
}

static void range_mprotect(void)
{
	guest_check_err("mprotect the kernel half",
			syscall(SYS_mprotect, KERNEL_HALF, PAGE, PROT_READ), ENOMEM);
	guest_check_err("mprotect wrapping around",
			syscall(SYS_mprotect, LAST_PAGE, 2 * PAGE, PROT_READ), ENOMEM);
	guest_check_err("mprotect a length rounding to zero",
			syscall(SYS_mprotect, FOUR_GIB, -1ul, PROT_READ), ENOMEM);
	guest_check_err("mprotect the last user page",
			syscall(SYS_mprotect, USER_END, PAGE, PROT_READ), ENOMEM);
	guest_check_err("mprotect length 0 with bad rights",
			syscall(SYS_mprotect, KERNEL_HALF, 0, 0x100), 0);
}

static void range_madvise(void)
{
	guest_check_err("madvise the kernel half",
			syscall(SYS_madvise, KERNEL_HALF, PAGE, MADV_DONTNEED), ENOMEM);
	guest_check_err("madvise wrapping around",
			syscall(SYS_madvise, LAST_PAGE, 2 * PAGE, MADV_DONTNEED), EINVAL);
	guest_check_err("madvise a length rounding to zero",
			syscall(SYS_madvise, FOUR_GIB, -1ul, MADV_DONTNEED), EINVAL);
	guest_check_err("madvise a hint on unmapped memory",
			syscall(SYS_madvise, FOUR_GIB, PAGE, MADV_NORMAL), ENOMEM);
	guest_check_err("madvise a hint on the kernel half",
			syscall(SYS_madvise, KERNEL_HALF, PAGE, MADV_WILLNEED), ENOMEM);
}

static void range_msync_mincore(void)
{
	unsigned char vec[4];
	char *p = mmap(NULL, PAGE, RW, ANON, -1, 0);

	guest_check_err("msync the kernel half", syscall(SYS_msync, KERNEL_HALF, PAGE, MS_ASYNC),
			ENOMEM);
	guest_check_err("msync wrapping around", syscall(SYS_msync, LAST_PAGE, 2 * PAGE, MS_ASYNC),
			ENOMEM);
	guest_check_err("mincore the kernel half", syscall(SYS_mincore, KERNEL_HALF, PAGE, vec),
			ENOMEM);
	guest_check_err("mincore wrapping around", syscall(SYS_mincore, LAST_PAGE, 2 * PAGE, vec),
			ENOMEM);
	guest_check_err("mincore into a kernel-half vector",
			syscall(SYS_mincore, p, PAGE, KERNEL_HALF), EFAULT);
	guest_check_err("mincore of a page", syscall(SYS_mincore, p, PAGE, vec), 0);
	guest_check_err("mincore of length 0 where nothing is mapped",
			syscall(SYS_mincore, FOUR_GIB, 0, vec), 0);
	munmap(p, PAGE);
}

/* munlock shares mlock's range rules without its RLIMIT_MEMLOCK checks,
 * which a container may set to anything; the flag checks come first. */
static void range_mlock(void)
{
	char *p = mmap(NULL, 2 * PAGE, RW, ANON, -1, 0);

	guest_check_err("munlock the kernel half", syscall(SYS_munlock, KERNEL_HALF, PAGE), ENOMEM);
	guest_check_err("munlock wrapping around", syscall(SYS_munlock, LAST_PAGE, 2 * PAGE),
			EINVAL);
	guest_check_err("munlock unmapped memory", syscall(SYS_munlock, FOUR_GIB, PAGE), ENOMEM);
	guest_check_err("munlock from an unaligned start", syscall(SYS_munlock, p + 1, PAGE), 0);
	munmap(p + PAGE, PAGE);
	guest_check_err("munlock running into a hole", syscall(SYS_munlock, p + 1, PAGE), ENOMEM);
	guest_check_err("mlock2 with a bad flag", syscall(SYS_mlock2, p, PAGE, 2), EINVAL);
	guest_check_err("mlockall with no flag", syscall(SYS_mlockall, 0), EINVAL);
	guest_check_err("mlockall with only MCL_ONFAULT", syscall(SYS_mlockall, MCL_ONFAULT),
			EINVAL);
	guest_check_err("munlockall", syscall(SYS_munlockall), 0);
	munmap(p, PAGE);
}

/* Whether this process may lock `len` bytes (raising its soft limit to the
 * hard one); where it may not (a container's choice), the checks of
 * mlock_fill pass unchecked, printing the same lines. */
static int may_lock(size_t len)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_max < len)
		return 0;
	rl.rlim_cur = rl.rlim_max;
	return setrlimit(RLIMIT_MEMLOCK, &rl) == 0;
}

/* How many of the MLOCK_PAGES pages at `p` are resident; -1 on error. */
static int resident(char *p)
{
	unsigned char vec[MLOCK_PAGES];
	int n = 0;

	if (mincore(p, MLOCK_PAGES * PAGE, vec))
		return -1;
	for (unsigned i = 0; i < MLOCK_PAGES; i++)
		n += vec[i] & 1;
	return n;
}

/* mlock fills the pages it locks (mincore sees them) and refuses PROT_NONE
 * with ENOMEM; MLOCK_ONFAULT fills nothing. */
static void mlock_fill(void)
{
	size_t len = MLOCK_PAGES * PAGE;
	char *p = mmap(NULL, len, RW, ANON, -1, 0), *none = mmap(NULL, len, PROT_NONE, ANON, -1, 0);
	int onfault = 1, filled = 1, refused = 1;

	if (may_lock(2 * len)) {
		onfault = !syscall(SYS_mlock2, p, len, MLOCK_ONFAULT) && resident(p) == 0;
		filled = !syscall(SYS_mlock, p + 1, len - PAGE) && resident(p) == MLOCK_PAGES;
		refused = syscall(SYS_mlock, none, PAGE) == -1 && errno == ENOMEM;
		munlockall();
	}
	guest_check("mlock2 MLOCK_ONFAULT fills nothing", onfault);
	guest_check("mlock fills every page it locks, from an unaligned start", filled);
	guest_check("mlock of PROT_NONE memory is ENOMEM", refused);
	munmap(p, len);
	munmap(none, len);
}

/* The break never moves into the kernel half or around the end. */
static void range_brk(void)
{
	long start = syscall(SYS_brk, 0);

	guest_check("brk into the kernel half keeps the break",
		    syscall(SYS_brk, KERNEL_HALF) == start);
	guest_check("brk to the last page keeps the break", syscall(SYS_brk, LAST_PAGE) == start);
	guest_check("brk to -1 keeps the break", syscall(SYS_brk, -1ul) == start);
}

int main(void)
{
	char *sentinel = mmap(NULL, PAGE, RW, ANON, -1, 0);

	memset(sentinel, 0x5a, PAGE);
	range_mremap();
	range_munmap();
	range_mmap();
	range_mprotect();
	range_madvise();
	range_msync_mincore();
	range_mlock();
	mlock_fill();
	range_brk();
	guest_check("a sentinel page kept its data",
		    sentinel[0] == 0x5a && sentinel[PAGE - 1] == 0x5a);
	return guest_finish();
}
