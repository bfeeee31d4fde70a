/*
 * epoll: an interest list as a file (man 7 epoll).  Each item watches one
 * (fd, file) pair through an entry on the file's wait queue (fs/vfs.h
 * file_ops.waitq): when the queue fires, the entry's callback puts the
 * item on the instance's ready list and wakes the instance's own queue,
 * so epoll_wait re-checks only the items whose files changed, not every
 * item (Linux's ep_poll_callback).  Level-triggered items that reported
 * go back on the ready list, as Linux's do, and are dropped from it the
 * first time they find nothing; edge-triggered ones report only when the
 * file's poll generation moved since they last reported; EPOLLONESHOT
 * items go quiet after one report until EPOLL_CTL_MOD.  An item whose
 * file has no queue (its changes call sched_wake_all) stays on the ready
 * list for good and is re-checked at every wake-up.  Items go away with
 * their file's last close (epoll_file_gone, from the last-put hook), as
 * Linux removes them.
 *
 * Locks: the ready list is changed under the instance's `lock` by the
 * wakers' callbacks (core/waitq.h gives the order: a file's queue, then
 * this lock, then the instance's queue) and by the instance's own system
 * calls; those walk it under the system-call rule (core/spinlock.h), with
 * interrupts off and no lock held, because checking an item takes the
 * file's locks, which come before this one.  An instance nested in
 * another wakes the outer one's items from its queue: loops and chains
 * deeper than EP_MAX_NESTS are refused (ELOOP), as Linux refuses them.
 */
#include "linux/syscall.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/spinlock.h"
#include "core/time.h"
#include "core/uaccess.h"
#include "core/waitq.h"
#include "fs/vfs.h"
#include "linux/signal.h"

#define EPOLL_CTL_ADD  1
#define EPOLL_CTL_DEL  2
#define EPOLL_CTL_MOD  3
#define EPOLLIN	       0x001
#define EPOLLERR       0x008
#define EPOLLHUP       0x010
#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLLWAKEUP    (1u << 29)
#define EPOLLONESHOT   (1u << 30)
#define EPOLLET	       (1u << 31)
#define EPOLL_CLOEXEC  O_CLOEXEC
#define EP_MAX_EVENTS  (INT32_MAX / 12)
#define EP_MAX_NESTS   4  /* Linux's fs/eventpoll.c: epolls in a chain */
#define EP_BATCH       32 /* events gathered before one copy out */

struct epoll_event_k {
	uint32_t events;
	uint64_t data;
} __attribute__((packed));

struct epoll;

struct epitem {
	int fd;
	struct file *file; /* not counted: the item dies with the file */
	uint32_t events;   /* what the program asked for, EPOLLET etc. included */
	uint64_t data;
	uint64_t gen;  /* the file's poll generation at the last report (ET) */
	bool reported; /* reported since armed (ET, ONESHOT) */
	bool disabled; /* EPOLLONESHOT fired */
	struct epoll *ep;
	struct waitq_entry wait; /* on the file's queue (wait.wq NULL: it has none) */
	struct list_head node;	 /* in ep->items */
	struct list_head rdlink; /* in ep->ready, or empty; ep->lock */
};

struct epoll {
	struct spinlock lock;	/* ready */
	struct list_head ready; /* struct epitem.rdlink: items to re-check */
	struct list_head items; /* struct epitem.node */
	struct list_head all;	/* every epoll instance, for epoll_file_gone */
	struct waitq wq;	/* epoll_wait's sleepers, and pollers of this file */
	struct inode inode;
};

static struct list_head epolls = LIST_HEAD_INIT(epolls);
static const struct file_ops epoll_ops;

static struct epitem *find(struct epoll *ep, int fd, struct file *f)
{
	struct epitem *it;
	list_for_each_entry(it, &ep->items, node)
		if (it->fd == fd && it->file == f)
			return it;
	return NULL;
}

/* Put `it` on its instance's ready list (if not there) and wake the
 * instance's waiters.  The callback of the item's queue entry: any
 * context, the file's queue lock held. */
