/*
 * Priority-inheritance futexes (man 2 futex, Linux's kernel/futex/pi.c and
 * requeue.c): FUTEX_LOCK_PI, LOCK_PI2, TRYLOCK_PI, UNLOCK_PI, the PI side of
 * FUTEX_CMP_REQUEUE_PI and FUTEX_WAIT_REQUEUE_PI, and the hand-off of the
 * PI futexes a thread owns when it ends.  One CPU and no thread priorities,
 * so the "inheritance" is nominal; what is Linux's is the protocol on the
 * 32-bit word: the owner's TID, FUTEX_WAITERS while someone sleeps in the
 * kernel, FUTEX_OWNER_DIED after a robust owner died, the hand-off to the
 * first waiter on FUTEX_UNLOCK_PI or at the owner's exit, and the errors
 * EDEADLK (also for a cycle of waiters), EPERM and ESRCH.  Linux's
 * kernel-side pi_state is the waiters' own entries: each records the owner
 * it waits on.
 */
#include "linux/futex_internal.h"
#include "linux/signal.h"
#include "core/kernel.h"
#include "core/sched.h"

/* Whether a PI waiter sleeps on `key`.  Caller holds futex_lock. */
static bool pi_waited(struct futex_key key)
{
	struct futex_waiter *w;

	list_for_each_entry(w, &futex_waiters, node)
		if (w->pi && futex_key_eq(w->key, key))
			return true;
	return false;
}

/* The PI waiter entry of thread `tid`, or NULL.  Caller holds futex_lock. */
static struct futex_waiter *pi_waiter_of(int tid)
{
	struct futex_waiter *w;

	list_for_each_entry(w, &futex_waiters, node)
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

	if (futex_get_word(uaddr, &w))
		return -EFAULT;
	o = (int)(w & FUTEX_TID_MASK);
	if (o == tid)
		return -EDEADLK;
	if (!o)
		return futex_put_word(uaddr, (w & FUTEX_OWNER_DIED) | (uint32_t)tid |
						     (set_waiters ? FUTEX_WAITERS : 0))
			       ?: 1;
	/* Linux sets the bit before it looks for the owner. */
	if (!(w & FUTEX_WAITERS) && futex_put_word(uaddr, w | FUTEX_WAITERS))
		return -EFAULT;
	if (!sched_find(o))
		return -ESRCH;
	*owner = o;
	return 0;
}

/* FUTEX_LOCK_PI, FUTEX_LOCK_PI2 and (`try`) FUTEX_TRYLOCK_PI. */
long futex_pi_lock(uint64_t uaddr, bool private, uint64_t deadline, bool try)
{
	struct futex_waiter w = { .key = futex_key_of(uaddr, private), .uaddr = uaddr, .pi = true };
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
	r = futex_queue_and_sleep(&w, flags, deadline);
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

	list_for_each_entry(w, &futex_waiters, node) {
		if (!w->pi || !futex_key_eq(w->key, key))
			continue;
		if (!next)
			next = w;
		else
			w->owner = next->tid;
	}
	if (!next)
		return false;
	futex_get_word(uaddr, &old);
	futex_put_word(uaddr, (old & keep) | FUTEX_WAITERS | (uint32_t)next->tid);
	futex_wake_mark(next);
	return true;
}

long futex_pi_unlock(uint64_t uaddr, bool private)
{
	struct futex_key key = futex_key_of(uaddr, private);
	uint64_t flags = spin_lock_irqsave(&futex_lock);
	bool handed = false;
	uint32_t w;
	long r = futex_get_word(uaddr, &w);

	if (!r && (w & FUTEX_TID_MASK) != (uint32_t)sched_current()->tid)
		r = -EPERM;
	/* Linux's wake_futex_pi writes FUTEX_WAITERS | new owner: OWNER_DIED
	 * goes, as does the word of a lock nobody waits for. */
	if (!r && !(handed = pi_hand_off(key, uaddr, 0)))
		r = futex_put_word(uaddr, 0);
	spin_unlock_irqrestore(&futex_lock, flags);
	if (handed)
		sched_wake_all();
	return r;
}

/* CMP_REQUEUE_PI's first step (Linux's futex_proxy_trylock_atomic): take
 * the PI futex for the first waiter on `k1` if it is free, with
 * FUTEX_WAITERS when others are to follow (`set_waiters`).  Returns 1 (taken
 * and woken), 0 (not taken; *owner is the PI futex's owner) or -errno.
 * Caller holds futex_lock. */
int futex_pi_proxy_lock(struct futex_key k1, struct futex_key k2, uint64_t uaddr2, bool set_waiters,
			int *owner)
{
	struct futex_waiter *w;
	int r;

	list_for_each_entry(w, &futex_waiters, node) {
		if (!futex_key_eq(w->key, k1))
			continue;
		if (!w->requeue_pi || !futex_key_eq(w->pi_key, k2))
			return -EINVAL;
		r = pi_try(uaddr2, w->tid, set_waiters, owner);
		if (r == 1) {
			*owner = w->tid;
			futex_wake_mark(w);
		}
		return r;
	}
	return 0;
}

/* FUTEX_WAIT_REQUEUE_PI: wait on `uaddr` until a FUTEX_CMP_REQUEUE_PI moves
 * this thread to PI futex `uaddr2` and it gets that lock (0). */
long futex_pi_wait_requeue(uint64_t uaddr, bool private, uint32_t val, uint64_t deadline,
			   uint32_t bitset, uint64_t uaddr2)
{
	struct futex_waiter w = { .key = futex_key_of(uaddr, private),
				  .bitset = bitset,
				  .requeue_pi = true,
				  .pi_key = futex_key_of(uaddr2, private),
				  .pi_uaddr = uaddr2 };
	uint64_t flags;
	uint32_t cur;
	long r;

	if (!bitset || (uaddr2 & 3) || futex_key_eq(w.key, w.pi_key))
		return -EINVAL;
	w.tid = sched_current()->tid;
	flags = spin_lock_irqsave(&futex_lock);
	if (!(r = futex_get_word(uaddr, &cur)) && cur != val)
		r = -EAGAIN;
	if (r) {
		spin_unlock_irqrestore(&futex_lock, flags);
		return r;
	}
	r = futex_queue_and_sleep(&w, flags, deadline);
	/* Linux: a signal before the requeue restarts the call; after it,
	 * the call fails with EAGAIN (a restart would find the word changed). */
	if (r == -ERESTARTSYS)
		r = w.pi ? -EAGAIN : -ERESTARTNOINTR;
	return r;
}

/* Hand each PI futex exiting thread `t` owns to its first waiter, keeping
 * FUTEX_OWNER_DIED (set by the robust walk) so that the new owner sees it. */
void futex_pi_exit(struct thread *t)
{
	uint64_t flags = spin_lock_irqsave(&futex_lock);
	struct futex_waiter *w;
	bool again = true;

	while (again) {
		again = false;
		list_for_each_entry(w, &futex_waiters, node) {
			if (w->pi && w->owner == t->tid) {
				again = pi_hand_off(w->key, w->uaddr, FUTEX_OWNER_DIED);
				break;
			}
		}
	}
	spin_unlock_irqrestore(&futex_lock, flags);
	sched_wake_all();
}
