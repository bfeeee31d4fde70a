/*
 * Timers that signal: alarm, setitimer/getitimer (ITIMER_REAL) and the POSIX
 * timers (timer_create, timer_settime, timer_gettime, timer_getoverrun,
 * timer_delete) on CLOCK_REALTIME and CLOCK_MONOTONIC, over the kernel
 * timers of core/sched.c.  Semantics: man 2 setitimer, man 2 timer_create.
 */
#include "linux/syscall.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/time.h"
#include "core/uaccess.h"
#include "linux/signal.h"

#define ITIMER_REAL	0
#define ITIMER_VIRTUAL	1
#define ITIMER_PROF	2
#define SIGALRM		14
#define SIGEV_SIGNAL	0
#define SIGEV_NONE	1
#define SIGEV_THREAD	2
#define SIGEV_THREAD_ID 4
#define CLOCK_REALTIME	0
#define CLOCK_MONOTONIC 1
#define CLOCK_BOOTTIME	7
#define TIMER_ABSTIME	1
#define MAX_TIMERS	32
#define USEC		1000ull

struct ptimer {
	struct ktimer kt;
	bool used;
	int id, signo, notify, tid, clock;
	uint64_t value;	   /* sigev_value */
	uint64_t interval; /* ns, 0: one-shot */
	int overrun;	   /* expirations missed before the signal was taken */
};

/* Slot 0 is ITIMER_REAL (alarm); POSIX timer ids are 1..MAX_TIMERS-1. */
static struct ptimer timers[MAX_TIMERS];

static void fire(struct ktimer *kt)
{
	struct ptimer *p = container_of(kt, struct ptimer, kt);
	struct ksiginfo info = { .signo = p->signo,
				 .code = p->id ? SI_TIMER : SI_KERNEL,
				 .timerid = p->id - 1,
				 .overrun = p->overrun,
				 .value = p->value };
	uint64_t now = time_monotonic_ns();

	if (p->interval) { /* periodic: the next expiry, counting the missed */
		uint64_t missed = (now - p->kt.expires) / p->interval;
		p->overrun = missed > INT32_MAX ? INT32_MAX : (int)missed;
		p->kt.expires += (missed + 1) * p->interval;
		ktimer_add(&p->kt);
	}
	if (p->notify == SIGEV_NONE)
		return;
	signal_send(p->notify == SIGEV_THREAD_ID ? sched_find(p->tid) : NULL, &info);
}

/* Time left on `p`, in ns (0: disarmed). */
static uint64_t remaining(const struct ptimer *p)
{
	uint64_t now = time_monotonic_ns();
	if (!ktimer_pending(&p->kt))
		return 0;
	return p->kt.expires > now ? p->kt.expires - now : 1;
}

/* Arm `p` to expire after `delay` ns (0: disarm), then every `interval`. */
static void arm(struct ptimer *p, uint64_t delay, uint64_t interval)
{
	ktimer_del(&p->kt);
	p->interval = interval;
	p->overrun = 0;
	if (!delay)
		return;
	p->kt.fn = fire;
	p->kt.expires = time_monotonic_ns() + delay;
	ktimer_add(&p->kt);
}

struct timeval_k {
	int64_t sec, usec;
};

static bool tv_ok(const struct timeval_k *tv)
{
	return tv->sec >= 0 && tv->usec >= 0 && tv->usec < 1000000;
}

static uint64_t tv_ns(const struct timeval_k *tv)
{
	return (uint64_t)tv->sec * NSEC_PER_SEC + tv->usec * USEC;
}

static struct timeval_k ns_tv(uint64_t ns)
{
	/* Linux rounds a pending time up to a whole microsecond. */
	ns = ALIGN_UP(ns, USEC);
	return (struct timeval_k){ ns / NSEC_PER_SEC, ns % NSEC_PER_SEC / USEC };
}

long sys_getitimer(long which, uint64_t ucur)
{
	struct timeval_k cur[2];

	if (which == ITIMER_VIRTUAL || which == ITIMER_PROF) {
		memset(cur, 0, sizeof(cur)); /* never armed: see sys_setitimer */
		return copy_to_user(ucur, cur, sizeof(cur));
	}
	if (which != ITIMER_REAL)
		return -EINVAL;
	cur[0] = ns_tv(timers[0].interval);
	cur[1] = ns_tv(remaining(&timers[0]));
	return copy_to_user(ucur, cur, sizeof(cur));
}

long sys_setitimer(long which, uint64_t unew, uint64_t uold)
{
	struct timeval_k nv[2];

	if (which == ITIMER_VIRTUAL || which == ITIMER_PROF)
		return -EINVAL; /* CPU-time timers: not yet (no per-thread CPU accounting) */
	if (which != ITIMER_REAL)
		return -EINVAL;
	if (unew && copy_from_user(nv, unew, sizeof(nv)))
		return -EFAULT;
	if (unew && (!tv_ok(&nv[0]) || !tv_ok(&nv[1])))
		return -EINVAL;
	if (uold && sys_getitimer(which, uold))
		return -EFAULT;
	if (unew) {
		timers[0].signo = SIGALRM;
		timers[0].notify = SIGEV_SIGNAL;
		arm(&timers[0], tv_ns(&nv[1]), tv_ns(&nv[0]));
	}
	return 0;
}

