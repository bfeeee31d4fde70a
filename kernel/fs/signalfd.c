/*
 * signalfd: pending signals read as a file (man 2 signalfd).  A signalfd has
 * a mask; read() takes pending signals of that mask from the reading thread
 * (its own first, then the process's), each as a struct signalfd_siginfo,
 * and waits while there are none; poll and epoll report it readable while
 * one is pending.  The program blocks the signals it reads this way, or
 * they are delivered to their handlers first.  Signals stay with the signal
 * layer (linux/signal.c): this file only dequeues them, as rt_sigtimedwait
 * does, and it is woken by the signal layer's sched_wake_all().
 */
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "fs/anon.h"
#include "linux/signal.h"
#include "linux/syscall.h"

/* include/uapi/linux/signalfd.h */
#define SFD_CLOEXEC  O_CLOEXEC
#define SFD_NONBLOCK O_NONBLOCK

struct signalfd_siginfo_k {
	uint32_t signo;
	int32_t err, code;
	uint32_t pid, uid;
	int32_t fd;
	uint32_t tid, band, overrun, trapno;
	int32_t status, int_;
	uint64_t ptr, utime, stime, addr;
	uint16_t addr_lsb, pad2;
	int32_t syscall;
	uint64_t call_addr;
	uint32_t arch;
	uint8_t pad[28];
};
_Static_assert(sizeof(struct signalfd_siginfo_k) == 128, "struct signalfd_siginfo");

struct signalfd {
	uint64_t mask; /* the signals it reads, bit (signo - 1) */
	struct inode inode;
};

static bool signalfd_pending(void *arg)
{
	return (signal_pending_set() & ((struct signalfd *)arg)->mask) != 0;
}

/* Lay out `info` as Linux's signalfd_copyinfo does, by the kind of signal. */
static void signalfd_fill(struct signalfd_siginfo_k *ss, const struct ksiginfo *info)
{
	memset(ss, 0, sizeof(*ss));
	ss->signo = info->signo;
	ss->code = info->code;
	if (info->code == SI_TIMER) {
		ss->tid = info->timerid;
		ss->overrun = info->overrun;
		ss->ptr = info->value;
		ss->int_ = (int32_t)info->value;
	} else if (info->addr) { /* a fault */
		ss->addr = info->addr;
	} else {
		ss->pid = info->pid;
		ss->uid = info->uid;
		if (info->code < 0 && info->code != SI_TKILL) { /* sigqueue: a value */
			ss->ptr = info->value;
			ss->int_ = (int32_t)info->value;
		}
	}
}

static long signalfd_read(struct file *f, void *kbuf, size_t n, uint64_t off)
{
	struct signalfd *s = f->priv;
	struct signalfd_siginfo_k ss;
	struct ksiginfo info;
	size_t done = 0;
	long r;

	if (n < sizeof(ss))
		return -EINVAL;
	if (!signalfd_pending(s)) {
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if ((r = sched_wait(signalfd_pending, s, 0)))
			return r;
	}
	/* As many as fit, without waiting for more once one is taken. */
	while (done + sizeof(ss) <= n && signal_dequeue(s->mask, &info)) {
		signalfd_fill(&ss, &info);
		memcpy((uint8_t *)kbuf + done, &ss, sizeof(ss));
		done += sizeof(ss);
	}
	return done ? (long)done : -EAGAIN;
}

static unsigned signalfd_poll(struct file *f, uint64_t *gen)
{
	if (gen)
		*gen = signal_generation();
	return signalfd_pending(f->priv) ? POLLIN | POLLRDNORM : 0;
}

static void signalfd_release(struct file *f)
{
	kfree(f->priv);
	f->inode = NULL; /* the inode lives inside the signalfd */
}

static const struct file_ops signalfd_ops = {
	.read = signalfd_read,
	.poll = signalfd_poll,
	.release = signalfd_release,
};

/* A new signalfd with `mask` on a new descriptor: the fd or -errno. */
static long signalfd_new(uint64_t mask, long flags)
{
	struct signalfd *s = kzalloc(sizeof(*s));
	struct file *f;

	if (!s)
		return -ENOMEM;
	s->mask = mask;
	s->inode.anon_name = "[signalfd]"; /* /proc/self/fd shows anon_inode:[signalfd] */
	if (!(f = anon_file(&signalfd_ops, s, &s->inode, flags))) {
		kfree(s);
		return -ENOMEM;
	}
	return fd_install_new(f, flags & SFD_CLOEXEC);
}

long sys_signalfd4(long fd, uint64_t umask, size_t sizemask, long flags)
{
	struct file *f;
	uint64_t mask;

	if (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK))
		return -EINVAL;
	if (sizemask != sizeof(mask))
		return -EINVAL;
	if (copy_from_user(&mask, umask, sizeof(mask)))
		return -EFAULT;
	mask &= ~UNBLOCKABLE; /* SIGKILL and SIGSTOP are never read */
	if ((int)fd == -1)    /* an int: the register's upper half is not part of it */
		return signalfd_new(mask, flags);
	if (!(f = fd_get(fd)))
		return -EBADF;
	if (f->ops != &signalfd_ops)
		return -EINVAL;
	/* A new mask on the same file; its flags stay (Linux ignores them). */
	((struct signalfd *)f->priv)->mask = mask;
	sched_wake_all(); /* a reader may now have something to take */
	return fd;
}

long sys_signalfd(long fd, uint64_t umask, size_t sizemask)
{
	return sys_signalfd4(fd, umask, sizemask, 0);
}
