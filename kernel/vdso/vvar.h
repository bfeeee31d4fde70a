/*
 * The vvar page: the clock data the kernel publishes to user space, and the
 * one conversion from TSC ticks to nanoseconds that both the kernel
 * (core/time.c) and the vDSO (vdso.c) use, so a clock read in user space and
 * the same clock read through a system call can never disagree.
 *
 * The kernel maps this page read-only into the program one page below the
 * vDSO text ([vvar] then [vdso] in /proc/self/maps, as Linux lays them out);
 * the vDSO finds it PC-relatively through the linker symbol vdso_vvar
 * (vdso.lds), so its code needs no relocation.
 *
 * Concurrency: a seqcount, as Linux's vdso_data.  A writer (core/time.c,
 * holding its lock) makes `seq` odd, writes the fields, makes `seq` even
 * again; a reader retries while `seq` is odd or changed under it.  Fields are
 * read and written with relaxed atomics and ordered by fences, so the
 * protocol is correct on SMP, not only on today's single CPU.
 *
 * Freestanding and header-only: included by the kernel (-mno-sse,
 * mcmodel=kernel) and by the vDSO (-fPIC, no libc).
 */
#ifndef VDSO_VVAR_H
#define VDSO_VVAR_H

#include <stdint.h>

#define VVAR_PAGE_SIZE	  4096
#define VVAR_NSEC_PER_SEC 1000000000ull
/* The fixed point of struct vvar.mult.  The product is 128 bits wide (one
 * MUL), so it cannot overflow however long the machine runs, and a constant
 * shift keeps the fast path to a few instructions. */
#define VVAR_SHIFT 32

/* struct vvar.flags */
#define VVAR_RDTSCP 1 /* the CPU has RDTSCP: getcpu reads IA32_TSC_AUX */

struct vvar {
	uint32_t seq;	   /* odd while the kernel is writing */
	uint32_t flags;	   /* VVAR_*, set once at boot */
	uint64_t tsc_base; /* CLOCK_MONOTONIC was ns_base at TSC tsc_base */
	uint64_t ns_base;
	uint64_t mult;		/* ns = ns_base + ((tsc - tsc_base) * mult) >> VVAR_SHIFT */
	uint32_t coarse_res_ns; /* clock_getres of the *_COARSE clocks */
	uint32_t pad;
	uint64_t realtime_offset; /* CLOCK_REALTIME = CLOCK_MONOTONIC + this, mod 2^64 */
	uint64_t tai_offset;	  /* CLOCK_TAI = CLOCK_REALTIME + this */
};

/* The page itself: nothing else of the kernel may share it, since the
 * program can read all of it. */
union vvar_page {
	struct vvar v;
	uint8_t bytes[VVAR_PAGE_SIZE];
};

/*
 * The TSC, ordered as Linux's rdtsc_ordered(): LFENCE keeps RDTSC from
 * running ahead of earlier loads (Intel SDM vol. 2B, RDTSC), so the reading
 * cannot predate a seqcount load that came first.
 */
static inline uint64_t vvar_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return (uint64_t)hi << 32 | lo;
}

/* TSC ticks to nanoseconds with multiplier `mult` (struct vvar.mult). */
static inline uint64_t vvar_ticks_to_ns(uint64_t ticks, uint64_t mult)
{
	return (uint64_t)(((unsigned __int128)ticks * mult) >> VVAR_SHIFT);
}

/* CLOCK_MONOTONIC at `tsc` on the line (tsc_base, ns_base, mult).  The
 * kernel moves the line forward (core/time.c's clock discipline), each new
 * line starting where the old one was: a TSC read before the base (another
 * CPU's, once there is SMP) counts as the base, so time never goes back. */
static inline uint64_t vvar_line_ns(uint64_t tsc, uint64_t tsc_base, uint64_t ns_base,
				    uint64_t mult)
{
	return ns_base + vvar_ticks_to_ns(tsc > tsc_base ? tsc - tsc_base : 0, mult);
}

/* Begin a read section: wait while a writer is inside, return the count. */
static inline uint32_t vvar_read_begin(const struct vvar *v)
{
	uint32_t seq;

	while ((seq = __atomic_load_n(&v->seq, __ATOMIC_ACQUIRE)) & 1)
		__asm__ volatile("pause");
	return seq;
}

/* End a read section: nonzero if a writer ran meanwhile (read again). */
static inline int vvar_read_retry(const struct vvar *v, uint32_t seq)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&v->seq, __ATOMIC_RELAXED) != seq;
}

/* A relaxed load of one field inside a read section. */
#define VVAR_LOAD(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

/*
 * One consistent reading: CLOCK_MONOTONIC now in ns, and the realtime
 * offset that goes with it.  Any context, user or kernel.
 */
static inline uint64_t vvar_monotonic(const struct vvar *v, uint64_t *realtime_offset)
{
	uint64_t ns, off;
	uint32_t seq;

	do {
		seq = vvar_read_begin(v);
		ns = vvar_line_ns(vvar_rdtsc(), VVAR_LOAD(v->tsc_base), VVAR_LOAD(v->ns_base),
				  VVAR_LOAD(v->mult));
		off = VVAR_LOAD(v->realtime_offset);
	} while (vvar_read_retry(v, seq));
	*realtime_offset = off;
	return ns;
}

#endif
