/*
 * File locks: POSIX record locks (fcntl F_GETLK, F_SETLK, F_SETLKW) and BSD
 * locks (flock).  One process per instance, and POSIX locks belong to the
 * process: they never conflict with one another, so setting one only checks
 * its arguments, and F_GETLK always finds the range free.  flock locks belong
 * to the open file description and do conflict between two opens of a file
 * in the same process, so those are tracked.  Semantics: man 2 fcntl, flock.
 * Open-file-description locks (F_OFD_*) are not implemented yet (EINVAL).
 */
#include "linux/syscall.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "fs/vfs.h"
#include "linux/uapi.h"

#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2
#define LOCK_SH 1
#define LOCK_EX 2
#define LOCK_NB 4
#define LOCK_UN 8

struct flock_k {
	int16_t type, whence;
	int64_t start, len;
	int32_t pid;
};

long lock_fcntl(struct file *f, long cmd, uint64_t arg)
{
	struct flock_k fl;

	if (copy_from_user(&fl, arg, sizeof(fl)))
		return -EFAULT;
	if (fl.type != F_RDLCK && fl.type != F_WRLCK && fl.type != F_UNLCK)
		return -EINVAL;
	if (fl.whence < SEEK_SET || fl.whence > SEEK_END)
		return -EINVAL;
	if (cmd == F_GETLK) { /* nobody else could hold a conflicting lock */
		fl.type = F_UNLCK;
		return copy_to_user(arg, &fl, sizeof(fl));
	}
	if ((fl.type == F_RDLCK && !file_readable(f)) || (fl.type == F_WRLCK && !file_writable(f)))
		return -EBADF;
	return 0;
}

/* flock holders: one entry per locked inode. */
struct flock_holder {
	struct inode *inode;
	struct file *exclusive; /* the file holding LOCK_EX, or NULL */
	struct file *shared[8]; /* files holding LOCK_SH */
	struct list_head node;
};

static struct list_head holders = LIST_HEAD_INIT(holders);

static struct flock_holder *holder_of(struct inode *ino, bool create)
{
	struct flock_holder *h;

	list_for_each_entry(h, &holders, node)
		if (h->inode == ino)
			return h;
	if (!create || !(h = kzalloc(sizeof(*h))))
		return NULL;
	h->inode = ino;
	list_add(&h->node, &holders);
	return h;
}

/* Drop `f`'s lock in `h`; true if it had one. */
static void unlock(struct flock_holder *h, struct file *f)
{
	if (h->exclusive == f)
		h->exclusive = NULL;
	for (unsigned i = 0; i < ARRAY_SIZE(h->shared); i++)
		if (h->shared[i] == f)
			h->shared[i] = NULL;
}

/* Whether `f` may take the lock `op` in `h` now. */
static bool may_lock(struct flock_holder *h, struct file *f, int op)
{
	if (h->exclusive && h->exclusive != f)
		return false;
	if (op == LOCK_EX)
		for (unsigned i = 0; i < ARRAY_SIZE(h->shared); i++)
			if (h->shared[i] && h->shared[i] != f)
				return false;
	return true;
}

struct lock_wait {
	struct flock_holder *h;
	struct file *f;
	int op;
};

static bool lock_free(void *arg)
{
	struct lock_wait *w = arg;
	return may_lock(w->h, w->f, w->op);
}

long sys_flock(long fd, long how)
{
	struct file *f = fd_hold(fd); /* LOCK_EX without LOCK_NB waits */
	int op = how & ~LOCK_NB;
	struct flock_holder *h;
	long r;

	if (!f)
		return -EBADF;
	if (op != LOCK_SH && op != LOCK_EX && op != LOCK_UN)
		return -EINVAL;
	h = holder_of(f->inode, op != LOCK_UN);
	if (!h)
		return op == LOCK_UN ? 0 : -ENOMEM;
	unlock(h, f); /* converting a lock drops the old one first, as Linux does */
	if (op == LOCK_UN) {
		sched_wake_all();
		return 0;
	}
	if (!may_lock(h, f, op)) {
		struct lock_wait w = { h, f, op };
		if (how & LOCK_NB)
			return -EWOULDBLOCK;
		if ((r = sched_wait(lock_free, &w, 0)))
			return r;
	}
	if (op == LOCK_EX) {
		h->exclusive = f;
		return 0;
	}
	for (unsigned i = 0; i < ARRAY_SIZE(h->shared); i++) {
		if (!h->shared[i]) {
			h->shared[i] = f;
			return 0;
		}
	}
	return -ENOLCK;
}

void lock_release(struct file *f)
{
	struct flock_holder *h = holder_of(f->inode, false);

	if (h) {
		unlock(h, f);
		sched_wake_all();
	}
}
