/*
 * Futexes (man 2 futex; Linux's kernel/futex/): wait and wake, requeue,
 * wake-op, the priority-inheritance (PI) operations, and the robust lists
 * walked when a thread ends.
 *
 * Keys (design.md contract 17): a futex in a shared mapping of a tmpfs file
 * (memfd, /dev/shm, System V shared memory) is keyed by (inode, offset), so
 * two mappings of one object meet on one futex; any other futex by its
 * address (one process, one address space).  FUTEX_PRIVATE_FLAG always
 * keys by address, as on Linux.
 *
 * Priority inheritance: one CPU and no thread priorities, so the
 * "inheritance" is nominal; what is Linux's is the protocol on the 32-bit
 * word: the owner's TID, FUTEX_WAITERS while someone sleeps in the kernel,
 * FUTEX_OWNER_DIED after a robust owner died, the hand-off to the first
 * waiter on FUTEX_UNLOCK_PI or at the owner's exit, and the errors EDEADLK
 * (also for a cycle of waiters), EPERM and ESRCH.  Linux's kernel-side
 * pi_state is the waiters' own entries: each records the owner it waits on.
 *
 * Atomicity: the word is read and written with the user-copy helpers under
 * futex_lock; on one CPU with a non-preemptible kernel no thread of the
 * program runs between the two (with SMP they become a cmpxchg).
 */
#include "linux/futex.h"
#include "linux/syscall.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/spinlock.h"
#include "core/time.h"
#include "core/uaccess.h"
#include "core/vm.h"
#include "linux/signal.h"

/* include/uapi/linux/futex.h */
#define FUTEX_WAIT	       0
#define FUTEX_WAKE	       1
#define FUTEX_REQUEUE	       3
#define FUTEX_CMP_REQUEUE      4
#define FUTEX_WAKE_OP	       5
#define FUTEX_LOCK_PI	       6
#define FUTEX_UNLOCK_PI	       7
#define FUTEX_TRYLOCK_PI       8
#define FUTEX_WAIT_BITSET      9
#define FUTEX_WAKE_BITSET      10
#define FUTEX_WAIT_REQUEUE_PI  11
#define FUTEX_CMP_REQUEUE_PI   12
#define FUTEX_LOCK_PI2	       13
#define FUTEX_PRIVATE_FLAG     128
#define FUTEX_CLOCK_REALTIME   256
#define FUTEX_CMD_MASK	       (~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu
#define FUTEX_WAITERS	       0x80000000u
#define FUTEX_OWNER_DIED       0x40000000u
#define FUTEX_TID_MASK	       0x3fffffffu
#define FUTEX_OP_OPARG_SHIFT   8
#define ROBUST_LIST_LIMIT      2048 /* Linux's bound on a robust list walk */

struct futex_key {
	const void *obj; /* the tmpfs inode of a shared mapping, or NULL */
	uint64_t off;	 /* offset in it, or the user address */
};

/* A thread sleeping on a futex; lives on its kernel stack while it sleeps. */
struct futex_waiter {
	struct futex_key key; /* the futex slept on (changed by a requeue) */
	uint64_t uaddr;	      /* PI: the word's address, for the hand-off */
	uint32_t bitset;
	int tid;
	int owner;		 /* PI: the TID owning the futex waited on */
	bool pi;		 /* waits for a PI lock: woken means it owns it */
	bool requeue_pi;	 /* in FUTEX_WAIT_REQUEUE_PI, not yet requeued */
	struct futex_key pi_key; /* requeue_pi: the PI futex it may move to */
	uint64_t pi_uaddr;
	bool woken;
	struct list_head node; /* on `waiters` */
};

/* Guards `waiters`, every queued futex_waiter, and the read-modify-write
 * of futex words. */
static struct spinlock futex_lock = SPINLOCK_INIT;
static struct list_head waiters = LIST_HEAD_INIT(waiters);

static struct futex_key key_of(uint64_t uaddr, bool private)
{
	struct vma *v = private ? NULL : vm_find(uaddr);

