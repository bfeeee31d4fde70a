/*
 * Guest test, area mm: a 64 TiB address-space reservation with a few pages
 * touched, as Go, the JVM and glibc's arenas make them (PROT_NONE,
 * MAP_NORESERVE), then mprotect, madvise, msync, MAP_FIXED, mremap and
 * munmap over all of it, and many such reservations made and dropped.
 *
 * On Linux each call costs what the pages that exist cost; a kernel whose
 * cost follows the size of the range spends minutes here (monos once took
 * about 1,000 s for one 64 TiB mprotect, with interrupts off), and the test
 * runner's timeout catches that: the program times nothing itself.  It also
 * checks that data survives a trip through PROT_NONE, and that page tables
 * emptied by munmap are given back.  Only results of checks are printed,
 * never an address.
 */
#include "guest.h"

#include <sys/mman.h>

#define PAGE	      4096ul
#define TIB	      (1ul << 40)
#define RESERVE	      (64 * TIB)
#define TOUCHED	      8	 /* pages touched, spread over the reservation */
#define ROUNDS	      64 /* reservations made and dropped */
#define GIB	      (1ul << 30)
#define SPARSE_STEP   (512 * GIB) /* what one top-level page-table entry maps */
#define SPARSE_ROUNDS 300	  /* 1 MiB of page tables each: 300 MiB in all */
#define RW	      (PROT_READ | PROT_WRITE)
#define RESERVED      (MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE)

static char *reserve(void)
{
	return mmap(NULL, RESERVE, PROT_NONE, RESERVED, -1, 0);
}

/* The i-th touched page: one in each eighth, at a different offset. */
static char *touched(char *p, unsigned i)
{
	return p + i * (RESERVE / TOUCHED) + i * PAGE;
}

/* Whether every touched page holds its own value (`fresh`: zero). */
static int pages_hold(char *p, int fresh)
{
	for (unsigned i = 0; i < TOUCHED; i++)
		if (*touched(p, i) != (fresh ? 0 : (char)(i + 1)))
			return 0;
	return 1;
}

static void reserve_protect(char *p)
{
	int ok = 1;

	for (unsigned i = 0; i < TOUCHED; i++) {
		ok &= mprotect(touched(p, i), PAGE, RW) == 0;
		*touched(p, i) = (char)(i + 1);
	}
	guest_check("make a few pages writable and touch them", ok);
	guest_check("mprotect all 64 TiB read-write", mprotect(p, RESERVE, RW) == 0);
	guest_check("touched pages kept their data", pages_hold(p, 0));
	guest_check("an untouched page reads zero", p[RESERVE / 2 + 5 * PAGE] == 0);
	guest_check("mprotect all 64 TiB PROT_NONE", mprotect(p, RESERVE, PROT_NONE) == 0);
	guest_check("mprotect all 64 TiB read-only", mprotect(p, RESERVE, PROT_READ) == 0);
	guest_check("data survives PROT_NONE", pages_hold(p, 0));
	guest_check("msync all 64 TiB", msync(p, RESERVE, MS_ASYNC) == 0);
	guest_check("MADV_DONTNEED all 64 TiB", madvise(p, RESERVE, MADV_DONTNEED) == 0);
	guest_check("dropped pages read zero", pages_hold(p, 1));
}

static void reserve_remap(char *p)
{
	char *mid = p + RESERVE / 2, *q;

	q = mmap(mid, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	guest_check("MAP_FIXED a page in the middle", q == mid);
	*q = 9;
	guest_check("mprotect all around it PROT_NONE", mprotect(p, RESERVE, PROT_NONE) == 0);
	guest_check("mremap shrinks the reservation to a quarter",
		    mremap(p, RESERVE, RESERVE / 4, 0) == p);
	guest_check("the upper part is gone", msync(mid, PAGE, MS_ASYNC) == -1 && errno == ENOMEM);
	guest_check("munmap all 64 TiB", munmap(p, RESERVE) == 0);
	guest_check("the reservation is gone", msync(p, PAGE, MS_ASYNC) == -1 && errno == ENOMEM);
}

static void reserve_rounds(void)
{
	int ok = 1;

	for (int i = 0; i < ROUNDS && ok; i++) {
		char *p = reserve();

		ok = p != MAP_FAILED && mprotect(p + i * TIB, PAGE, RW) == 0;
		if (ok)
			p[i * TIB] = 1;
		ok = ok && munmap(p, RESERVE) == 0;
	}
	guest_check("64 reservations of 64 TiB made, touched and dropped", ok);
}

/*
 * Touch one page in each 512 GiB of a writable reservation, at another GiB
 * each round, then drop it, many times.  Each touch needs two page tables of
 * its own, so a kernel that kept the emptied tables would run out of memory
 * (monos runs with 256 MiB) long before the last round.
 */
static void reserve_sparse_rounds(void)
{
	int ok = 1;

	for (unsigned long i = 0; i < SPARSE_ROUNDS && ok; i++) {
		char *p = mmap(NULL, RESERVE, RW, RESERVED, -1, 0);

		ok = p != MAP_FAILED;
		for (unsigned long t = 0; ok && t < RESERVE / SPARSE_STEP; t++)
			p[t * SPARSE_STEP + i * GIB] = 1;
		ok = ok && munmap(p, RESERVE) == 0;
	}
	guest_check("300 writable reservations touched sparsely and dropped", ok);
}

int main(void)
{
	char *p = reserve();

	guest_check("reserve 64 TiB", p != MAP_FAILED);
	if (p == MAP_FAILED)
		return guest_finish();
	reserve_protect(p);
	reserve_remap(p);
	reserve_rounds();
	reserve_sparse_rounds();
	return guest_finish();
}
