/*
 * Time system calls over core/time.c.  CLOCK_REALTIME started from the
 * host's time at boot; the monotonic clocks count from boot.  The vDSO
 * (vdso/vdso.c) answers the same clocks in user space from the same data;
 * keep the two in step.
 */
#include "linux/syscall.h"
#include "linux/process.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/time.h"
#include "core/uaccess.h"
#include "linux/uapi.h"

/* CPU-time clock ids (Linux's include/linux/posix-timers.h): negative,
 * ~pid << 3, bit 2 for a thread's clock, low bits which time it counts. */
#define CPUCLOCK_SHIFT		3
#define CPUCLOCK_PERTHREAD_MASK 4
#define CPUCLOCK_CLOCK_MASK	3
#define CPUCLOCK_SCHED		2
#define CPUCLOCK_MAX		3 /* CLOCKFD: a dynamic clock on an fd (PTP): none here */

/* Linux's clockid_t is an int: a system call takes the low 32 bits of its
 * register (the vDSO and libc may leave the upper half anything). */
typedef int clockid_k;

struct timespec_k {
	int64_t sec, nsec;
};

long cpu_clock_resolve(int clk, bool gettime, int *tid)
{
	int pid = (int)~(clk >> CPUCLOCK_SHIFT);
	struct process *p;
	struct thread *t;

	if (clk == CLOCK_PROCESS_CPUTIME_ID || clk == CLOCK_THREAD_CPUTIME_ID) {
		*tid = clk == CLOCK_THREAD_CPUTIME_ID ? sched_current()->tid : -sys_getpid();
		return 0;
	}
	if (clk >= 0 || (clk & CPUCLOCK_CLOCK_MASK) >= CPUCLOCK_MAX)
		return -EINVAL;
	if (clk & CPUCLOCK_PERTHREAD_MASK) {
		t = pid ? sched_find(pid) : sched_current();
		*tid = t ? t->tid : 0;
		return t ? 0 : -EINVAL;
	}
	/* A process, named by 0 or its pid; clock_gettime also takes a
	 * thread's tid for its process (Linux's pid_for_clock) and reads any
	 * process's clock, a timer only its own. */
	if (!pid)
		p = process_current();
	else if ((t = gettime ? sched_find(pid) : NULL))
		p = process_of(t);
	else
		p = process_find(pid);
	if (!p || p->state != PROCESS_LIVE || (!gettime && p != process_current()))
		return -EINVAL;
	*tid = -p->pid;
	return 0;
}

long cpu_clock_ns(int id, uint64_t *ns)
{
	struct thread *t = id > 0 ? sched_find(id) : NULL;
	struct process *p = id < 0 ? process_find(-id) : NULL;

	if (id > 0 && !t)
		return -EINVAL; /* the thread has exited */
	if (id < 0 && (!p || p->state != PROCESS_LIVE))
		return -EINVAL;
	*ns = t ? sched_thread_cpu_ns(t) : process_cpu_ns(p);
	return 0;
}

/* The time of clock `clk` in ns, or -EINVAL. */
static long clock_ns(clockid_k clk, uint64_t *ns)
{
	int tid;
	long r;

	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_REALTIME_ALARM:
		*ns = time_realtime_ns();
		return 0;
	case CLOCK_TAI:
		*ns = time_realtime_ns() + time_tai_offset_ns();
		return 0;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
	case CLOCK_BOOTTIME_ALARM:
		*ns = time_monotonic_ns();
		return 0;
	default:
		/* CPU time: a thread's is the time it held the CPU, the
		 * process's the time the CPU was not halted (one process;
		 * kernel work on its behalf included, as Linux counts system
		 * time). */
		if ((r = cpu_clock_resolve(clk, true, &tid)))
			return r;
		return cpu_clock_ns(tid, ns);
	}
}

/* The resolution of clock `clk`: the coarse clocks' and the CPU clocks of
 * user or user+system time (CPUCLOCK_VIRT, CPUCLOCK_PROF) tick at HZ; the
 * rest are exact to the ns. */
static uint64_t clock_res(clockid_k clk)
{
	if (clk == CLOCK_REALTIME_COARSE || clk == CLOCK_MONOTONIC_COARSE)
		return time_coarse_res_ns();
	if (clk < 0 && (clk & CPUCLOCK_CLOCK_MASK) != CPUCLOCK_SCHED)
		return time_coarse_res_ns();
	return 1;
}