long sys_alarm(unsigned seconds)
{
	uint64_t left = remaining(&timers[0]);

	timers[0].signo = SIGALRM;
	timers[0].notify = SIGEV_SIGNAL;
	arm(&timers[0], (uint64_t)seconds * NSEC_PER_SEC, 0);
	/* The seconds left on the previous alarm, rounded to nearest, at least 1. */
	return left ? MAX(1, (left + NSEC_PER_SEC / 2) / NSEC_PER_SEC) : 0;
}

static struct ptimer *ptimer_get(long id)
{
	if (id < 0 || id >= MAX_TIMERS - 1 || !timers[id + 1].used)
		return NULL;
	return &timers[id + 1];
}

long sys_timer_create(long clock, uint64_t usev, uint64_t uid)
{
	struct {
		uint64_t value;
		int32_t signo, notify, tid, pad;
	} sev = { .signo = SIGALRM, .notify = SIGEV_SIGNAL };
	struct ptimer *p = NULL;

	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC && clock != CLOCK_BOOTTIME)
		return -EINVAL;
	if (usev && copy_from_user(&sev, usev, sizeof(sev)))
		return -EFAULT;
	if (sev.notify != SIGEV_SIGNAL && sev.notify != SIGEV_NONE && sev.notify != SIGEV_THREAD_ID)
		return -EINVAL; /* SIGEV_THREAD is libc's, built on SIGEV_THREAD_ID */
	if (sev.notify != SIGEV_NONE && (sev.signo < 1 || sev.signo > NSIG))
		return -EINVAL;
	if (sev.notify == SIGEV_THREAD_ID && !sched_find(sev.tid))
		return -EINVAL;
	for (int i = 1; i < MAX_TIMERS && !p; i++)
		if (!timers[i].used)
			p = &timers[i];
	if (!p)
		return -EAGAIN;
	int id = p - timers - 1;
	if (copy_to_user(uid, &id, sizeof(id)))
		return -EFAULT;
	memset(p, 0, sizeof(*p));
	p->used = true;
	p->id = id + 1;
	p->signo = sev.signo;
	p->notify = sev.notify;
	p->tid = sev.tid;
	p->value = usev ? sev.value : (uint64_t)id;
	p->clock = clock;
	return 0;
}

/* struct itimerspec: it_interval, then it_value.  The helpers below serve
 * the POSIX timers and timerfd (fs/timerfd.c) alike. */
struct itimerspec_k {
	int64_t isec, insec, vsec, vnsec;
};

long timer_spec_in(uint64_t uaddr, uint64_t *interval, uint64_t *value)
{
	struct itimerspec_k nv;

	if (copy_from_user(&nv, uaddr, sizeof(nv)))
		return -EFAULT;
	if (nv.isec < 0 || nv.insec < 0 || nv.insec >= (int64_t)NSEC_PER_SEC || nv.vsec < 0 ||
	    nv.vnsec < 0 || nv.vnsec >= (int64_t)NSEC_PER_SEC)
		return -EINVAL;
	*interval = (uint64_t)nv.isec * NSEC_PER_SEC + nv.insec;
	*value = (uint64_t)nv.vsec * NSEC_PER_SEC + nv.vnsec;
	return 0;
}

long timer_spec_out(uint64_t uaddr, uint64_t interval, uint64_t value)
{
	struct itimerspec_k cur = { interval / NSEC_PER_SEC, interval % NSEC_PER_SEC,
				    value / NSEC_PER_SEC, value % NSEC_PER_SEC };
	return copy_to_user(uaddr, &cur, sizeof(cur));
}

long sys_timer_gettime(long id, uint64_t ucur)
{
	struct ptimer *p = ptimer_get(id);

	if (!p)
		return -EINVAL;
	return timer_spec_out(ucur, p->interval, remaining(p));
}

long sys_timer_settime(long id, long flags, uint64_t unew, uint64_t uold)
{
	struct ptimer *p = ptimer_get(id);
	uint64_t value, interval, now;
	long r;

	if (!p)
		return -EINVAL;
	if ((r = timer_spec_in(unew, &interval, &value)))
		return r;
	if (uold && sys_timer_gettime(id, uold))
		return -EFAULT;
	if (value && (flags & TIMER_ABSTIME)) {
		now = p->clock == CLOCK_REALTIME ? time_realtime_ns() : time_monotonic_ns();
		value = value > now ? value - now : 1;
	}
	arm(p, value, interval);
	return 0;
}

long sys_timer_getoverrun(long id)
{
	struct ptimer *p = ptimer_get(id);
	return p ? p->overrun : -EINVAL;
}

long sys_timer_delete(long id)
{
	struct ptimer *p = ptimer_get(id);

	if (!p)
		return -EINVAL;
	ktimer_del(&p->kt);
	p->used = false;
	return 0;
}
