/*
 * timerfd: a timer as a file (man 2 timerfd_create).  read() returns the
 * number of expirations since the last read (a uint64_t) and waits while
 * there are none; poll and epoll report it readable once it expired.  The
 * timer is a kernel timer (core/sched.h) on the monotonic clock: relative
 * times and absolute CLOCK_MONOTONIC/CLOCK_BOOTTIME ones map onto it
 * directly, absolute CLOCK_REALTIME ones through the current offset between
 * the two clocks (so a later clock_settime does not move them: a known
 * departure, as is TFD_TIMER_CANCEL_ON_SET, accepted and never firing).
 *
 * Expirations are counted by catching up: whoever looks at the timer (the
 * kernel timer's callback, read, poll, gettime) adds the periods that have
 * passed since the last expiry, so the count is exact even when the callback
 * runs late or an absolute start lies in the past, as Linux's
 * hrtimer_forward makes it.
 */
#include "arch/x86_64/cpu.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/spinlock.h"
#include "core/waitq.h"
#include "core/time.h"
#include "core/uaccess.h"
#include "fs/anon.h"
#include "linux/syscall.h"
#include "linux/uapi.h"

/* include/uapi/linux/timerfd.h and include/uapi/linux/time.h */
#define TFD_TIMER_ABSTIME	1
#define TFD_TIMER_CANCEL_ON_SET 2
#define TFD_CLOEXEC		O_CLOEXEC
#define TFD_NONBLOCK		O_NONBLOCK

/* The kernel timer's callback and system calls share a timerfd: its lock
 * guards every field but the inode (taken before sched_lock). */
struct timerfd {
	struct spinlock lock;
	struct ktimer kt;  /* expires: the next expiry (monotonic ns) */
	bool armed;	   /* kt.expires is meaningful */
	int clock;	   /* what absolute times are measured on */
	uint64_t interval; /* ns between expiries; 0: one-shot */
	uint64_t ticks;	   /* expirations not yet read */
	uint64_t gen;	   /* bumped on every expiry (epoll's edge trigger) */
	struct waitq wq;   /* readers and pollers; woken under lock */
	struct inode inode;
};

/* Add `n` expirations; readiness changes when the count leaves zero.
 * t->lock held. */
static void timerfd_count(struct timerfd *t, uint64_t n)
{
	if (!t->ticks) {
		t->gen++;
		waitq_wake(&t->wq); /* readers and pollers */
	}
	t->ticks += n;
}

/*
 * Count the expiries up to now and move to the next one (or disarm).  As
 * Linux's timerfd, the kernel timer is not re-armed while a count waits to
 * be read: the read re-arms it, so an unread periodic timer costs no
 * interrupts and readiness (the poll generation, epoll's edge) changes only
 * when the count leaves zero.  t->lock held.
 */
static void timerfd_catch_up_locked(struct timerfd *t)
{
	uint64_t now = time_monotonic_ns(), n;

	if (t->armed && now >= t->kt.expires) {
		if (t->interval) {
			n = (now - t->kt.expires) / t->interval + 1;
			t->kt.expires += n * t->interval;
		} else {
			n = 1;
			t->armed = false;
		}
		ktimer_del(&t->kt);
		timerfd_count(t, n);
	}
}

/* The same, any context. */
static void timerfd_catch_up(struct timerfd *t)
{
	uint64_t flags = spin_lock_irqsave(&t->lock);

	timerfd_catch_up_locked(t);
	spin_unlock_irqrestore(&t->lock, flags);
}

static void timerfd_fire(struct ktimer *kt)
{
	timerfd_catch_up(container_of(kt, struct timerfd, kt));
}

/* A waitq_wait condition: one word read without the lock, taken again (and
 * the count re-read) by the read that follows. */
static bool timerfd_expired(void *arg)
{
	return ((struct timerfd *)arg)->ticks != 0;
}

static long timerfd_read(struct file *f, void *kbuf, size_t n, uint64_t off)
{
	struct timerfd *t = f->priv;
	long r;

	if (n < sizeof(t->ticks))
		return -EINVAL;
	timerfd_catch_up(t);
	if (!t->ticks) {
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if ((r = waitq_wait(&t->wq, timerfd_expired, t, 0)))
			return r; /* a signal: restarted as Linux restarts it */
	}
	uint64_t flags = spin_lock_irqsave(&t->lock); /* the callback adds to ticks */
	memcpy(kbuf, &t->ticks, sizeof(t->ticks));
	t->ticks = 0;
	if (t->armed)
		ktimer_add(&t->kt); /* the next period (see timerfd_catch_up) */
	spin_unlock_irqrestore(&t->lock, flags);
	return sizeof(t->ticks);
}

static unsigned timerfd_poll(struct file *f, uint64_t *gen)
{
	struct timerfd *t = f->priv;

	uint64_t flags = spin_lock_irqsave(&t->lock);
	unsigned events;

	timerfd_catch_up_locked(t);
	if (gen)
		*gen = t->gen;
	events = t->ticks ? POLLIN | POLLRDNORM : 0;
	spin_unlock_irqrestore(&t->lock, flags);
	return events;
}

