/*
 * Futexes (man 2 futex; Linux's kernel/futex/): wait and wake, requeue,
 * wake-op, the system call's dispatch, and the robust lists walked when a
 * thread ends.  The priority-inheritance operations are in futex_pi.c; what
 * the two share is in futex_internal.h.
 *
 * Keys (design.md contract 17): a futex in a shared mapping of a tmpfs file
 * (memfd, /dev/shm, System V shared memory) is keyed by (inode, offset), so
 * two mappings of one object meet on one futex; any other futex by its
 * address (one process, one address space).  FUTEX_PRIVATE_FLAG always
 * keys by address, as on Linux.
 *
 * Atomicity: the word is read and written with the user-copy helpers under
 * futex_lock; on one CPU with a non-preemptible kernel no thread of the
 * program runs between the two (with SMP they become a cmpxchg).
 */
#include "linux/futex.h"
#include "linux/futex_internal.h"
#include "linux/syscall.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/time.h"
#include "core/uaccess.h"
#include "core/vm.h"

struct spinlock futex_lock = SPINLOCK_INIT;
struct list_head futex_waiters = LIST_HEAD_INIT(futex_waiters);

struct futex_key futex_key_of(uint64_t uaddr, bool private)
{
	struct vma *v = private ? NULL : vm_find(uaddr);

	if (v && (v->flags & VMA_SHARED) && v->file)
		return (struct futex_key){ v->file, v->file_off + (uaddr - v->start) };
	return (struct futex_key){ NULL, uaddr };
}

bool futex_key_eq(struct futex_key a, struct futex_key b)
{
	return a.obj == b.obj && a.off == b.off;
}

int futex_get_word(uint64_t uaddr, uint32_t *val)
{
	return copy_from_user(val, uaddr, sizeof(*val)) ? -EFAULT : 0;
}

int futex_put_word(uint64_t uaddr, uint32_t val)
{
	return copy_to_user(uaddr, &val, sizeof(val)) ? -EFAULT : 0;
}

static bool was_woken(void *arg)
{
	return ((struct futex_waiter *)arg)->woken;
}

/* Mark `w` woken and take it off the queue.  Caller holds futex_lock and
 * calls sched_wake_all() after. */
void futex_wake_mark(struct futex_waiter *w)
{
	list_del(&w->node);
	w->woken = true;
}

/* Queue `w` (futex_lock held, given as `flags`), drop the lock and sleep
 * until woken, `deadline` or a signal; a waiter not woken leaves the queue.
 * Returns 0 (woken), -ETIMEDOUT or -ERESTARTSYS. */
long futex_queue_and_sleep(struct futex_waiter *w, uint64_t flags, uint64_t deadline)
{
	long r;

	list_add_tail(&w->node, &futex_waiters);
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
	struct futex_waiter w = { .key = futex_key_of(uaddr, private), .bitset = bitset };
	uint64_t flags = spin_lock_irqsave(&futex_lock);
	uint32_t cur;
	long r = futex_get_word(uaddr, &cur);

	if (!r && cur != val)
		r = -EAGAIN;
	if (r) {
		spin_unlock_irqrestore(&futex_lock, flags);
		return r;
	}
	return futex_queue_and_sleep(&w, flags, deadline);
}

/* Wake up to `n` (at least one, as Linux) waiters on `key` whose bitset
 * meets `bitset`; -EINVAL on meeting a PI waiter first.  Caller holds
 * futex_lock. */
