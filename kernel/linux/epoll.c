/*
 * epoll: an interest list as a file (man 7 epoll).  Each item watches one
 * (fd, file) pair; epoll_wait scans the list, so waiting costs O(items) per
 * wake-up, which is fine for the hundreds of connections of one program and
 * can become a ready list when profiles ask.  Level-triggered items report
 * while ready; edge-triggered ones only when the file's poll generation
 * moved since they last reported; EPOLLONESHOT items go quiet after one
 * report until EPOLL_CTL_MOD.  Items go away with their file's last close
 * (epoll_file_gone, from the last-put hook), as Linux removes them.
 */
#include "linux/syscall.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/time.h"
#include "core/uaccess.h"
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

struct epoll_event_k {
	uint32_t events;
	uint64_t data;
} __attribute__((packed));

struct epitem {
	int fd;
	struct file *file; /* not counted: the item dies with the file */
	uint32_t events;   /* what the program asked for, EPOLLET etc. included */
	uint64_t data;
	uint64_t gen;  /* the file's poll generation at the last report (ET) */
	bool reported; /* reported since armed (ET, ONESHOT) */
	bool disabled; /* EPOLLONESHOT fired */
	struct list_head node;
};

struct epoll {
	struct list_head items;
	struct list_head all; /* every epoll instance, for epoll_file_gone */
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

/* The events item `it` reports now (0: none), updating its trigger state
 * when `consume`. */
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

static bool any_ready(void *arg)
{
	struct epoll *ep = arg;
	struct epitem *it;

	list_for_each_entry(it, &ep->items, node)
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

static void epoll_release(struct file *f)
{
	struct epoll *ep = f->priv;
	struct epitem *it, *tmp;

	list_for_each_entry_safe(it, tmp, &ep->items, node) {
		list_del(&it->node);
		kfree(it);
	}
	list_del(&ep->all);
	kfree(ep);
	f->inode = NULL;
}

static const struct file_ops epoll_ops = {
	.poll = epoll_poll,
	.release = epoll_release,
};

void epoll_file_gone(struct file *f)
{
	struct epoll *ep;
	struct epitem *it, *tmp;

	list_for_each_entry(ep, &epolls, all) {
		list_for_each_entry_safe(it, tmp, &ep->items, node) {
			if (it->file == f) {
				list_del(&it->node);
				kfree(it);
			}
		}
	}
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
	list_init(&ep->items);
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

long sys_epoll_ctl(long epfd, long op, long fd, uint64_t uev)
{
	struct file *epf = fd_get(epfd), *f = fd_get(fd);
	struct epoll_event_k ev = { 0 };
	struct epitem *it;

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
		if (!(it = kzalloc(sizeof(*it))))
			return -ENOMEM;
		it->fd = fd;
		it->file = f;
		list_add_tail(&it->node, &((struct epoll *)epf->priv)->items);
		break;
	case EPOLL_CTL_MOD:
		if (!it)
			return -ENOENT;
		break;
	case EPOLL_CTL_DEL:
		if (!it)
			return -ENOENT;
		list_del(&it->node);
		kfree(it);
		return 0;
	default:
		return -EINVAL;
	}
	it->events = ev.events & ~(EPOLLEXCLUSIVE | EPOLLWAKEUP);
	it->data = ev.data;
	it->reported = it->disabled = false;
	sched_wake_all(); /* a waiter may have something to report now */
	return 0;
}

/* Copy out up to `max` ready events. */
static long harvest(struct epoll *ep, uint64_t uevents, long max)
{
	struct epitem *it;
	long n = 0;

	list_for_each_entry(it, &ep->items, node) {
		if (n == max)
			break;
		uint32_t mask = item_ready(it, true);
		if (!mask)
			continue;
		struct epoll_event_k ev = { mask, it->data };
		if (copy_to_user(uevents + n * sizeof(ev), &ev, sizeof(ev)))
			return n ? n : -EFAULT;
		n++;
	}
	return n;
}

static long epoll_wait_ns(long epfd, uint64_t uevents, long max, int64_t ns)
{
	struct file *epf = fd_hold(epfd);
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
		r = sched_wait(any_ready, ep, ns < 0 ? 0 : time_monotonic_ns() + ns + 1);
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