static struct waitq *timerfd_waitq(struct file *f)
{
	return &((struct timerfd *)f->priv)->wq;
}

static void timerfd_release(struct file *f)
{
	struct timerfd *t = f->priv;

	ktimer_del(&t->kt);
	kfree(t);
	f->inode = NULL; /* the inode lives inside the timerfd */
}

static const struct file_ops timerfd_ops = {
	.read = timerfd_read,
	.poll = timerfd_poll,
	.waitq = timerfd_waitq,
	.release = timerfd_release,
};

/* The timerfd behind descriptor `fd`, or an ERR_PTR: -EBADF, -EINVAL (some
 * other file). */
static struct timerfd *timerfd_get(long fd)
{
	struct file *f = fd_get(fd);

	if (!f)
		return ERR_PTR(-EBADF);
	if (f->ops != &timerfd_ops)
		return ERR_PTR(-EINVAL);
	return f->priv;
}

long sys_timerfd_create(long clock, long flags)
{
	struct timerfd *t;
	struct file *f;

	clock = (int)clock; /* a clockid_t: the register's upper half is not part of it */
	if (clock == CLOCK_REALTIME_ALARM || clock == CLOCK_BOOTTIME_ALARM)
		clock -= CLOCK_REALTIME_ALARM - CLOCK_REALTIME; /* no suspend to wake from */
	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC && clock != CLOCK_BOOTTIME)
		return -EINVAL;
	if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK))
		return -EINVAL;
	if (!(t = kzalloc(sizeof(*t))))
		return -ENOMEM;
	t->lock = (struct spinlock)SPINLOCK_INIT;
	waitq_init(&t->wq);
	t->clock = clock;
	t->kt.fn = timerfd_fire;
	list_init(&t->kt.node);
	t->inode.anon_name = "[timerfd]"; /* /proc/self/fd shows anon_inode:[timerfd] */
	if (!(f = anon_file(&timerfd_ops, t, &t->inode, flags))) {
		kfree(t);
		return -ENOMEM;
	}
	return fd_install_new(f, flags & TFD_CLOEXEC);
}

long sys_timerfd_gettime(long fd, uint64_t ucur)
{
	struct timerfd *t = timerfd_get(fd);
	uint64_t now, flags, interval, left;

	if (IS_ERR(t))
		return PTR_ERR(t);
	flags = spin_lock_irqsave(&t->lock);
	timerfd_catch_up_locked(t);
	now = time_monotonic_ns();
	/* An armed timer is never overdue after catching up, but the clock
	 * moves on: report at least 1 ns, as a timer that has not fired. */
	left = !t->armed ? 0 : t->kt.expires > now ? t->kt.expires - now : 1;
	interval = t->interval;
	spin_unlock_irqrestore(&t->lock, flags);
	return timer_spec_out(ucur, interval, left);
}

/* The time from now to the first expiry for it_value `value` (> 0);
 * negative or zero when an absolute time has already passed. */
static int64_t timerfd_delay(const struct timerfd *t, uint64_t value, bool abs)
{
	if (!abs)
		return (int64_t)value;
	if (t->clock != CLOCK_REALTIME) /* CLOCK_BOOTTIME is CLOCK_MONOTONIC */
		return (int64_t)(value - time_monotonic_ns());
	return (int64_t)(value - time_realtime_ns());
}

/* Arm `t` to expire after `delay` ns, then every `interval`.  A first
 * expiry already past counts at once, with every period since (the
 * monotonic clock of a young VM cannot hold a time before its boot).
 * t->lock held. */
static void timerfd_arm(struct timerfd *t, int64_t delay, uint64_t interval)
{
	uint64_t late = delay > 0 ? 0 : (uint64_t)-delay;

	t->interval = interval;
	t->armed = true;
	if (delay > 0) {
		t->kt.expires = time_monotonic_ns() + delay;
		ktimer_add(&t->kt);
		return;
	}
	if (interval)
		t->kt.expires = time_monotonic_ns() + interval - late % interval;
	else
		t->armed = false;
	timerfd_count(t, interval ? late / interval + 1 : 1);
}

long sys_timerfd_settime(long fd, long flags, uint64_t unew, uint64_t uold)
{
	struct timerfd *t = timerfd_get(fd);
	uint64_t value, interval, irq;
	long r;

	if (IS_ERR(t))
		return PTR_ERR(t);
	if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
		return -EINVAL;
	if ((r = timer_spec_in(unew, &interval, &value)))
		return r;
	if (uold && (r = sys_timerfd_gettime(fd, uold)))
		return r;
	irq = spin_lock_irqsave(&t->lock);
	ktimer_del(&t->kt);
	t->ticks = 0; /* Linux forgets unread expirations on a new setting */
	t->armed = false;
	t->interval = interval;
	if (value)
		timerfd_arm(t, timerfd_delay(t, value, flags & TFD_TIMER_ABSTIME), interval);
	spin_unlock_irqrestore(&t->lock, irq);
	return 0;
}
