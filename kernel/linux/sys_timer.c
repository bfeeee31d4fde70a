/*
 * Timers that signal: alarm, setitimer/getitimer (ITIMER_REAL, and the CPU
 * time timers ITIMER_VIRTUAL and ITIMER_PROF) and the POSIX timers
 * (timer_create, timer_settime, timer_gettime, timer_getoverrun,
 * timer_delete) on CLOCK_REALTIME, CLOCK_MONOTONIC and the CPU-time clocks
 * (the process's, a thread's), over the kernel timers of core/sched.c.
 * Semantics: man 2 setitimer, man 2 timer_create.
 *
 * A POSIX timer's signal is queued once, as Linux's preallocated sigqueue:
 * while it is pending, expiries are counted, not sent, and a periodic timer
 * is re-armed only when the program takes the signal (timer_signal_taken),
 * which then carries the expiries missed in si_overrun.
 */
#include "linux/syscall.h"
#include "arch/x86_64/cpu.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/spinlock.h"
#include "core/time.h"
#include "core/uaccess.h"
#include "linux/signal.h"
#include "linux/process.h"
#include "linux/uapi.h"

#define ITIMER_REAL	0
#define ITIMER_VIRTUAL	1
#define ITIMER_PROF	2
#define SIGALRM		14
#define SIGVTALRM	26
#define SIGPROF		27
#define SIGEV_SIGNAL	0
#define SIGEV_NONE	1
#define SIGEV_THREAD	2
#define SIGEV_THREAD_ID 4
#define MAX_TIMERS	32
#define USEC		1000ull
#define KTIME_SEC_MAX	(INT64_MAX / (int64_t)NSEC_PER_SEC) /* include/linux/time64.h */

/* A timer: every field is timer_lock's (below). */
struct ptimer {
	struct ktimer kt;
	bool used;
	int id, signo, notify, tid, clock;
	bool cpu;	       /* on a CPU-time clock: */
	int cpu_tid;	       /* its thread (0: the process), */
	uint64_t cpu_expires;  /* and when it expires by it (0: disarmed) */
	uint64_t value;	       /* sigev_value */
	uint64_t interval;     /* ns, 0: one-shot */
	int overrun;	       /* expirations missed before the signal was taken */
	uint32_t gen;	       /* this timer's creation, in its signals' timer_seq */
	struct process *owner; /* whose signal it sends */
	bool queued;	       /* its signal is pending: expiries only count */
	int missed;	       /* expiries while it was pending */
};

/*
 * timer_lock guards every process's timers (struct proc_timers), and
 * timer_gens: system calls and
 * the kernel timers' callbacks (fire, cpu_check) share them.  A callback
 * sends its signal after dropping it, so the order is signal_lock (whose
 * discard re-arms a timer through timer_signal_taken) before timer_lock
 * before sched_lock.  User memory is copied outside it.
 */
static struct spinlock timer_lock = SPINLOCK_INIT;
static uint32_t timer_gens; /* creations so far: never 0 in a live timer */

struct cputimer {
	struct ktimer kt;
	uint64_t expires;  /* CPU time (ns) of the next signal; 0: disarmed */
	uint64_t interval; /* ns, 0: one-shot */
	int signo;
	struct process *owner;
};

/* A process's timers, made at its first (process.h: struct process.timers;
 * a child starts without, as fork clears timers on Linux).  Slot 0 is
 * ITIMER_REAL (alarm); POSIX timer ids are 1..MAX_TIMERS-1. */
struct proc_timers {
	struct ptimer timers[MAX_TIMERS];
	struct cputimer cputimers[2]; /* ITIMER_VIRTUAL, ITIMER_PROF */
};

/* The calling process's timers; made if `make` (NULL when out of memory,
 * or none yet).  timer_lock not held: it may allocate. */
static struct proc_timers *own_timers(bool make)
{
	struct process *p = process_current();
	struct proc_timers *pt = p->timers;

