/*
 * Waiting on several files: poll, ppoll, select, pselect6, and eventfd2.
 * A file's readiness comes from its poll operation (fs/vfs.h).  Before it
 * sleeps, a caller registers one entry of its poll table on the queue of
 * each watched file that has one (file_ops.waitq; Linux's poll_wait), and
 * re-checks its whole set whenever one of them fires; files without a
 * queue still wake every waiter with sched_wake_all().  The table is
 * allocated with the set, one entry per descriptor, so registering never
 * fails half-way, and it is taken down on every way out (ready, timeout,
 * signal).  Semantics: man 2 poll, select; Linux's fs/select.c.
 */
#include "linux/syscall.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/time.h"
#include "core/uaccess.h"
#include "core/waitq.h"
#include "fs/vfs.h"
#include "linux/signal.h"
#include "linux/uapi.h"

#define FD_SETSIZE   1024
#define SELECT_IN    (POLLIN | POLLRDNORM | POLLHUP | POLLERR)
#define SELECT_OUT   (POLLOUT | POLLWRNORM | POLLERR)
#define SELECT_EX    POLLPRI
#define EFD_CLOEXEC  O_CLOEXEC
#define EFD_NONBLOCK O_NONBLOCK

struct pollfd_k {
	int32_t fd;
	int16_t events, revents;
};

/* A poll table's entry: the waiter on one watched file's queue, and a
 * reference on the file, which keeps the queue alive even if another
 * thread closes the descriptor meanwhile. */
struct poll_entry {
	struct waitq_entry wait;
	struct file *file;
};

/* The set being waited on, and its poll table (room for one entry per
 * descriptor, allocated with `fds`). */
struct poll_set {
	struct pollfd_k *fds;
	size_t n;
	struct poll_entry *table;
	size_t nentries;
};

/* Allocate the set's descriptors and its poll table at once: 0, -ENOMEM. */
static int poll_set_alloc(struct poll_set *ps, size_t n)
{
	ps->fds = NULL;
	ps->n = 0;
	ps->nentries = 0;
	if (!n)
		return 0;
	if (!(ps->fds = kmalloc(n * (sizeof(*ps->fds) + sizeof(*ps->table)))))
		return -ENOMEM;
	ps->table = (struct poll_entry *)(ps->fds + n); /* 8-byte aligned: n * 8 */
	return 0;
}

/* Fill revents; returns how many entries have any. */
static int poll_scan(struct poll_set *ps)
{
	int ready = 0;

	for (size_t i = 0; i < ps->n; i++) {
		struct pollfd_k *p = &ps->fds[i];
		struct file *f;
		p->revents = 0;
		if (p->fd < 0)
			continue;
		if (!(f = fd_get(p->fd)))
			p->revents = POLLNVAL;
		else /* POLLERR and POLLHUP are reported whether asked or not */
			p->revents = vfs_poll(f, NULL) & (p->events | POLLERR | POLLHUP);
		ready += p->revents != 0;
	}
	return ready;
}

static bool poll_ready(void *arg)
{
	return poll_scan(arg) > 0;
}

/* Put the current thread on the queue of every file of the set that has
 * one.  Cannot fail: the table has an entry per descriptor. */
static void poll_register(struct poll_set *ps)
{
	struct thread *self = sched_current();

	for (size_t i = 0; i < ps->n; i++) {
		struct file *f = ps->fds[i].fd < 0 ? NULL : fd_get(ps->fds[i].fd);
		struct waitq *wq = f ? vfs_waitq(f) : NULL;
		struct poll_entry *pe = &ps->table[ps->nentries];
		if (!wq)
			continue;
		f->refs++;
		*pe = (struct poll_entry){ .wait = { .thread = self }, .file = f };
		waitq_add(wq, &pe->wait);
		ps->nentries++;
	}
}

/* Take every entry off its queue and drop its file. */
static void poll_unregister(struct poll_set *ps)
{
	for (size_t i = 0; i < ps->nentries; i++) {
		waitq_remove(&ps->table[i].wait);
		file_put(ps->table[i].file);
	}
	ps->nentries = 0;
}

/* The monotonic deadline of a relative timeout in ns (-1: none). */
static uint64_t deadline_of(int64_t ns)
{
	if (ns < 0)
		return 0;
	return time_monotonic_ns() + (uint64_t)ns + 1; /* +1: 0 means no deadline */
}

/* Wait for the set; 0 timeout polls once.  Returns the ready count, or
 * -ERESTARTSYS/-EINTR when a signal arrived. */
static long poll_set_wait(struct poll_set *ps, int64_t timeout_ns)
{
	long r;

	if (poll_scan(ps) || timeout_ns == 0)
		return poll_scan(ps);
	/* Nothing can change between that scan and sched_wait's first check
	 * (the system-call rule), and a change after it finds the entries. */
	poll_register(ps);
	r = sched_wait(poll_ready, ps, deadline_of(timeout_ns));
	poll_unregister(ps);
	if (r == -ERESTARTSYS)
		return -EINTR; /* poll is never restarted with SA_RESTART alone */
	return poll_scan(ps);
}

static long do_poll(uint64_t ufds, uint64_t nfds, int64_t timeout_ns)
{
	struct poll_set ps;
	long r;

	if (nfds > fd_limit()) /* Linux's check: RLIMIT_NOFILE */
		return -EINVAL;
	if (poll_set_alloc(&ps, nfds))
		return -ENOMEM;
	ps.n = nfds;
	if (copy_from_user(ps.fds, ufds, nfds * sizeof(*ps.fds))) {
		kfree(ps.fds);
		return -EFAULT;
	}
	r = poll_set_wait(&ps, timeout_ns);
	if (r >= 0 && copy_to_user(ufds, ps.fds, nfds * sizeof(*ps.fds)))
		r = -EFAULT;
	kfree(ps.fds);
	return r;
}