static void item_wake(struct waitq_entry *e)
{
	struct epitem *it = container_of(e, struct epitem, wait);
	struct epoll *ep = it->ep;
	uint64_t flags = spin_lock_irqsave(&ep->lock);

	if (list_empty(&it->rdlink))
		list_add_tail(&it->rdlink, &ep->ready);
	spin_unlock_irqrestore(&ep->lock, flags);
	waitq_wake(&ep->wq);
}

/* Take `it` off the ready list (a no-op when it is not on one). */
static void item_unready(struct epitem *it)
{
	uint64_t flags = spin_lock_irqsave(&it->ep->lock);

	list_del(&it->rdlink);
	spin_unlock_irqrestore(&it->ep->lock, flags);
}

/* Take `it` off its file's queue, the ready list and the items, and free
 * it. */
static void item_free(struct epitem *it)
{
	waitq_remove(&it->wait);
	item_unready(it);
	list_del(&it->node);
	kfree(it);
}

static uint32_t item_ready(struct epitem *it, bool consume)
{
	uint64_t gen;
	uint32_t mask;

	if (it->disabled)
		return 0;
	mask = vfs_poll(it->file, &gen) & (it->events | EPOLLERR | EPOLLHUP);
	if (!mask)
		return 0;
	if ((it->events & EPOLLET) && it->reported && gen == it->gen)
		return 0; /* nothing new since the last edge */
	if (consume) {
		it->gen = gen;
		it->reported = true;
		if (it->events & EPOLLONESHOT)
			it->disabled = true;
	}
	return mask;
}

/* Whether an item on the ready list has something to report (epoll_wait's
 * condition).  The system-call rule: see the top. */
static bool any_ready(void *arg)
{
	struct epoll *ep = arg;
	struct epitem *it;

	list_for_each_entry(it, &ep->ready, rdlink)
		if (item_ready(it, false))
			return true;
	return false;
}

static unsigned epoll_poll(struct file *f, uint64_t *gen)
{
	if (gen)
		*gen = 0; /* an epoll inside an epoll is level-triggered only */
	return any_ready(f->priv) ? POLLIN | POLLRDNORM : 0;
}

static struct waitq *epoll_waitq(struct file *f)
{
	return &((struct epoll *)f->priv)->wq;
}

static void epoll_release(struct file *f)
{
	struct epoll *ep = f->priv;
	struct epitem *it, *tmp;

	list_for_each_entry_safe(it, tmp, &ep->items, node)
		item_free(it);
	list_del(&ep->all);
	kfree(ep);
	f->inode = NULL;
}

static const struct file_ops epoll_ops = {
	.poll = epoll_poll,
	.waitq = epoll_waitq,
	.release = epoll_release,
};

void epoll_file_gone(struct file *f)
{
	struct epoll *ep;
	struct epitem *it, *tmp;

	list_for_each_entry(ep, &epolls, all)
		list_for_each_entry_safe(it, tmp, &ep->items, node)
			if (it->file == f)
				item_free(it);
}

long sys_epoll_create1(long flags)
{
	struct epoll *ep;
	struct file *f;

	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	ep = kzalloc(sizeof(*ep));
	f = kzalloc(sizeof(*f));
	if (!ep || !f) {
		kfree(ep);
		kfree(f);
		return -ENOMEM;
	}
	ep->lock = (struct spinlock)SPINLOCK_INIT;
	list_init(&ep->ready);
	list_init(&ep->items);
	waitq_init(&ep->wq);
	list_add(&ep->all, &epolls);
	ep->inode.mode = S_IFREG | 0600; /* an anonymous inode, as Linux's */
	ep->inode.nlink = 1;
	f->refs = 1;
	f->flags = O_RDWR;
	ep->inode.anon_name = "[eventpoll]"; /* /proc/self/fd shows anon_inode:[eventpoll] */
	f->inode = &ep->inode;
	f->ops = &epoll_ops;
	f->priv = ep;
	return fd_install_new(f, flags & EPOLL_CLOEXEC);
}

long sys_epoll_create(long size)
{
	return size <= 0 ? -EINVAL : sys_epoll_create1(0);
}

