/*
 * File locks (man 2 fcntl, man 2 flock; Linux's fs/locks.c).
 *
 * Record locks: byte ranges of an inode, read (shared) or write
 * (exclusive), each with an owner.  A POSIX lock (F_SETLK, F_SETLKW)
 * belongs to the descriptor table that set it, as Linux's fl_owner is the
 * files_struct: a fork's child has its own table and none of the parent's
 * locks, and closing *any* descriptor of the file drops every lock the
 * table holds on it (the close hook, lock_close).  An open-file-description
 * lock (F_OFD_*) belongs to the open file: inherited across fork, dropped
 * when its last reference goes (lock_release).  Locks of two owners
 * conflict when their ranges overlap and one is a write lock; an owner's
 * own locks never overlap (a new one replaces, splits or merges them).
 * F_SETLKW sleeps on one wait queue that every unlock wakes; a POSIX
 * waiter that would wait, through a chain of waiters, for itself gets
 * EDEADLK (Linux's posix_locks_deadlock, the same bound on the chain).
 *
 * flock locks are whole-file locks of the same kind, owned by the open
 * file, in a class of their own: they never meet record locks (as on
 * Linux), have no deadlock check, and a conversion drops the old lock
 * before it waits for the new one (flock(2): not atomic).
 * Everything here is guarded by the system-call rule (core/spinlock.h).
 */
#include "linux/syscall.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "core/waitq.h"
#include "fs/vfs.h"
#include "linux/process.h"
#include "linux/uapi.h"

#define F_RDLCK	   0
#define F_WRLCK	   1
#define F_UNLCK	   2
#define LOCK_SH	   1
#define LOCK_EX	   2
#define LOCK_NB	   4
#define LOCK_UN	   8
#define OFFSET_MAX INT64_MAX /* a lock to the end of the file ends here */
#define MAX_DEADLK 10	     /* fs/locks.c MAX_DEADLK_ITERATIONS */

/* struct flock (include/uapi/asm-generic/fcntl.h), x86-64 layout. */
struct flock_k {
	int16_t type, whence;
	int64_t start, len;
	int32_t pid;
};

/* A record lock held, or one asked for. */
struct plock {
	struct inode *ino;
	const void *owner;  /* POSIX: the struct fdtable; OFD, flock: the struct file */
	bool ofd, flock;    /* flock: a flock(2) lock, in a class of its own */
	int type;	    /* F_RDLCK, F_WRLCK (F_UNLCK: a request to unlock) */
	int pid;	    /* who set it, for F_GETLK (-1: an OFD lock) */
	int64_t start, end; /* bytes [start, end] */
	struct list_head node;
};

/* A POSIX owner asleep in F_SETLKW, for the deadlock check. */
struct lock_waiter {
	struct plock *want;
	struct list_head node;
};

static struct list_head plocks = LIST_HEAD_INIT(plocks);   /* struct plock.node */
static struct list_head waiters = LIST_HEAD_INIT(waiters); /* struct lock_waiter.node */
static struct waitq lock_wq = { .lock = SPINLOCK_INIT, .waiters = LIST_HEAD_INIT(lock_wq.waiters) };

static bool overlap(const struct plock *a, const struct plock *b)
{
	return a->start <= b->end && b->start <= a->end;
}

/* A lock of another owner that stands in the way of `req`, or NULL. */
static struct plock *conflict(const struct plock *req)
{
	struct plock *l;

	list_for_each_entry(l, &plocks, node)
		if (l->ino == req->ino && l->flock == req->flock && l->owner != req->owner &&
		    overlap(l, req) && (l->type == F_WRLCK || req->type == F_WRLCK))
			return l;
	return NULL;
}

static bool no_conflict(void *req)
{
	return !conflict(req);
}

/* Whether `req`, blocked by `held`, would wait for itself: the holder
 * waits for a lock whose holder waits ... for req's owner. */
static bool deadlock(const struct plock *req, const struct plock *held)
{
	for (int i = 0; i < MAX_DEADLK && !held->ofd && !held->flock; i++) {
		struct lock_waiter *w, *next = NULL;
		list_for_each_entry(w, &waiters, node)
			if (w->want->owner == held->owner)
				next = w;
		if (!next || !(held = conflict(next->want)))
			return false;
		if (held->owner == req->owner)
			return true;
	}
	return false;
}