long sys_poll(uint64_t ufds, uint64_t nfds, long timeout_ms)
{
	return do_poll(ufds, nfds, timeout_ms < 0 ? -1 : timeout_ms * 1000000ll);
}

/* A timespec argument as ns (-1 when `uts` is NULL). */
static long timeout_arg(uint64_t uts, int64_t *ns)
{
	int64_t ts[2];

	*ns = -1;
	if (!uts)
		return 0;
	if (copy_from_user(ts, uts, sizeof(ts)))
		return -EFAULT;
	if (ts[0] < 0 || ts[1] < 0 || ts[1] >= (int64_t)NSEC_PER_SEC)
		return -EINVAL;
	*ns = ts[0] * (int64_t)NSEC_PER_SEC + ts[1];
	return 0;
}

/* Install a temporary signal mask for ppoll/pselect6; the old one comes
 * back after a handler runs (or at once if none does). */
long poll_temp_mask(uint64_t umask, size_t size)
{
	struct thread *t = sched_current();
	uint64_t mask;

	if (!umask)
		return 0;
	if (size != sizeof(mask))
		return -EINVAL;
	if (copy_from_user(&mask, umask, sizeof(mask)))
		return -EFAULT;
	signal_set_saved_mask(t->sigmask);
	t->sigmask = mask & ~UNBLOCKABLE;
	return 0;
}

long sys_ppoll(uint64_t ufds, uint64_t nfds, uint64_t uts, uint64_t umask, size_t size)
{
	int64_t ns;
	long r = timeout_arg(uts, &ns);

	if (r || (r = poll_temp_mask(umask, size)))
		return r;
	return do_poll(ufds, nfds, ns);
}

/* select: bitmaps of fds turned into a poll set and back. */
static long do_select(long n, uint64_t uin, uint64_t uout, uint64_t uex, int64_t ns)
{
	uint64_t in[FD_SETSIZE / 64] = { 0 }, out[FD_SETSIZE / 64] = { 0 },
				 ex[FD_SETSIZE / 64] = { 0 };
	size_t bytes = ALIGN_UP((size_t)n, 64) / 8;
	struct poll_set ps;
	long r, count = 0;

	if (n < 0 || n > FD_SETSIZE)
		return -EINVAL;
	if ((uin && copy_from_user(in, uin, bytes)) || (uout && copy_from_user(out, uout, bytes)) ||
	    (uex && copy_from_user(ex, uex, bytes)))
		return -EFAULT;
	if (poll_set_alloc(&ps, n))
		return -ENOMEM;
	for (long fd = 0; fd < n; fd++) {
		uint64_t bit = 1ull << (fd % 64);
		short ev = ((in[fd / 64] & bit) ? SELECT_IN : 0) |
			   ((out[fd / 64] & bit) ? SELECT_OUT : 0) |
			   ((ex[fd / 64] & bit) ? SELECT_EX : 0);
		if (!ev)
			continue;
		if (!fd_get(fd)) {
			kfree(ps.fds);
			return -EBADF;
		}
		ps.fds[ps.n++] = (struct pollfd_k){ (int32_t)fd, ev, 0 };
	}
	r = poll_set_wait(&ps, ns);
	if (r < 0) {
		kfree(ps.fds);
		return r;
	}
	memset(in, 0, sizeof(in)), memset(out, 0, sizeof(out)), memset(ex, 0, sizeof(ex));
	for (size_t i = 0; i < ps.n; i++) {
		int fd = ps.fds[i].fd;
		uint64_t bit = 1ull << (fd % 64);
		short want = ps.fds[i].events, got = ps.fds[i].revents;
		if ((want & POLLIN) && (got & SELECT_IN))
			in[fd / 64] |= bit, count++;
		if ((want & POLLOUT) && (got & SELECT_OUT))
			out[fd / 64] |= bit, count++;
		if ((want & POLLPRI) && (got & SELECT_EX))
			ex[fd / 64] |= bit, count++;
	}
	kfree(ps.fds);
	if ((uin && copy_to_user(uin, in, bytes)) || (uout && copy_to_user(uout, out, bytes)) ||
	    (uex && copy_to_user(uex, ex, bytes)))
		return -EFAULT;
	return count;
}

long sys_select(long n, uint64_t uin, uint64_t uout, uint64_t uex, uint64_t utv)
{
	int64_t tv[2], ns = -1;

	if (utv) {
		if (copy_from_user(tv, utv, sizeof(tv)))
			return -EFAULT;
		if (tv[0] < 0 || tv[1] < 0)
			return -EINVAL;
		ns = tv[0] * (int64_t)NSEC_PER_SEC + tv[1] * 1000;
	}
	return do_select(n, uin, uout, uex, ns);
}

long sys_pselect6(long n, uint64_t uin, uint64_t uout, uint64_t uex, uint64_t uts, uint64_t usig)
{
	struct {
		uint64_t mask, size;
	} sig;
	int64_t ns;
	long r = timeout_arg(uts, &ns);

	if (r)
		return r;
	if (usig) {
		if (copy_from_user(&sig, usig, sizeof(sig)))
			return -EFAULT;
		if ((r = poll_temp_mask(sig.mask, sig.size)))
			return r;
	}
	return do_select(n, uin, uout, uex, ns);
}

long sys_eventfd2(unsigned initval, long flags)
{
	struct file *f;

	if (flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE))
		return -EINVAL;
	f = eventfd_create(initval, flags);
	if (IS_ERR(f))
		return PTR_ERR(f);
	return fd_install_new(f, flags & EFD_CLOEXEC);
}

long sys_eventfd(unsigned initval)
{
	return sys_eventfd2(initval, 0);
}