	if (v && (v->flags & VMA_SHARED) && v->file)
		return (struct futex_key){ v->file, v->file_off + (uaddr - v->start) };
	return (struct futex_key){ NULL, uaddr };
}

static bool key_eq(struct futex_key a, struct futex_key b)
{
	return a.obj == b.obj && a.off == b.off;
}

static int get_word(uint64_t uaddr, uint32_t *val)
{
	return copy_from_user(val, uaddr, sizeof(*val)) ? -EFAULT : 0;
}

static int put_word(uint64_t uaddr, uint32_t val)
{
	return copy_to_user(uaddr, &val, sizeof(val)) ? -EFAULT : 0;
}

static bool was_woken(void *arg)
{
	return ((struct futex_waiter *)arg)->woken;
}

/* Mark `w` woken and take it off the queue.  Caller holds futex_lock and
 * calls sched_wake_all() after. */
static void wake_mark(struct futex_waiter *w)
{
	list_del(&w->node);
	w->woken = true;
}

/* Queue `w` (futex_lock held, given as `flags`), drop the lock and sleep
 * until woken, `deadline` or a signal; a waiter not woken leaves the queue.
 * Returns 0 (woken), -ETIMEDOUT or -ERESTARTSYS. */
static long queue_and_sleep(struct futex_waiter *w, uint64_t flags, uint64_t deadline)
{
	long r;

	list_add_tail(&w->node, &waiters);
	spin_unlock_irqrestore(&futex_lock, flags);
	r = sched_wait(was_woken, w, deadline);
	flags = spin_lock_irqsave(&futex_lock);
	if (w->woken)
		r = 0;
	else
		list_del(&w->node);
	spin_unlock_irqrestore(&futex_lock, flags);
	return r;
}

static long futex_wait(uint64_t uaddr, bool private, uint32_t val, uint64_t deadline,
		       uint32_t bitset)
{
	struct futex_waiter w = { .key = key_of(uaddr, private), .bitset = bitset };
	uint64_t flags = spin_lock_irqsave(&futex_lock);
	uint32_t cur;
	long r = get_word(uaddr, &cur);

	if (!r && cur != val)
		r = -EAGAIN;
	if (r) {
		spin_unlock_irqrestore(&futex_lock, flags);
		return r;
	}
	return queue_and_sleep(&w, flags, deadline);
}

/* Wake up to `n` (at least one, as Linux) waiters on `key` whose bitset
 * meets `bitset`; -EINVAL on meeting a PI waiter first.  Caller holds
 * futex_lock. */
static long wake_locked(struct futex_key key, long n, uint32_t bitset)
{
	struct futex_waiter *w, *tmp;
	long woken = 0;

	list_for_each_entry_safe(w, tmp, &waiters, node) {
		if (!key_eq(w->key, key))
			continue;
		if (w->pi || w->requeue_pi) {
			woken = -EINVAL;
			break;
		}
		if (!(w->bitset & bitset))
			continue;
		wake_mark(w);
		if (++woken >= n)
			break;
	}
	return woken;
}

static long futex_wake(struct futex_key key, long n, uint32_t bitset)
{
	uint64_t flags = spin_lock_irqsave(&futex_lock);
	long woken = wake_locked(key, n, bitset);

	spin_unlock_irqrestore(&futex_lock, flags);
	sched_wake_all();
	return woken;
}

long futex_wake_one(uint64_t uaddr)
{
	return futex_wake(key_of(uaddr, false), 1, FUTEX_BITSET_MATCH_ANY);
}

/* Whether a PI waiter sleeps on `key`.  Caller holds futex_lock. */
static bool pi_waited(struct futex_key key)
{
	struct futex_waiter *w;

	list_for_each_entry(w, &waiters, node)
		if (w->pi && key_eq(w->key, key))
			return true;
	return false;
}

/* The PI waiter entry of thread `tid`, or NULL.  Caller holds futex_lock. */
static struct futex_waiter *pi_waiter_of(int tid)
{
	struct futex_waiter *w;