/* Turn the program's flock into the range [start, end] of `out`. */
static int range_of(struct file *f, const struct flock_k *fl, struct plock *out)
{
	int64_t base = 0, start;

	if (fl->whence == SEEK_CUR)
		base = f->off;
	else if (fl->whence == SEEK_END)
		base = f->ops && f->ops->size ? f->ops->size(f) : f->inode->size;
	else if (fl->whence != SEEK_SET)
		return -EINVAL;
	if (__builtin_add_overflow(base, fl->start, &start))
		return -EOVERFLOW;
	if (fl->len > 0) {
		if (__builtin_add_overflow(start, fl->len - 1, &out->end))
			return -EOVERFLOW;
	} else if (fl->len < 0) {
		out->end = start - 1;
		start += fl->len;
	} else {
		out->end = OFFSET_MAX;
	}
	if (start < 0)
		return -EINVAL;
	out->start = start;
	return 0;
}

static void plock_del(struct plock *l)
{
	list_del(&l->node);
	kfree(l);
}

/* Whether `l` and [s, e] overlap or touch (same-type locks merge). */
static bool touches(const struct plock *l, int64_t s, int64_t e)
{
	return l->end >= s - 1 && (e == OFFSET_MAX || l->start <= e + 1);
}

/*
 * Make req's owner hold `req` on its range (F_UNLCK: nothing there): its
 * locks of the same type that touch the range merge into the new one, the
 * others are cut back, a lock around the range split in two.  `spare`
 * are two free locks (the split's second half, the new lock); what is not
 * used is freed.
 */
static void apply(const struct plock *req, struct plock *spare[2])
{
	int64_t s = req->start, e = req->end;
	struct plock *l, *tmp;
	unsigned used = 0;

	list_for_each_entry_safe(l, tmp, &plocks, node) {
		if (l->ino != req->ino || l->owner != req->owner || l->flock != req->flock)
			continue;
		if (req->type == l->type && touches(l, s, e)) {
			s = MIN(s, l->start);
			e = MAX(e, l->end);
			plock_del(l);
		} else if (!overlap(l, req)) {
			continue;
		} else if (l->start < req->start && l->end > req->end) {
			struct plock *right = spare[used++];
			*right = *l;
			right->start = req->end + 1;
			l->end = req->start - 1;
			list_add(&right->node, &l->node);
		} else if (l->start < req->start) {
			l->end = req->start - 1;
		} else if (l->end > req->end) {
			l->start = req->end + 1;
		} else {
			plock_del(l);
		}
	}
	if (req->type != F_UNLCK) {
		struct plock *n = spare[used++];
		*n = *req;
		n->start = s;
		n->end = e;
		list_add_tail(&n->node, &plocks);
	}
	while (used < 2)
		kfree(spare[used++]);
	waitq_wake(&lock_wq); /* a lock went, or changed type: waiters re-check */
}

/* Wait until `req` can be had: 0, -EAGAIN (`wait` false), -EDEADLK, or
 * -ERESTARTSYS for a signal. */
static long wait_for(struct plock *req, bool wait)
{
	struct lock_waiter w = { .want = req };
	struct plock *held;
	long r;

	while ((held = conflict(req))) {
		if (!wait)
			return -EAGAIN;
		if (!req->ofd && !req->flock && deadlock(req, held))
			return -EDEADLK;
		list_add_tail(&w.node, &waiters);
		r = waitq_wait(&lock_wq, no_conflict, req, 0);
		list_del(&w.node);
		if (r)
			return r;
	}
	return 0;
}

/* F_GETLK, F_OFD_GETLK: the first lock in the way, or F_UNLCK. */
static long get_lock(struct plock *req, struct flock_k *fl, uint64_t arg)
{
	struct plock *held;

	if (req->type == F_UNLCK)
		return -EINVAL;
	if ((held = conflict(req))) {
		fl->type = held->type;
		fl->whence = SEEK_SET;
		fl->start = held->start;
		fl->len = held->end == OFFSET_MAX ? 0 : held->end - held->start + 1;
		fl->pid = held->pid;
	} else {
		fl->type = F_UNLCK;
	}
	return copy_to_user(arg, fl, sizeof(*fl));
}