/* The longest chain of epolls below `ep` (0: it watches none). */
static int depth_below(struct epoll *ep, int limit)
{
	struct epitem *it;
	int d = 0;

	if (limit < 0)
		return 0; /* deep enough to refuse already */
	list_for_each_entry(it, &ep->items, node)
		if (it->file->ops == &epoll_ops)
			d = MAX(d, 1 + depth_below(it->file->priv, limit - 1));
	return d;
}

/* The longest chain of epolls above `ep` (0: none watches it). */
static int depth_above(struct epoll *ep, int limit)
{
	struct epoll *o;
	struct epitem *it;
	int d = 0;

	if (limit < 0)
		return 0;
	list_for_each_entry(o, &epolls, all)
		list_for_each_entry(it, &o->items, node)
			if (it->file->priv == ep && it->file->ops == &epoll_ops)
				d = MAX(d, 1 + depth_above(o, limit - 1));
	return d;
}

/* Whether `ep` watches `target`, directly or through nested epolls. */
static bool reaches(struct epoll *ep, struct epoll *target, int limit)
{
	struct epitem *it;

	if (ep == target)
		return true;
	if (limit < 0)
		return false;
	list_for_each_entry(it, &ep->items, node)
		if (it->file->ops == &epoll_ops && reaches(it->file->priv, target, limit - 1))
			return true;
	return false;
}

/* Adding epoll file `f` to `ep`: 0, or -ELOOP for a loop or a chain
 * longer than EP_MAX_NESTS (whose wake-ups would recurse without end or
 * too deep). */
static int check_nesting(struct epoll *ep, struct file *f)
{
	struct epoll *inner = f->priv;

	if (f->ops != &epoll_ops)
		return 0;
	if (reaches(inner, ep, EP_MAX_NESTS + 1))
		return -ELOOP;
	if (depth_above(ep, EP_MAX_NESTS) + 1 + depth_below(inner, EP_MAX_NESTS) > EP_MAX_NESTS)
		return -ELOOP;
	return 0;
}

/* A new item for (fd, f) in `ep`, on f's queue: 0, -ENOMEM, -ELOOP. */
static int item_add(struct epoll *ep, int fd, struct file *f)
{
	struct waitq *wq = vfs_waitq(f);
	struct epitem *it;
	int r = check_nesting(ep, f);

	if (r)
		return r;
	if (!(it = kzalloc(sizeof(*it))))
		return -ENOMEM;
	it->fd = fd;
	it->file = f;
	it->ep = ep;
	it->wait.func = item_wake;
	list_init(&it->rdlink);
	list_add_tail(&it->node, &ep->items);
	if (wq)
		waitq_add(wq, &it->wait);
	return 0;
}

long sys_epoll_ctl(long epfd, long op, long fd, uint64_t uev)
{
	struct file *epf = fd_get(epfd), *f = fd_get(fd);
	struct epoll_event_k ev = { 0 };
	struct epitem *it;
	int r;

	if (!epf || !f)
		return -EBADF;
	if (epf->ops != &epoll_ops || f == epf)
		return -EINVAL;
	if (op != EPOLL_CTL_DEL && copy_from_user(&ev, uev, sizeof(ev)))
		return -EFAULT;
	if (!f->ops->poll && S_ISREG(f->inode->mode) && f->ops->seekable)
		return -EPERM; /* regular files are always ready: Linux refuses them */
	it = find(epf->priv, fd, f);
	switch (op) {
	case EPOLL_CTL_ADD:
		if (it)
			return -EEXIST;
		if ((r = item_add(epf->priv, fd, f)))
			return r;
		it = find(epf->priv, fd, f);
		break;
	case EPOLL_CTL_MOD:
		if (!it)
			return -ENOENT;
		break;
	case EPOLL_CTL_DEL:
		if (!it)
			return -ENOENT;
		item_free(it);
		return 0;
	default:
		return -EINVAL;
	}
	it->events = ev.events & ~(EPOLLEXCLUSIVE | EPOLLWAKEUP);
	it->data = ev.data;
	it->reported = it->disabled = false;
	item_wake(&it->wait); /* check it now: a waiter may have something to report */
	return 0;
}