	list_for_each_entry(w, &waiters, node)
		if (w->pi && w->tid == tid)
			return w;
	return NULL;
}

/* Whether `tid` waiting for `owner` would close a cycle of PI waiters
 * (Linux's rt_mutex chain walk gives EDEADLK).  Caller holds futex_lock. */
static bool pi_deadlock(int tid, int owner)
{
	struct futex_waiter *w;

	for (unsigned hops = 0; hops <= sched_thread_count(); hops++) {
		if (owner == tid)
			return true;
		if (!(w = pi_waiter_of(owner)))
			return false;
		owner = w->owner;
	}
	return false;
}

/*
 * Try to take PI futex `uaddr` for thread `tid` (Linux's
 * futex_lock_pi_atomic): 1 when taken (the word becomes `tid`, keeping
 * FUTEX_OWNER_DIED, plus FUTEX_WAITERS if `set_waiters`); 0 when another
 * live thread owns it (*owner set, FUTEX_WAITERS set in the word); or
 * -EDEADLK (already ours), -ESRCH (no such owner), -EFAULT.  Caller holds
 * futex_lock.
 */
static int pi_try(uint64_t uaddr, int tid, bool set_waiters, int *owner)
{
	uint32_t w;
	int o;

	if (get_word(uaddr, &w))
		return -EFAULT;
	o = (int)(w & FUTEX_TID_MASK);
	if (o == tid)
		return -EDEADLK;
	if (!o)
		return put_word(uaddr, (w & FUTEX_OWNER_DIED) | (uint32_t)tid |
					       (set_waiters ? FUTEX_WAITERS : 0))
			       ?: 1;
	/* Linux sets the bit before it looks for the owner. */
	if (!(w & FUTEX_WAITERS) && put_word(uaddr, w | FUTEX_WAITERS))
		return -EFAULT;
	if (!sched_find(o))
		return -ESRCH;
	*owner = o;
	return 0;
}

/* FUTEX_LOCK_PI, FUTEX_LOCK_PI2 and (`try`) FUTEX_TRYLOCK_PI. */
static long futex_lock_pi(uint64_t uaddr, bool private, uint64_t deadline, bool try)
{
	struct futex_waiter w = { .key = key_of(uaddr, private), .uaddr = uaddr, .pi = true };
	uint64_t flags = spin_lock_irqsave(&futex_lock);
	long r;

	w.tid = sched_current()->tid;
	w.bitset = FUTEX_BITSET_MATCH_ANY;
	r = pi_try(uaddr, w.tid, pi_waited(w.key), &w.owner);
	if (!r && try)
		r = -EAGAIN;
	if (!r && pi_deadlock(w.tid, w.owner))
		r = -EDEADLK;
	if (r) {
		spin_unlock_irqrestore(&futex_lock, flags);
		return r == 1 ? 0 : r;
	}
	r = queue_and_sleep(&w, flags, deadline);
	/* Linux never fails a PI lock with EINTR: it restarts. */
	return r == -ERESTARTSYS ? -ERESTARTNOINTR : r;
}

/* Give PI futex `key` (word at `uaddr`) to its first waiter: the word
 * becomes its TID with FUTEX_WAITERS (and `keep` bits of the old word), the
 * other waiters now wait on it.  Returns false when nobody waits.  Caller
 * holds futex_lock, and calls sched_wake_all() after. */
static bool pi_hand_off(struct futex_key key, uint64_t uaddr, uint32_t keep)
{
	struct futex_waiter *w, *next = NULL;
	uint32_t old = 0;

	list_for_each_entry(w, &waiters, node) {
		if (!w->pi || !key_eq(w->key, key))
			continue;
		if (!next)
			next = w;
		else
			w->owner = next->tid;
	}
	if (!next)
		return false;
	get_word(uaddr, &old);
	put_word(uaddr, (old & keep) | FUTEX_WAITERS | (uint32_t)next->tid);
	wake_mark(next);
	return true;
}