static long put_ts(uint64_t uts, uint64_t ns)
{
	struct timespec_k ts = { ns / NSEC_PER_SEC, ns % NSEC_PER_SEC };
	return copy_to_user(uts, &ts, sizeof(ts));
}

long sys_clock_gettime(long clk, uint64_t ts)
{
	uint64_t ns;
	long r = clock_ns(clk, &ns);
	return r ? r : put_ts(ts, ns);
}

long sys_clock_getres(long clk, uint64_t ts)
{
	uint64_t ns;
	long r = clock_ns(clk, &ns);

	if (r)
		return r;
	if (!ts)
		return 0;
	return put_ts(ts, clock_res(clk));
}

long sys_gettimeofday(uint64_t tv, uint64_t tz)
{
	uint64_t ns = time_realtime_ns();
	int64_t v[2] = { (int64_t)(ns / NSEC_PER_SEC), (int64_t)(ns % NSEC_PER_SEC / 1000) };
	int32_t zone[2] = { 0, 0 };

	if (tv && copy_to_user(tv, v, sizeof(v)))
		return -EFAULT;
	if (tz && copy_to_user(tz, zone, sizeof(zone)))
		return -EFAULT;
	return 0;
}

long sys_time(uint64_t t)
{
	int64_t now = time_realtime_ns() / NSEC_PER_SEC;

	if (t && copy_to_user(t, &now, sizeof(now)))
		return -EFAULT;
	return now;
}

/*
 * Setting the wall clock needs CAP_SYS_TIME (EPERM, checked after the
 * value, as Linux's security_settime64); only CLOCK_REALTIME can be set
 * (Linux: EINVAL for the others).  The new offset reaches the vDSO through
 * time_set_realtime()'s vvar update; from then on the host's time (the
 * channel's TIME answers) no longer moves the clock.
 */
/* The latest wall-clock second that may be set: Linux's
 * TIME_SETTOD_SEC_MAX (include/linux/time64.h), KTIME_MAX in seconds less
 * 30 years of uptime, so that realtime in nanoseconds never overflows. */
#define SETTOD_SEC_MAX (INT64_MAX / (int64_t)NSEC_PER_SEC - 30ll * 365 * 86400)

long sys_clock_settime(long clk, uint64_t uts)
{
	struct timespec_k ts;

	if ((clockid_k)clk != CLOCK_REALTIME)
		return -EINVAL;
	if (copy_from_user(&ts, uts, sizeof(ts)))
		return -EFAULT;
	if (ts.sec < 0 || ts.sec >= SETTOD_SEC_MAX || ts.nsec < 0 ||
	    ts.nsec >= (int64_t)NSEC_PER_SEC)
		return -EINVAL;
	if (!cred_capable(CAP_SYS_TIME))
		return -EPERM;
	time_set_realtime((uint64_t)ts.sec * NSEC_PER_SEC + (uint64_t)ts.nsec);
	return 0;
}

/* settimeofday: the time zone is accepted and ignored (the kernel keeps
 * UTC, as sys_gettimeofday reports). */
long sys_settimeofday(uint64_t utv, uint64_t utz)
{
	int64_t tv[2]; /* tv_sec, tv_usec */

	if (utv && copy_from_user(tv, utv, sizeof(tv)))
		return -EFAULT;
	if (utv && (tv[0] < 0 || tv[0] >= SETTOD_SEC_MAX || tv[1] < 0 || tv[1] >= 1000000))
		return -EINVAL;
	if (!cred_capable(CAP_SYS_TIME))
		return -EPERM;
	if (!utv)
		return 0;
	time_set_realtime((uint64_t)tv[0] * NSEC_PER_SEC + (uint64_t)tv[1] * 1000);
	return 0;
}

static bool never(void *arg)
{
	return false;
}

/* Sleep until monotonic `deadline`; on a signal, store what was left. */
static long sleep_until(uint64_t deadline, uint64_t rem)
{
	long r = sched_wait(never, NULL, deadline);

	if (r == -ETIMEDOUT)
		return 0;
	/* Interrupted by a handler: EINTR with the time left (Linux restarts a
	 * sleep only when no handler runs; we return EINTR either way). */
	if (rem) {
		uint64_t now = time_monotonic_ns();
		put_ts(rem, deadline > now ? deadline - now : 0);
	}
	return -EINTR;
}