	if (pt || !make)
		return pt;
	if (!(pt = kzalloc(sizeof(*pt))))
		return NULL;
	for (int i = 0; i < MAX_TIMERS; i++)
		pt->timers[i].owner = p;
	pt->cputimers[0] = (struct cputimer){ .signo = SIGVTALRM, .owner = p };
	pt->cputimers[1] = (struct cputimer){ .signo = SIGPROF, .owner = p };
	p->timers = pt;
	return pt;
}

void timer_process_exit(struct process *p)
{
	struct proc_timers *pt = p->timers;
	uint64_t flags = spin_lock_irqsave(&timer_lock);

	p->timers = NULL;
	for (int i = 0; pt && i < MAX_TIMERS; i++)
		ktimer_del(&pt->timers[i].kt);
	for (int i = 0; pt && i < 2; i++)
		ktimer_del(&pt->cputimers[i].kt);
	spin_unlock_irqrestore(&timer_lock, flags);
	kfree(pt);
}

void timer_exec(struct process *p)
{
	struct proc_timers *pt = p->timers;
	uint64_t flags = spin_lock_irqsave(&timer_lock);

	for (int i = 1; pt && i < MAX_TIMERS; i++) {
		ktimer_del(&pt->timers[i].kt);
		pt->timers[i].used = false;
	}
	spin_unlock_irqrestore(&timer_lock, flags);
}