static long futex_unlock_pi(uint64_t uaddr, bool private)
{
	struct futex_key key = key_of(uaddr, private);
	uint64_t flags = spin_lock_irqsave(&futex_lock);
	uint32_t w;
	long r = get_word(uaddr, &w);

	if (!r && (w & FUTEX_TID_MASK) != (uint32_t)sched_current()->tid)
		r = -EPERM;
	/* Linux's wake_futex_pi writes FUTEX_WAITERS | new owner: OWNER_DIED
	 * goes, as does the word of a lock nobody waits for. */
	if (!r && !pi_hand_off(key, uaddr, 0))
		r = put_word(uaddr, 0);
	spin_unlock_irqrestore(&futex_lock, flags);
	sched_wake_all();
	return r;
}

/* CMP_REQUEUE_PI's first step (Linux's futex_proxy_trylock_atomic): take
 * the PI futex for the first waiter on `k1` if it is free, with
 * FUTEX_WAITERS when others are to follow (`set_waiters`).  Returns 1 (taken
 * and woken), 0 (not taken; *owner is the PI futex's owner) or -errno.
 * Caller holds futex_lock. */
static int proxy_lock(struct futex_key k1, struct futex_key k2, uint64_t uaddr2, bool set_waiters,
		      int *owner)
{
	struct futex_waiter *w;
	int r;

	list_for_each_entry(w, &waiters, node) {
		if (!key_eq(w->key, k1))
			continue;
		if (!w->requeue_pi || !key_eq(w->pi_key, k2))
			return -EINVAL;
		r = pi_try(uaddr2, w->tid, set_waiters, owner);
		if (r == 1) {
			*owner = w->tid;
			wake_mark(w);
		}
		return r;
	}
	return 0;
}

/* Move waiter `w` of a requeue onto `k2` (for a PI futex: as a waiter for
 * `owner`), onto the list `moved`. */
static void requeue_one(struct futex_waiter *w, struct futex_key k2, bool pi, int owner,
			struct list_head *moved)
{
	w->key = k2;
	if (pi) {
		w->requeue_pi = false;
		w->pi = true;
		w->uaddr = w->pi_uaddr;
		w->owner = owner;
	}
	list_del(&w->node);
	list_add_tail(&w->node, moved);
}

/*
 * FUTEX_REQUEUE, FUTEX_CMP_REQUEUE (`cmp`) and FUTEX_CMP_REQUEUE_PI (`pi`):
 * wake `nwake` waiters on `uaddr` and move up to `nreq` others to `uaddr2`
 * (Linux's futex_requeue, counting the same way).  Returns woken + moved.
 */
static long futex_requeue(uint64_t uaddr, bool private, long nwake, uint64_t uaddr2, long nreq,
			  bool cmp, uint32_t val3, bool pi)
{
	struct futex_key k1 = key_of(uaddr, private), k2 = key_of(uaddr2, private);
	struct list_head moved = LIST_HEAD_INIT(moved);
	struct futex_waiter *w, *tmp;
	long count = 0, r = 0;
	uint64_t flags;
	uint32_t cur;
	int owner = 0;

	if (nwake < 0 || nreq < 0 || (uaddr2 & 3) || (pi && (nwake != 1 || key_eq(k1, k2))))
		return -EINVAL;
	flags = spin_lock_irqsave(&futex_lock);
	if (cmp && !(r = get_word(uaddr, &cur)) && cur != val3)
		r = -EAGAIN;
	if (!r && pi && (r = proxy_lock(k1, k2, uaddr2, nreq > 0, &owner)) == 1)
		count++, r = 0;
	list_for_each_entry_safe(w, tmp, &waiters, node) {
		if (r || count - nwake >= nreq)
			break;
		if (!key_eq(w->key, k1))
			continue;
		if (w->pi || pi != w->requeue_pi || (pi && !key_eq(w->pi_key, k2))) {
			r = -EINVAL;
			break;
		}
		if (!pi && ++count <= nwake) {
			wake_mark(w);
			continue;
		}
		count += pi;
		requeue_one(w, k2, pi, owner, &moved);
	}
	while (!list_empty(&moved)) { /* behind those already there, as Linux */
		w = list_first_entry(&moved, struct futex_waiter, node);
		list_del(&w->node);
		list_add_tail(&w->node, &waiters);
	}
	spin_unlock_irqrestore(&futex_lock, flags);
	sched_wake_all();
	return r ?: count;
}