/* Move what is left of `from` to the front of ep's ready list. */
static void ready_putback(struct epoll *ep, struct list_head *from)
{
	uint64_t flags = spin_lock_irqsave(&ep->lock);

	while (!list_empty(from)) {
		struct list_head *n = from->prev;
		list_del(n);
		list_add(n, &ep->ready);
	}
	spin_unlock_irqrestore(&ep->lock, flags);
}

/* Take the first item of `todo`, check it and put it back on the ready
 * list if it must be re-checked (level-triggered and reporting, or with no
 * queue of its own); its report, if any, goes in *ev.  Returns whether it
 * reports. */
static bool harvest_one(struct epoll *ep, struct list_head *todo, struct epoll_event_k *ev)
{
	struct epitem *it = list_first_entry(todo, struct epitem, rdlink);
	uint32_t mask;
	uint64_t flags;

	item_unready(it);
	mask = item_ready(it, true);
	if (!it->wait.wq || (mask && !(it->events & (EPOLLET | EPOLLONESHOT)))) {
		flags = spin_lock_irqsave(&ep->lock);
		if (list_empty(&it->rdlink)) /* checking it may have woken it (timerfd) */
			list_add_tail(&it->rdlink, &ep->ready);
		spin_unlock_irqrestore(&ep->lock, flags);
	}
	*ev = (struct epoll_event_k){ mask, it->data };
	return mask != 0;
}

/* Copy out up to `max` ready events.  They are gathered in batches before
 * each copy, which may sleep (a fault): no item is in hand meanwhile. */
static long harvest(struct epoll *ep, uint64_t uevents, long max)
{
	struct epoll_event_k batch[EP_BATCH];
	struct list_head todo;
	long n = 0;
	uint64_t flags = spin_lock_irqsave(&ep->lock);

	list_init(&todo); /* what was ready when the call began, in order */
	while (!list_empty(&ep->ready)) {
		struct list_head *e = ep->ready.next;
		list_del(e);
		list_add_tail(e, &todo);
	}
	spin_unlock_irqrestore(&ep->lock, flags);
	while (n < max && !list_empty(&todo)) {
		long k = 0;
		while (k < EP_BATCH && n + k < max && !list_empty(&todo))
			k += harvest_one(ep, &todo, &batch[k]);
		if (k &&
		    copy_to_user(uevents + n * sizeof(batch[0]), batch, k * sizeof(batch[0]))) {
			ready_putback(ep, &todo);
			return n ? n : -EFAULT;
		}
		n += k;
	}
	ready_putback(ep, &todo);
	return n;
}

static long epoll_wait_ns(long epfd, uint64_t uevents, long max, int64_t ns)
{
	struct file *epf = fd_hold(epfd);
	uint64_t deadline = ns <= 0 ? 0 : time_monotonic_ns() + ns + 1;
	struct epoll *ep;
	long r, n;

	if (!epf)
		return -EBADF;
	if (epf->ops != &epoll_ops || max <= 0 || max > EP_MAX_EVENTS)
		return -EINVAL;
	ep = epf->priv;
	for (;;) {
		if ((n = harvest(ep, uevents, max)) || ns == 0)
			return n;
		r = waitq_wait(&ep->wq, any_ready, ep, deadline);
		if (r == -ERESTARTSYS)
			return -EINTR; /* epoll_wait is never restarted */
		if (r == -ETIMEDOUT)
			return harvest(ep, uevents, max);
	}
}

long sys_epoll_wait(long epfd, uint64_t uevents, long max, long timeout_ms)
{
	return epoll_wait_ns(epfd, uevents, max, timeout_ms < 0 ? -1 : timeout_ms * 1000000ll);
}

long sys_epoll_pwait(long epfd, uint64_t uevents, long max, long timeout_ms, uint64_t umask,
		     size_t size)
{
	long r = poll_temp_mask(umask, size);
	return r ? r : sys_epoll_wait(epfd, uevents, max, timeout_ms);
}