/* apply() with its two spare locks: 0 or -ENOLCK (out of memory).  A
 * flock unlock uses none (a whole-file lock is never split): it cannot
 * fail. */
static long apply_new(const struct plock *req)
{
	struct plock *spare[2];

	spare[0] = kmalloc(sizeof(struct plock));
	spare[1] = kmalloc(sizeof(struct plock));
	if ((!spare[0] || !spare[1]) && !(req->flock && req->type == F_UNLCK)) {
		kfree(spare[0]);
		kfree(spare[1]);
		return -ENOLCK;
	}
	apply(req, spare);
	return 0;
}

static long set_lock(struct file *f, struct plock *req, bool wait)
{
	long r;

	if ((req->type == F_RDLCK && !file_readable(f)) ||
	    (req->type == F_WRLCK && !file_writable(f)))
		return -EBADF;
	if (req->type != F_UNLCK && (r = wait_for(req, wait)))
		return r;
	return apply_new(req);
}

long lock_fcntl(int fd, struct file *f, long cmd, uint64_t arg)
{
	bool ofd = cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
	struct plock req = { .ino = f->inode, .ofd = ofd };
	struct flock_k fl;
	long r;

	if (copy_from_user(&fl, arg, sizeof(fl)))
		return -EFAULT;
	if (fl.type != F_RDLCK && fl.type != F_WRLCK && fl.type != F_UNLCK)
		return -EINVAL;
	if (ofd && fl.pid)
		return -EINVAL; /* l_pid must be 0 (fcntl(2)) */
	if ((r = range_of(f, &fl, &req)))
		return r;
	req.type = fl.type;
	req.owner = ofd ? (const void *)f : (const void *)sched_current()->files;
	req.pid = ofd ? -1 : process_current()->pid;
	if (cmd == F_GETLK || cmd == F_OFD_GETLK)
		return get_lock(&req, &fl, arg);
	r = set_lock(f, &req, cmd == F_SETLKW || cmd == F_OFD_SETLKW);
	if (!r && !ofd && req.type != F_UNLCK && fd_get(fd) != f) {
		/* Another thread closed the descriptor while this one waited:
		 * that close dropped the table's locks, so this one goes too
		 * (Linux's fcntl_setlk race check, and its EBADF). */
		req.type = F_UNLCK;
		apply_new(&req);
		r = -EBADF;
	}
	return r;
}

/* Drop every record lock of `owner` on `ino` (NULL: on any inode). */
static void drop_locks(const void *owner, const struct inode *ino)
{
	struct plock *l, *tmp;
	bool any = false;

	list_for_each_entry_safe(l, tmp, &plocks, node) {
		if (l->owner == owner && (!ino || l->ino == ino)) {
			plock_del(l);
			any = true;
		}
	}
	if (any)
		waitq_wake(&lock_wq);
}

void lock_close(struct fdtable *t, struct file *f)
{
	drop_locks(t, f->inode);
}

long sys_flock(long fd, long how)
{
	struct file *f = fd_hold(fd); /* LOCK_EX without LOCK_NB waits */
	int op = how & ~LOCK_NB;
	struct plock req = { .owner = f, .flock = true, .type = F_UNLCK, .pid = -1 };
	long r;

	if (!f)
		return -EBADF;
	if (op != LOCK_SH && op != LOCK_EX && op != LOCK_UN)
		return -EINVAL;
	req.ino = f->inode;
	req.end = OFFSET_MAX;
	/* A conversion drops the old lock first, as Linux does. */
	if ((r = apply_new(&req)) || op == LOCK_UN)
		return r;
	req.type = op == LOCK_EX ? F_WRLCK : F_RDLCK;
	if ((r = wait_for(&req, !(how & LOCK_NB))))
		return r; /* -EAGAIN is EWOULDBLOCK */
	return apply_new(&req);
}

void lock_release(struct file *f)
{
	drop_locks(f, NULL); /* its OFD and flock locks */
}
