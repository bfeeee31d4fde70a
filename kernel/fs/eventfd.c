/*
 * eventfd: a 64-bit counter as a file (man 2 eventfd).  read() takes the
 * whole count (or 1 with EFD_SEMAPHORE) and waits while it is 0; write()
 * adds, and waits while the sum would pass 0xfffffffffffffffe.  Readers,
 * writers, pollers and epoll items wait on the eventfd's queue, which every
 * change wakes.
 */
#include "fs/vfs.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/waitq.h"
#include "linux/uapi.h"

#define EVENTFD_MAX 0xfffffffffffffffeull

struct eventfd {
	uint64_t count;
	uint64_t gen; /* bumped on every change (epoll's edge trigger) */
	bool semaphore;
	struct waitq wq; /* readers, writers, pollers */
	struct inode inode;
};

static bool readable(void *arg)
{
	return ((struct eventfd *)arg)->count != 0;
}

struct add {
	struct eventfd *e;
	uint64_t v;
};

static bool room_for(void *arg)
{
	struct add *a = arg;
	return a->v <= EVENTFD_MAX - a->e->count;
}

static long eventfd_read(struct file *f, void *kbuf, size_t n, uint64_t off)
{
	struct eventfd *e = f->priv;
	uint64_t v;
	long r;

	if (n < sizeof(v))
		return -EINVAL;
	if (!e->count) {
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if ((r = waitq_wait(&e->wq, readable, e, 0)))
			return r;
	}
	v = e->semaphore ? 1 : e->count;
	e->count -= v;
	e->gen++;
	memcpy(kbuf, &v, sizeof(v));
	waitq_wake(&e->wq); /* writers waiting for room */
	return sizeof(v);
}

static long eventfd_write(struct file *f, const void *kbuf, size_t n, uint64_t off)
{
	struct eventfd *e = f->priv;
	struct add a = { e, 0 };
	long r;

	if (n < sizeof(a.v))
		return -EINVAL;
	memcpy(&a.v, kbuf, sizeof(a.v));
	if (a.v == ~0ull)
		return -EINVAL;
	if (!room_for(&a)) {
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if ((r = waitq_wait(&e->wq, room_for, &a, 0)))
			return r;
	}
	e->count += a.v;
	e->gen++;
	waitq_wake(&e->wq); /* readers and pollers */
	return sizeof(a.v);
}

static unsigned eventfd_poll(struct file *f, uint64_t *gen)
{
	struct eventfd *e = f->priv;
	unsigned mask = 0;

	if (e->count)
		mask |= POLLIN | POLLRDNORM;
	if (e->count < EVENTFD_MAX)
		mask |= POLLOUT | POLLWRNORM;
	if (gen)
		*gen = e->gen;
	return mask;
}

static struct waitq *eventfd_waitq(struct file *f)
{
	return &((struct eventfd *)f->priv)->wq;
}

static void eventfd_release(struct file *f)
{
	kfree(f->priv);
	f->inode = NULL; /* the inode lives inside the eventfd */
}

static const struct file_ops eventfd_ops = {
	.read = eventfd_read,
	.write = eventfd_write,
	.poll = eventfd_poll,
	.waitq = eventfd_waitq,
	.release = eventfd_release,
};

struct file *eventfd_create(uint64_t initval, unsigned flags)
{
	struct eventfd *e = kzalloc(sizeof(*e));
	struct file *f = kzalloc(sizeof(*f));

	if (!e || !f) {
		kfree(e);
		kfree(f);
		return ERR_PTR(-ENOMEM);
	}
	e->count = initval;
	waitq_init(&e->wq);
	e->semaphore = flags & EFD_SEMAPHORE;
	e->inode.mode = S_IFREG | 0600; /* Linux: an anonymous inode */
	e->inode.nlink = 1;
	f->refs = 1;
	f->flags = O_RDWR | (flags & O_NONBLOCK);
	e->inode.anon_name = "[eventfd]"; /* /proc/self/fd shows anon_inode:[eventfd] */
	f->inode = &e->inode;
	f->ops = &eventfd_ops;
	f->priv = e;
	return f;
}
