/*
 * The vDSO: the clock system calls answered in user space, as Linux's vDSO
 * answers them (arch/x86/entry/vdso).  The kernel embeds this shared object
 * (image.S), maps it into every program one page above the vvar page
 * (vvar.h) and names it in the auxiliary vector (AT_SYSINFO_EHDR); glibc and
 * musl look up the __vdso_* symbols of version LINUX_2.6 there and call them
 * instead of trapping into the kernel.
 *
 * Built -fPIC with no libc and linked by vdso.lds: it must hold no data, no
 * relocations and no absolute addresses, since it is mapped unchanged at an
 * address chosen at exec.  A clock it does not handle (the CPU-time clocks,
 * the alarm clocks, bad ids) goes to the real system call, whose -errno it
 * returns as Linux's vDSO does; bad pointers fault, as there.
 */
#include "vvar.h"

/* Linux's clock ids (include/uapi/linux/time.h) and syscall numbers
 * (arch/x86/entry/syscalls/syscall_64.tbl). */
#define CLOCK_REALTIME	       0
#define CLOCK_MONOTONIC	       1
#define CLOCK_MONOTONIC_RAW    4
#define CLOCK_REALTIME_COARSE  5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME	       7
#define CLOCK_TAI	       11
#define NR_gettimeofday	       96
#define NR_clock_gettime       228
#define NR_clock_getres	       229
#define NR_getcpu	       309
#define TSC_AUX_CPU_MASK       0xfff /* Linux's IA32_TSC_AUX: node << 12 | cpu */
#define TSC_AUX_NODE_SHIFT     12

struct vdso_timespec {
	int64_t tv_sec, tv_nsec;
};

struct vdso_timeval {
	int64_t tv_sec, tv_usec;
};

struct vdso_timezone {
	int32_t tz_minuteswest, tz_dsttime;
};

/* Clocks are clockid_t, an int: the caller may leave the upper half of
 * its register anything, so the id is taken as an int and passed to the
 * system call sign-extended. */

/* Placed by vdso.lds one page below this object's first byte. */
extern const union vvar_page vdso_vvar __attribute__((visibility("hidden")));

static long syscall2(long nr, long a, long b)
{
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return r;
}

static long syscall3(long nr, long a, long b, long c)
{
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return r;
}

/* What a clock is made of: the vDSO serves the clocks the kernel derives
 * from CLOCK_MONOTONIC plus an offset, as the kernel's clock_ns()
 * (linux/sys_time.c) does. */
enum base { NOT_OURS, MONO, REAL, TAI };

static enum base clock_base(int clk)
{
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		return REAL;
	case CLOCK_TAI:
		return TAI;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		return MONO;
	default:
		return NOT_OURS;
	}
}

/* The time of a clock of base `b` (not NOT_OURS) in ns. */
static inline __attribute__((always_inline)) uint64_t clock_ns(enum base b)
{
	const struct vvar *v = &vdso_vvar.v;
	uint64_t off, ns = vvar_monotonic(v, &off);

	if (b == MONO)
		return ns;
	ns += off;
	return b == TAI ? ns + VVAR_LOAD(v->tai_offset) : ns;
}

static int is_coarse(int clk)
{
	return clk == CLOCK_REALTIME_COARSE || clk == CLOCK_MONOTONIC_COARSE;
}

int __vdso_clock_gettime(int clk, struct vdso_timespec *ts)
{
	enum base b = clock_base(clk);
	uint64_t ns;

	if (b == NOT_OURS)
		return (int)syscall2(NR_clock_gettime, clk, (long)ts);
	ns = clock_ns(b);
	ts->tv_sec = (int64_t)(ns / VVAR_NSEC_PER_SEC);
	ts->tv_nsec = (int64_t)(ns % VVAR_NSEC_PER_SEC);
	return 0;
}

int __vdso_clock_getres(int clk, struct vdso_timespec *res)
{
	if (clock_base(clk) == NOT_OURS)
		return (int)syscall2(NR_clock_getres, clk, (long)res);
	if (res) {
		res->tv_sec = 0;
		res->tv_nsec = is_coarse(clk) ? VVAR_LOAD(vdso_vvar.v.coarse_res_ns) : 1;
	}
	return 0;
}

int __vdso_gettimeofday(struct vdso_timeval *tv, struct vdso_timezone *tz)
{
	if (tv) {
		uint64_t ns = clock_ns(REAL);

		tv->tv_sec = (int64_t)(ns / VVAR_NSEC_PER_SEC);
		tv->tv_usec = (int64_t)(ns % VVAR_NSEC_PER_SEC / 1000);
	}
	if (tz) { /* the kernel keeps no time zone: UTC, as sys_gettimeofday */
		tz->tz_minuteswest = 0;
		tz->tz_dsttime = 0;
	}
	return 0;
}

int64_t __vdso_time(int64_t *t)
{
	int64_t now = (int64_t)(clock_ns(REAL) / VVAR_NSEC_PER_SEC);
	if (t)
		*t = now;
	return now;
}

/*
 * The CPU and NUMA node the caller runs on.  Linux keeps node << 12 | cpu in
 * IA32_TSC_AUX, which RDTSCP returns in ECX; core/time.c writes 0 there
 * (one CPU, one node) and says in the vvar page whether RDTSCP exists.
 * Without it, ask the kernel.
 */
long __vdso_getcpu(unsigned *cpu, unsigned *node, void *unused)
{
	uint32_t lo, hi, aux;

	if (!(VVAR_LOAD(vdso_vvar.v.flags) & VVAR_RDTSCP))
		return syscall3(NR_getcpu, (long)cpu, (long)node, (long)unused);
	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	if (cpu)
		*cpu = aux & TSC_AUX_CPU_MASK;
	if (node)
		*node = aux >> TSC_AUX_NODE_SHIFT;
	return 0;
}

/* The unprefixed names Linux's vDSO exports beside the __vdso_ ones. */
int clock_gettime(int, struct vdso_timespec *) __attribute__((weak, alias("__vdso_clock_gettime")));
int clock_getres(int, struct vdso_timespec *) __attribute__((weak, alias("__vdso_clock_getres")));
int gettimeofday(struct vdso_timeval *, struct vdso_timezone *)
	__attribute__((weak, alias("__vdso_gettimeofday")));
int64_t time(int64_t *) __attribute__((weak, alias("__vdso_time")));
long getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
