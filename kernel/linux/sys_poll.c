/*
 * Waiting on several files: poll, ppoll, select, pselect6, and eventfd2.
 * A file's readiness comes from its poll operation (fs/vfs.h); producers
 * call sched_wake_all() on every change, so a waiter re-checks its set then.
 * Semantics: man 2 poll, select; Linux's fs/select.c.
 */
#include "linux/syscall.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/time.h"
#include "core/uaccess.h"
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

struct poll_set {
	struct pollfd_k *fds;
	size_t n;
};

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

/* The monotonic deadline of a relative timeout in ns (-1: none). */
static uint64_t deadline_of(int64_t ns)
{
	if (ns < 0)
		return 0;
	return time_monotonic_ns() + (uint64_t)ns + 1; /* +1: 0 means no deadline */
}

/* Wait for the set; 0 timeout polls once.  Returns the ready count, or
 * -ERESTARTSYS/-EINTR when a signal arrived. */
static long poll_wait(struct poll_set *ps, int64_t timeout_ns)
{
	long r;

	if (poll_scan(ps) || timeout_ns == 0)
		return poll_scan(ps);
	r = sched_wait(poll_ready, ps, deadline_of(timeout_ns));
	if (r == -ERESTARTSYS)
		return -EINTR; /* poll is never restarted with SA_RESTART alone */
	return poll_scan(ps);
}

static long do_poll(uint64_t ufds, uint64_t nfds, int64_t timeout_ns)
{
	struct poll_set ps = { NULL, nfds };
	long r;

	if (nfds > fd_limit()) /* Linux's check: RLIMIT_NOFILE */
		return -EINVAL;
	if (nfds && !(ps.fds = kmalloc(nfds * sizeof(*ps.fds))))
		return -ENOMEM;
	if (copy_from_user(ps.fds, ufds, nfds * sizeof(*ps.fds))) {
		kfree(ps.fds);
		return -EFAULT;
	}
	r = poll_wait(&ps, timeout_ns);
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
	struct poll_set ps = { NULL, 0 };
	long r, count = 0;

	if (n < 0 || n > FD_SETSIZE)
		return -EINVAL;
	if ((uin && copy_from_user(in, uin, bytes)) || (uout && copy_from_user(out, uout, bytes)) ||
	    (uex && copy_from_user(ex, uex, bytes)))
		return -EFAULT;
	if (n && !(ps.fds = kmalloc(n * sizeof(*ps.fds))))
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
	r = poll_wait(&ps, ns);
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