long time_ts_in(uint64_t uts, uint64_t *ns)
{
	struct timespec_k ts;

	if (copy_from_user(&ts, uts, sizeof(ts)))
		return -EFAULT;
	if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= (int64_t)NSEC_PER_SEC)
		return -EINVAL;
	*ns = (uint64_t)ts.sec > UINT64_MAX / NSEC_PER_SEC / 2 ? UINT64_MAX / 2
							       : ts.sec * NSEC_PER_SEC + ts.nsec;
	return 0;
}

long sys_nanosleep(uint64_t req, uint64_t rem)
{
	uint64_t ns;
	long r = time_ts_in(req, &ns);
	return r ? r : sleep_until(time_monotonic_ns() + ns, rem);
}

/*
 * CPU time clock `tid` (cpu_clock_resolve) has used, less what the calling
 * thread used since it read `self0`, its own clock, when the sleep began:
 * a sleeper on its own process's clock must not wake itself with the
 * kernel time its wake-ups cost (Linux checks a process's CPU timers only
 * while one of its threads runs, so a process whose only thread sleeps on
 * its own clock sleeps until a signal comes).
 */
static long cpu_clock_others_ns(int tid, uint64_t self0, uint64_t *ns)
{
	struct thread *self = sched_current();
	uint64_t used;
	long r = cpu_clock_ns(tid, ns);

	if (r || tid != -process_of(self)->pid)
		return r;
	used = sched_thread_cpu_ns(self) - self0;
	*ns = *ns > used ? *ns - used : 0;
	return 0;
}

/*
 * Sleep until CPU clock `tid` reads `target`: woken when it could have got
 * there at the earliest (one CPU: CPU time runs no faster than the clock),
 * and no sooner than a clock tick, as Linux's CPU timers are checked at
 * ticks (a shorter wait would spin without ever letting the timer
 * interrupt in: sysfuzz seed 2006), it checks and sleeps again for what is
 * left.  `self0`: the caller's own CPU clock before it read clock `tid`.
 */
static long cpu_sleep_until(int tid, uint64_t self0, uint64_t target, uint64_t rem)
{
	uint64_t now;
	long r;

	for (;;) {
		if (cpu_clock_others_ns(tid, self0, &now) || now >= target)
			return 0; /* a thread that exited uses no more */
		r = sched_wait(never, NULL,
			       time_monotonic_ns() + MAX(target - now, time_coarse_res_ns()));
		if (r != -ETIMEDOUT)
			break;
	}
	if (rem && !cpu_clock_others_ns(tid, self0, &now))
		put_ts(rem, target > now ? target - now : 0);
	return -EINTR;
}

long sys_clock_nanosleep(long clock, long flags, uint64_t req, uint64_t rem)
{
	clockid_k clk = (clockid_k)clock;
	uint64_t self0 = sched_thread_cpu_ns(sched_current()), ns, now, deadline;
	int tid;
	long r;

	if ((r = clock_ns(clk, &now)))
		return r;
	if ((r = time_ts_in(req, &ns)))
		return r;
	if (clk == CLOCK_PROCESS_CPUTIME_ID || clk == CLOCK_THREAD_CPUTIME_ID || clk < 0) {
		/* Not on the caller's own thread clock: it could never run
		 * (Linux's posix_cpu_nsleep: EINVAL). */
		cpu_clock_resolve(clk, true, &tid);
		if (tid == sched_current()->tid)
			return -EINVAL;
		if (flags & TIMER_ABSTIME)
			return ns <= now ? 0 : cpu_sleep_until(tid, self0, ns, 0);
		return cpu_sleep_until(tid, self0, now + ns, rem);
	}
	if (flags & TIMER_ABSTIME) {
		if (ns <= now)
			return 0;
		deadline = time_monotonic_ns() + (ns - now);
		rem = 0; /* absolute sleeps report nothing left */
	} else {
		deadline = time_monotonic_ns() + ns;
	}
	return sleep_until(deadline, rem);
}