/* FUTEX_WAIT_REQUEUE_PI: wait on `uaddr` until a FUTEX_CMP_REQUEUE_PI moves
 * this thread to PI futex `uaddr2` and it gets that lock (0). */
static long futex_wait_requeue_pi(uint64_t uaddr, bool private, uint32_t val, uint64_t deadline,
				  uint32_t bitset, uint64_t uaddr2)
{
	struct futex_waiter w = { .key = key_of(uaddr, private),
				  .bitset = bitset,
				  .requeue_pi = true,
				  .pi_key = key_of(uaddr2, private),
				  .pi_uaddr = uaddr2 };
	uint64_t flags;
	uint32_t cur;
	long r;

	if (!bitset || (uaddr2 & 3) || key_eq(w.key, w.pi_key))
		return -EINVAL;
	w.tid = sched_current()->tid;
	flags = spin_lock_irqsave(&futex_lock);
	if (!(r = get_word(uaddr, &cur)) && cur != val)
		r = -EAGAIN;
	if (r) {
		spin_unlock_irqrestore(&futex_lock, flags);
		return r;
	}
	r = queue_and_sleep(&w, flags, deadline);
	/* Linux: a signal before the requeue restarts the call; after it,
	 * the call fails with EAGAIN (a restart would find the word changed). */
	if (r == -ERESTARTSYS)
		r = w.pi ? -EAGAIN : -ERESTARTNOINTR;
	return r;
}

/* FUTEX_WAKE_OP's operation on `old` (FUTEX_OP_SET, ADD, OR, ANDN, XOR),
 * or false for an unknown one. */
static bool wake_op_apply(unsigned op, uint32_t old, uint32_t oparg, uint32_t *val)
{
	switch (op) {
	case 0:
		*val = oparg;
		return true;
	case 1:
		*val = old + oparg; /* unsigned: wraps as the CPU's add does */
		return true;
	case 2:
		*val = old | oparg;
		return true;
	case 3:
		*val = old & ~oparg;
		return true;
	case 4:
		*val = old ^ oparg;
		return true;
	}
	return false;
}

/* FUTEX_WAKE_OP's comparison of the old value with `cmparg` (FUTEX_OP_CMP_EQ,
 * NE, LT, LE, GT, GE, signed), or -ENOSYS for an unknown one. */
static int wake_op_cmp(unsigned cmp, int32_t old, int32_t cmparg)
{
	switch (cmp) {
	case 0:
		return old == cmparg;
	case 1:
		return old != cmparg;
	case 2:
		return old < cmparg;
	case 3:
		return old <= cmparg;
	case 4:
		return old > cmparg;
	case 5:
		return old >= cmparg;
	}
	return -ENOSYS;
}