static long wake_locked(struct futex_key key, long n, uint32_t bitset)
{
	struct futex_waiter *w, *tmp;
	long woken = 0;

	list_for_each_entry_safe(w, tmp, &futex_waiters, node) {
		if (!futex_key_eq(w->key, key))
			continue;
		if (w->pi || w->requeue_pi) {
			woken = -EINVAL;
			break;
		}
		if (!(w->bitset & bitset))
			continue;
		futex_wake_mark(w);
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
	if (woken > 0) /* the scheduler's wake is O(threads): not for nothing */
		sched_wake_all();
	return woken;
}

long futex_wake_one(uint64_t uaddr)
{
	return futex_wake(futex_key_of(uaddr, false), 1, FUTEX_BITSET_MATCH_ANY);
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
	struct futex_key k1 = futex_key_of(uaddr, private), k2 = futex_key_of(uaddr2, private);
	struct list_head moved = LIST_HEAD_INIT(moved);
	struct futex_waiter *w, *tmp;
	long count = 0, r = 0;
	uint64_t flags;
	uint32_t cur;
	int owner = 0;

	if (nwake < 0 || nreq < 0 || (uaddr2 & 3) || (pi && (nwake != 1 || futex_key_eq(k1, k2))))
		return -EINVAL;
	flags = spin_lock_irqsave(&futex_lock);
	if (cmp && !(r = futex_get_word(uaddr, &cur)) && cur != val3)
		r = -EAGAIN;
	if (!r && pi && (r = futex_pi_proxy_lock(k1, k2, uaddr2, nreq > 0, &owner)) == 1)
		count++, r = 0;
	list_for_each_entry_safe(w, tmp, &futex_waiters, node) {
		if (r || count - nwake >= nreq)
			break;
		if (!futex_key_eq(w->key, k1))
			continue;
		if (w->pi || pi != w->requeue_pi || (pi && !futex_key_eq(w->pi_key, k2))) {
			r = -EINVAL;
			break;
		}
		if (!pi && ++count <= nwake) {
			futex_wake_mark(w);
			continue;
		}
		count += pi;
		requeue_one(w, k2, pi, owner, &moved);
	}
	while (!list_empty(&moved)) { /* behind those already there, as Linux */
		w = list_first_entry(&moved, struct futex_waiter, node);
		list_del(&w->node);
		list_add_tail(&w->node, &futex_waiters);
	}
	spin_unlock_irqrestore(&futex_lock, flags);
	if (count > 0) /* some woken, or only moved: a moved one sleeps on */
		sched_wake_all();
	return r ?: count;
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
	hit = futex_get_word(uaddr2, &old);
	if (!hit && !wake_op_apply(op, old, (uint32_t)oparg, &val))
		hit = -ENOSYS;
	if (!hit && futex_put_word(uaddr2, val))
		hit = -EFAULT;
	/* As Linux: the operation is done before an unknown comparison fails. */
	if (!hit)
		hit = wake_op_cmp(cmp, (int32_t)old, cmparg);
	if (hit < 0) {
		spin_unlock_irqrestore(&futex_lock, flags);
		return hit;
	}
	woken = wake_locked(futex_key_of(uaddr, private), n, FUTEX_BITSET_MATCH_ANY);
	if (woken >= 0 && hit) {
		long w2 = wake_locked(futex_key_of(uaddr2, private), n2, FUTEX_BITSET_MATCH_ANY);
		woken = w2 < 0 ? w2 : woken + w2;
	}
	spin_unlock_irqrestore(&futex_lock, flags);
	if (woken > 0)
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

/* Whether `cmd` takes FUTEX_CLOCK_REALTIME (Linux's do_futex: not
 * FUTEX_WAIT, whose timeout is relative). */
static bool takes_clock(unsigned cmd)
{
	return cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_WAIT_REQUEUE_PI || cmd == FUTEX_LOCK_PI2;
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
		return futex_pi_wait_requeue(uaddr, private, val, deadline, val3, uaddr2);
	default: /* FUTEX_LOCK_PI, FUTEX_LOCK_PI2 */
		return futex_pi_lock(uaddr, private, deadline, false);
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
		return val3 ? futex_wake(futex_key_of(uaddr, private), (int)val, val3) : -EINVAL;
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
	case FUTEX_CMP_REQUEUE_PI:
		return futex_requeue(uaddr, private, (int)val, uaddr2, val2, cmd != FUTEX_REQUEUE,
				     val3, cmd == FUTEX_CMP_REQUEUE_PI);
	case FUTEX_WAKE_OP:
		return futex_wake_op(uaddr, private, (int)val, uaddr2, val2, val3);
	case FUTEX_TRYLOCK_PI:
		return futex_pi_lock(uaddr, private, 0, true);
	case FUTEX_UNLOCK_PI:
		return futex_pi_unlock(uaddr, private);
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

	if ((uaddr & 3) || futex_get_word(uaddr, &w))
		return;
	if (pending && !pi && !w) { /* died between unlocking and unlisting */
		futex_wake_one(uaddr);
		return;
	}
	if ((w & FUTEX_TID_MASK) != (uint32_t)t->tid)
		return;
	if (futex_put_word(uaddr, (w & FUTEX_WAITERS) | FUTEX_OWNER_DIED))
		return;
	/* A PI futex's waiters get it in futex_pi_exit(), as Linux's exit_pi_state_list. */
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

void futex_exit_thread(struct thread *t)
{
	robust_exit(t);
	futex_pi_exit(t);
}

long sys_set_robust_list(uint64_t head, size_t len)
{
	if (len != sizeof(struct robust_head))
		return -EINVAL;
	sched_current()->robust_list = head;
	sched_current()->robust_len = len;
	return 0;
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