static int clamp_int(uint64_t n)
{
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

static void fire(struct ktimer *kt);

/* Thread `tid` if it is one of the calling process's, else NULL. */
static struct thread *own_thread(int tid)
{
	struct thread *t = sched_find(tid);

	return t && process_of(t) == process_current() ? t : NULL;
}

/* A timer's signal: to thread `tid` (SIGEV_THREAD_ID) while it is one of
 * `p`'s, else to process `p`.  signal_send's result. */
static int send_to(struct process *p, int tid, const struct ksiginfo *info)
{
	struct thread *t = tid ? sched_find(tid) : NULL;

	if (t && process_of(t) == p)
		return signal_send(t, info);
	return signal_send_process(p, info);
}

/* The time of a CPU timer's clock: false once its thread has exited. */
static bool cpu_now(const struct ptimer *p, uint64_t *ns)
{
	return !cpu_clock_ns(p->cpu_tid, ns);
}

/* The time `p` counts in: its CPU clock's, else CLOCK_MONOTONIC's (its
 * kernel timer's). */
static bool timer_now(const struct ptimer *p, uint64_t *ns)
{
	if (p->cpu)
		return cpu_now(p, ns);
	*ns = time_monotonic_ns();
	return true;
}

/* A CPU timer waits on a kernel timer until the clock could have reached
 * its expiry at the earliest (one CPU: CPU time runs no faster than the
 * clock), but not less than a tick, then checks (cpu_due): so it fires
 * within a tick of the CPU time, as Linux's fire at the tick, and a period
 * far below a tick cannot keep the CPU in timer interrupts. */
static void cpu_timer_wait(struct ptimer *p, uint64_t now)
{
	p->kt.fn = fire;
	p->kt.expires = time_monotonic_ns() +
			MAX(p->cpu_expires > now ? p->cpu_expires - now : 0, time_coarse_res_ns());
	ktimer_add(&p->kt);
}

/* Whether CPU timer `p` expired; if not yet, it waits again.  A timer on
 * the clock of a thread that exited never fires, as on Linux. */
static bool cpu_due(struct ptimer *p)
{
	uint64_t now;

	if (!p->cpu_expires || !cpu_now(p, &now)) {
		p->cpu_expires = 0;
		return false;
	}
	if (now < p->cpu_expires) {
		cpu_timer_wait(p, now);
		return false;
	}
	if (!p->interval)
		p->cpu_expires = 0;
	return true;
}

/* A periodic timer's next expiry after now + `pad`; returns the periods
 * missed.  timer_lock held, as for the helpers below. */
static uint64_t forward_after(struct ptimer *p, uint64_t pad)
{
	uint64_t now, missed = 0, *expires = p->cpu ? &p->cpu_expires : &p->kt.expires;

	if (!timer_now(p, &now))
		return 0;
	if (now + pad >= *expires)
		missed = (now + pad - *expires) / p->interval;
	*expires += (missed + 1) * p->interval;
	if (p->cpu)
		cpu_timer_wait(p, now);
	else
		ktimer_add(&p->kt);
	return missed;
}

static uint64_t forward(struct ptimer *p)
{
	return forward_after(p, 0);
}

/* The same for a timer whose expiry nobody sees (its signal was not
 * queued, or it has none): not sooner than a tick from now, as Linux
 * re-arms such a timer (kernel/time/posix-timers.c, posix_timer_fn), so a
 * period far below a tick cannot keep the CPU in timer interrupts.  The
 * periods skipped count as overruns. */
static uint64_t forward_unseen(struct ptimer *p)
{
	return forward_after(p, p->interval < time_coarse_res_ns() ? time_coarse_res_ns() : 0);
}

/* A POSIX timer's expiry: queue its signal unless it is pending already.
 * A periodic timer waits for its signal to be taken before it runs again,
 * unless the signal was not queued (ignored, or merged into a pending
 * standard signal).  Called with timer_lock held (`flags`); drops it. */
static void fire_posix(struct ptimer *p, uint64_t flags)
{
	struct ksiginfo info = { .signo = p->signo,
				 .code = SI_TIMER,
				 .timerid = p->id - 1,
				 .value = p->value,
				 .timer_seq = p->gen };
	int tid = p->notify == SIGEV_THREAD_ID ? p->tid : 0;

	if (p->queued) { /* a one-shot timer re-armed while its signal waits */
		p->missed = clamp_int((uint64_t)p->missed + 1);
		spin_unlock_irqrestore(&timer_lock, flags);
		return;
	}
	/* Queued before the send: once pending, the signal may be taken (and
	 * `queued` cleared) at once. */
	p->queued = true;
	spin_unlock_irqrestore(&timer_lock, flags);
	if (!send_to(p->owner, tid, &info))
		return;
	flags = spin_lock_irqsave(&timer_lock);
	if (p->used && p->gen == info.timer_seq) { /* not deleted meanwhile */
		p->queued = false;
		if (p->interval)
			p->overrun = clamp_int(forward_unseen(p));
	}
	spin_unlock_irqrestore(&timer_lock, flags);
}

static void fire(struct ktimer *kt)
{
	struct ptimer *p = container_of(kt, struct ptimer, kt);
	uint64_t flags = spin_lock_irqsave(&timer_lock);
	struct ksiginfo info = { .signo = p->signo, .code = SI_KERNEL };
	bool send = p->notify != SIGEV_NONE;

	if (p->cpu && !cpu_due(p)) {
		spin_unlock_irqrestore(&timer_lock, flags);
		return;
	}
	if (p->id && send) {
		fire_posix(p, flags);
		return;
	}
	if (p->interval && !send) /* SIGEV_NONE: counts only */
		p->overrun = clamp_int(forward_unseen(p));
	else if (p->interval) /* alarm's */
		p->overrun = clamp_int(forward(p));
	spin_unlock_irqrestore(&timer_lock, flags);
	if (send)
		signal_send_process(p->owner, &info);
}

void timer_signal_taken(struct ksiginfo *info, bool taken)
{
	struct proc_timers *pt = process_current()->timers;
	struct ptimer *p = pt ? &pt->timers[1 + (unsigned)info->timerid % (MAX_TIMERS - 1)] : NULL;
	uint64_t over, flags = spin_lock_irqsave(&timer_lock);

	if (!p || !p->used || p->gen != info->timer_seq) {
		spin_unlock_irqrestore(&timer_lock, flags);
		return; /* deleted since: the signal goes on alone, as on Linux */
	}
	over = p->missed;
	p->queued = false;
	p->missed = 0;
	if (p->interval && !ktimer_pending(&p->kt))
		over += forward(p);
	p->overrun = clamp_int(over);
	if (taken)
		info->overrun = p->overrun;
	spin_unlock_irqrestore(&timer_lock, flags);
}

/* Time left on `p`, in ns (0: disarmed). */
static uint64_t remaining(const struct ptimer *p)
{
	uint64_t now, expires = p->cpu ? p->cpu_expires : p->kt.expires;

	if (!(p->cpu ? p->cpu_expires : ktimer_pending(&p->kt)) || !timer_now(p, &now))
		return 0;
	return expires > now ? expires - now : 1;
}

/* Arm `p` to expire after `delay` ns of its clock (0: disarm), then every
 * `interval`. */
static void arm(struct ptimer *p, uint64_t delay, uint64_t interval)
{
	uint64_t now;

	ktimer_del(&p->kt);
	p->interval = interval;
	p->overrun = 0;
	p->missed = 0;
	p->cpu_expires = 0;
	if (!delay)
		return;
	p->kt.fn = fire;
	if (p->cpu) {
		if (!cpu_now(p, &now))
			return; /* its thread is gone: it can never expire */
		p->cpu_expires = now + delay;
		cpu_timer_wait(p, now);
		return;
	}
	p->kt.expires = time_monotonic_ns() + delay;
	ktimer_add(&p->kt);
}

static bool tv_ok(const struct timeval_k *tv)
{
	return tv->sec >= 0 && tv->usec >= 0 && tv->usec < 1000000;
}

/* Seconds and nanoseconds (both checked non-negative) in ns, saturating
 * as Linux's ktime_set (include/linux/ktime.h): a time of 2^63 - 1 seconds
 * once wrapped to a second in the past, and the timer fired every tick. */
static uint64_t sec_ns(int64_t sec, int64_t ns)
{
	if (sec >= KTIME_SEC_MAX)
		return INT64_MAX;
	return (uint64_t)sec * NSEC_PER_SEC + (uint64_t)ns;
}

static uint64_t tv_ns(const struct timeval_k *tv)
{
	return sec_ns(tv->sec, tv->usec * USEC);
}

static struct timeval_k ns_tv(uint64_t ns)
{
	/* Linux rounds a pending time up to a whole microsecond. */
	ns = ALIGN_UP(ns, USEC);
	return (struct timeval_k){ ns / NSEC_PER_SEC, ns % NSEC_PER_SEC / USEC };
}

/*
 * ITIMER_VIRTUAL and ITIMER_PROF count the process's CPU time: the time the
 * CPU was not halted (time_busy_ns, what getrusage and
 * CLOCK_PROCESS_CPUTIME_ID report).  monos does not tell user time from the
 * kernel's work for the program, so both count the same time, which is
 * ITIMER_PROF's exactly and ITIMER_VIRTUAL's plus the (small) system time.
 * A kernel timer wakes when the CPU time could have run out at the
 * earliest (one CPU: CPU time runs no faster than the clock), but not
 * sooner than a tick, and sends the signal if it has, else waits for what
 * is left.  Linux looks at CPU timers at each tick
 * (kernel/time/posix-cpu-timers.c, run_posix_cpu_timers): at most one
 * signal a tick, however short the interval, so the program still runs.
 */
static void cpu_check(struct ktimer *kt);

/* Wake when `c` could run out at the earliest, `busy` the CPU time now. */
static void cpu_wait(struct cputimer *c, uint64_t busy)
{
	c->kt.fn = cpu_check;
	c->kt.expires = time_monotonic_ns() +
			MAX(c->expires > busy ? c->expires - busy : 0, time_coarse_res_ns());
	ktimer_add(&c->kt);
}

static void cpu_check(struct ktimer *kt)
{
	struct cputimer *c = container_of(kt, struct cputimer, kt);
	struct ksiginfo info = { .signo = c->signo, .code = SI_KERNEL };
	uint64_t busy = process_cpu_ns(c->owner), flags = spin_lock_irqsave(&timer_lock);
	bool send = c->expires && busy >= c->expires;

	if (send) /* the next period; one signal for periods missed at once,
		     as the standard signal could not carry more */
		c->expires = c->interval ? MAX(c->expires + c->interval, busy + 1) : 0;
	if (c->expires)
		cpu_wait(c, busy);
	spin_unlock_irqrestore(&timer_lock, flags);
	if (send)
		signal_send_process(c->owner, &info);
}

/* Get (`cur`) and set (`nv`, may be NULL) a CPU-time timer. */
static void cpu_itimer(struct cputimer *c, struct timeval_k cur[2], const struct timeval_k *nv)
{
	uint64_t busy = process_cpu_ns(c->owner);

	cur[0] = ns_tv(c->interval);
	cur[1] = ns_tv(c->expires ? (c->expires > busy ? c->expires - busy : 1) : 0);
	if (!nv)
		return;
	ktimer_del(&c->kt);
	c->interval = tv_ns(&nv[0]);
	c->expires = tv_ns(&nv[1]) ? busy + tv_ns(&nv[1]) : 0;
	if (c->expires)
		cpu_wait(c, busy);
}

/* Get and set (`nv` may be NULL) timer `which`: 0 or -EINVAL. */
static long itimer(long which, struct timeval_k cur[2], const struct timeval_k *nv)
{
	struct proc_timers *pt;
	uint64_t flags;

	if (which != ITIMER_REAL && which != ITIMER_VIRTUAL && which != ITIMER_PROF)
		return -EINVAL;
	if (!(pt = own_timers(true)))
		return -ENOMEM;
	flags = spin_lock_irqsave(&timer_lock);
	if (which != ITIMER_REAL) {
		cpu_itimer(&pt->cputimers[which - ITIMER_VIRTUAL], cur, nv);
	} else {
		cur[0] = ns_tv(pt->timers[0].interval);
		cur[1] = ns_tv(remaining(&pt->timers[0]));
		if (nv) {
			pt->timers[0].signo = SIGALRM;
			pt->timers[0].notify = SIGEV_SIGNAL;
			arm(&pt->timers[0], tv_ns(&nv[1]), tv_ns(&nv[0]));
		}
	}
	spin_unlock_irqrestore(&timer_lock, flags);
	return 0;
}

long sys_getitimer(long which, uint64_t ucur)
{
	struct timeval_k cur[2];
	long r = itimer(which, cur, NULL);

	return r ? r : copy_to_user(ucur, cur, sizeof(cur));
}

long sys_setitimer(long which, uint64_t unew, uint64_t uold)
{
	struct timeval_k nv[2] = { { 0, 0 }, { 0, 0 } }, old[2];
	long r;

	/* A NULL new value disarms, a misfeature Linux keeps. */
	if (unew && copy_from_user(nv, unew, sizeof(nv)))
		return -EFAULT;
	if (!tv_ok(&nv[0]) || !tv_ok(&nv[1]))
		return -EINVAL;
	if ((r = itimer(which, old, nv)))
		return r;
	return uold ? copy_to_user(uold, old, sizeof(old)) : 0;
}

long sys_alarm(unsigned seconds)
{
	struct proc_timers *pt = own_timers(true);
	uint64_t flags, left;

	if (!pt)
		return -ENOMEM;
	flags = spin_lock_irqsave(&timer_lock);
	left = remaining(&pt->timers[0]);
	pt->timers[0].signo = SIGALRM;
	pt->timers[0].notify = SIGEV_SIGNAL;
	arm(&pt->timers[0], (uint64_t)seconds * NSEC_PER_SEC, 0);
	spin_unlock_irqrestore(&timer_lock, flags);
	/* The seconds left on the previous alarm, rounded to nearest, at least 1. */
	return left ? MAX(1, (left + NSEC_PER_SEC / 2) / NSEC_PER_SEC) : 0;
}

/* POSIX timer `id` with timer_lock taken (`*flags` to give back), or NULL
 * (the lock not held) if there is none. */
static struct ptimer *ptimer_lock(long id, uint64_t *flags)
{
	struct proc_timers *pt = own_timers(false);

	*flags = spin_lock_irqsave(&timer_lock);
	if (pt && id >= 0 && id < MAX_TIMERS - 1 && pt->timers[id + 1].used)
		return &pt->timers[id + 1];
	spin_unlock_irqrestore(&timer_lock, *flags);
	return NULL;
}

static void ptimer_unlock(uint64_t flags)
{
	spin_unlock_irqrestore(&timer_lock, flags);
}

long sys_timer_create(long clk, uint64_t usev, uint64_t uid)
{
	int clock = (int)clk; /* a clockid_t: the register's low 32 bits */
	struct {
		uint64_t value;
		int32_t signo, notify, tid, pad;
	} sev = { .signo = SIGALRM, .notify = SIGEV_SIGNAL };
	struct proc_timers *pt;
	struct ptimer *p = NULL;
	int cpu_tid = 0, id;
	uint64_t flags;
	bool cpu = clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC && clock != CLOCK_BOOTTIME;

	if (cpu && cpu_clock_resolve(clock, false, &cpu_tid))
		return -EINVAL;
	if (usev && copy_from_user(&sev, usev, sizeof(sev)))
		return -EFAULT;
	if (sev.notify != SIGEV_SIGNAL && sev.notify != SIGEV_NONE && sev.notify != SIGEV_THREAD_ID)
		return -EINVAL; /* SIGEV_THREAD is libc's, built on SIGEV_THREAD_ID */
	if (sev.notify != SIGEV_NONE && (sev.signo < 1 || sev.signo > NSIG))
		return -EINVAL;
	if (sev.notify == SIGEV_THREAD_ID && !own_thread(sev.tid))
		return -EINVAL;
	if (!(pt = own_timers(true)))
		return -EAGAIN;
	flags = spin_lock_irqsave(&timer_lock);
	for (int i = 1; i < MAX_TIMERS && !p; i++)
		if (!pt->timers[i].used)
			p = &pt->timers[i];
	if (!p) {
		spin_unlock_irqrestore(&timer_lock, flags);
		return -EAGAIN;
	}
	id = p - pt->timers - 1;
	memset(p, 0, sizeof(*p));
	p->owner = process_current();
	p->used = true;
	p->id = id + 1;
	p->signo = sev.signo;
	p->notify = sev.notify;
	p->tid = sev.tid;
	p->value = usev ? sev.value : (uint64_t)id;
	p->clock = clock;
	p->cpu = cpu;
	p->cpu_tid = cpu_tid;
	p->gen = ++timer_gens ? timer_gens : ++timer_gens;
	spin_unlock_irqrestore(&timer_lock, flags);
	if (copy_to_user(uid, &id, sizeof(id))) {
		flags = spin_lock_irqsave(&timer_lock);
		p->used = false; /* never armed: nothing else to undo */
		spin_unlock_irqrestore(&timer_lock, flags);
		return -EFAULT;
	}
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
	*interval = sec_ns(nv.isec, nv.insec);
	*value = sec_ns(nv.vsec, nv.vnsec);
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
	uint64_t flags, interval, left;
	struct ptimer *p = ptimer_lock(id, &flags);

	if (!p)
		return -EINVAL;
	interval = p->interval;
	left = remaining(p);
	ptimer_unlock(flags);
	return timer_spec_out(ucur, interval, left);
}

long sys_timer_settime(long id, long flags, uint64_t unew, uint64_t uold)
{
	uint64_t value, interval, now, irq;
	struct ptimer *p = ptimer_lock(id, &irq);
	long r;

	if (!p)
		return -EINVAL;
	ptimer_unlock(irq);
	if ((r = timer_spec_in(unew, &interval, &value)))
		return r;
	if (uold && sys_timer_gettime(id, uold))
		return -EFAULT;
	if (!(p = ptimer_lock(id, &irq)))
		return -EINVAL; /* deleted meanwhile by another thread */
	if (value && (flags & TIMER_ABSTIME)) {
		if (!p->cpu)
			now = p->clock == CLOCK_REALTIME ? time_realtime_ns() : time_monotonic_ns();
		else if (!cpu_now(p, &now))
			now = 0; /* its thread is gone: arm() leaves it disarmed */
		value = value > now ? value - now : 1;
	}
	arm(p, value, interval);
	ptimer_unlock(irq);
	return 0;
}

long sys_timer_getoverrun(long id)
{
	uint64_t flags;
	struct ptimer *p = ptimer_lock(id, &flags);
	long r;

	if (!p)
		return -EINVAL;
	r = p->overrun;
	ptimer_unlock(flags);
	return r;
}

long sys_timer_delete(long id)
{
	uint64_t flags;
	struct ptimer *p = ptimer_lock(id, &flags);

	if (!p)
		return -EINVAL;
	ktimer_del(&p->kt);
	p->used = false;
	ptimer_unlock(flags);
	return 0;
}