/* FUTEX_WAKE_OP: encoded as in include/uapi/linux/futex.h FUTEX_OP(). */
static long futex_wake_op(uint64_t uaddr, bool private, long n, uint64_t uaddr2, long n2,
			  uint32_t encoded)
{
	unsigned op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
	int32_t oparg = ((int32_t)(encoded << 8)) >> 20, cmparg = ((int32_t)(encoded << 20)) >> 20;
	uint32_t old, val;
	uint64_t flags;
	long hit, woken;

	/* Linux takes an out-of-range shift modulo 32 (and logs it); 1u keeps
	 * a shift by 31 defined. */
	if (encoded & (FUTEX_OP_OPARG_SHIFT << 28))
		oparg = (int32_t)(1u << (oparg & 31));
	if (uaddr2 & 3)
		return -EINVAL;
	flags = spin_lock_irqsave(&futex_lock);
	hit = get_word(uaddr2, &old);
	if (!hit && !wake_op_apply(op, old, (uint32_t)oparg, &val))
		hit = -ENOSYS;
	if (!hit && put_word(uaddr2, val))
		hit = -EFAULT;
	/* As Linux: the operation is done before an unknown comparison fails. */
	if (!hit)
		hit = wake_op_cmp(cmp, (int32_t)old, cmparg);
	if (hit < 0) {
		spin_unlock_irqrestore(&futex_lock, flags);
		return hit;
	}
	woken = wake_locked(key_of(uaddr, private), n, FUTEX_BITSET_MATCH_ANY);
	if (woken >= 0 && hit) {
		long w2 = wake_locked(key_of(uaddr2, private), n2, FUTEX_BITSET_MATCH_ANY);
		woken = w2 < 0 ? w2 : woken + w2;
	}
	spin_unlock_irqrestore(&futex_lock, flags);
	sched_wake_all();
	return woken;
}

/* The monotonic deadline of a futex timeout (0: none), or a negative errno:
 * relative for FUTEX_WAIT, else absolute on CLOCK_REALTIME (`realtime`) or
 * CLOCK_MONOTONIC. */
static long futex_deadline(bool relative, bool realtime, uint64_t uts, uint64_t *deadline)
{
	uint64_t ns, now;
	long r;

	*deadline = 0;
	if (!uts)
		return 0;
	if ((r = time_ts_in(uts, &ns)))
		return r;
	now = time_monotonic_ns();
	if (relative) {
		*deadline = now + ns;
	} else {
		uint64_t clock_now = realtime ? time_realtime_ns() : now;
		*deadline = ns <= clock_now ? 1 : now + (ns - clock_now);
	}
	if (!*deadline)
		*deadline = 1;
	return 0;
}

/* Whether `cmd` takes FUTEX_CLOCK_REALTIME (Linux's do_futex). */
static bool takes_clock(unsigned cmd)
{
	return cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_WAIT_REQUEUE_PI ||
	       cmd == FUTEX_LOCK_PI2;
}

/* The commands that sleep with a timeout. */
static long futex_timed(uint64_t uaddr, unsigned cmd, bool private, bool rt, uint32_t val,
			uint64_t utime, uint64_t uaddr2, uint32_t val3)
{
	uint64_t deadline;
	/* FUTEX_LOCK_PI's timeout is on CLOCK_REALTIME, whatever the flag. */
	long r = futex_deadline(cmd == FUTEX_WAIT, rt || cmd == FUTEX_LOCK_PI, utime, &deadline);

	if (r)
		return r;
	switch (cmd) {
	case FUTEX_WAIT:
		val3 = FUTEX_BITSET_MATCH_ANY;
		/* fall through */
	case FUTEX_WAIT_BITSET:
		return val3 ? futex_wait(uaddr, private, val, deadline, val3) : -EINVAL;
	case FUTEX_WAIT_REQUEUE_PI:
		return futex_wait_requeue_pi(uaddr, private, val, deadline, val3, uaddr2);
	default: /* FUTEX_LOCK_PI, FUTEX_LOCK_PI2 */
		return futex_lock_pi(uaddr, private, deadline, false);
	}
}

long sys_futex(uint64_t uaddr, long op, uint32_t val, uint64_t utime, uint64_t uaddr2,
	       uint32_t val3)
{
	unsigned cmd = op & FUTEX_CMD_MASK;
	bool private = op & FUTEX_PRIVATE_FLAG, rt = op & FUTEX_CLOCK_REALTIME;
	/* The requeue and wake-op commands carry a count in the timeout. */
	long val2 = (long)(int)utime;

	if (uaddr & 3)
		return -EINVAL;
	if (rt && !takes_clock(cmd))
		return -ENOSYS;
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
	case FUTEX_WAIT_REQUEUE_PI:
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
		return futex_timed(uaddr, cmd, private, rt, val, utime, uaddr2, val3);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		if (cmd == FUTEX_WAKE)
			val3 = FUTEX_BITSET_MATCH_ANY;
		return val3 ? futex_wake(key_of(uaddr, private), (int)val, val3) : -EINVAL;
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
	case FUTEX_CMP_REQUEUE_PI:
		return futex_requeue(uaddr, private, (int)val, uaddr2, val2, cmd != FUTEX_REQUEUE,
				     val3, cmd == FUTEX_CMP_REQUEUE_PI);
	case FUTEX_WAKE_OP:
		return futex_wake_op(uaddr, private, (int)val, uaddr2, val2, val3);
	case FUTEX_TRYLOCK_PI:
		return futex_lock_pi(uaddr, private, 0, true);
	case FUTEX_UNLOCK_PI:
		return futex_unlock_pi(uaddr, private);
	default:
		return -ENOSYS; /* FUTEX_FD (gone since Linux 2.6.26) */
	}
}

/* struct robust_list_head (include/uapi/linux/futex.h): list entries point
 * at each other; bit 0 of an entry marks a PI futex. */
struct robust_head {
	uint64_t list;
	int64_t futex_offset;
	uint64_t pending;
};

/* Linux's handle_futex_death for the futex of robust entry `entry`. */
static void robust_death(struct thread *t, uint64_t entry, int64_t off, bool pending)
{
	uint64_t uaddr = (entry & ~1ul) + off;
	bool pi = entry & 1;
	uint32_t w;

	if ((uaddr & 3) || get_word(uaddr, &w))
		return;
	if (pending && !pi && !w) { /* died between unlocking and unlisting */
		futex_wake_one(uaddr);
		return;
	}
	if ((w & FUTEX_TID_MASK) != (uint32_t)t->tid)
		return;
	if (put_word(uaddr, (w & FUTEX_WAITERS) | FUTEX_OWNER_DIED))
		return;
	/* A PI futex's waiters get it in pi_exit(), as Linux's exit_pi_state_list. */
	if (!pi && (w & FUTEX_WAITERS))
		futex_wake_one(uaddr);
}

static void robust_exit(struct thread *t)
{
	struct robust_head head;
	uint64_t entry, next;

	if (!t->robust_list || copy_from_user(&head, t->robust_list, sizeof(head)))
		return;
	entry = head.list;
	for (int i = 0; (entry & ~1ul) != t->robust_list && i < ROBUST_LIST_LIMIT; i++) {
		/* The next entry is read first: the futex's owner-died wake may
		 * let another thread free this one. */
		bool fault = copy_from_user(&next, entry & ~1ul, sizeof(next));
		if (entry != head.pending)
			robust_death(t, entry, head.futex_offset, false);
		if (fault)
			return;
		entry = next;
	}
	if (head.pending)
		robust_death(t, head.pending, head.futex_offset, true);
}

/* Hand each PI futex exiting thread `t` owns to its first waiter, keeping
 * FUTEX_OWNER_DIED (set by the robust walk) so that the new owner sees it. */
static void pi_exit(struct thread *t)
{
	uint64_t flags = spin_lock_irqsave(&futex_lock);
	struct futex_waiter *w;
	bool again = true;

	while (again) {
		again = false;
		list_for_each_entry(w, &waiters, node) {
			if (w->pi && w->owner == t->tid) {
				again = pi_hand_off(w->key, w->uaddr, FUTEX_OWNER_DIED);
				break;
			}
		}
	}
	spin_unlock_irqrestore(&futex_lock, flags);
	sched_wake_all();
}

void futex_exit_thread(struct thread *t)
{
	robust_exit(t);
	pi_exit(t);
}

long sys_get_robust_list(long tid, uint64_t uhead, uint64_t ulen)
{
	struct thread *t = tid ? sched_find((int)tid) : sched_current();
	uint64_t len = sizeof(struct robust_head);

	if (!t)
		return -ESRCH;
	if (copy_to_user(ulen, &len, sizeof(len)) ||
	    copy_to_user(uhead, &t->robust_list, sizeof(t->robust_list)))
		return -EFAULT;
	return 0;
}
