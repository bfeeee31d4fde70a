/*
 * What futex.c and futex_pi.c share, and nobody else uses: the commands and
 * bits of the futex word, keys, the queue of waiters and its lock.
 */
#ifndef LINUX_FUTEX_INTERNAL_H
#define LINUX_FUTEX_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <lib/list.h>
#include "core/spinlock.h"

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

/* A thread sleeping on a futex; lives on its kernel stack while it sleeps.
 * Every field: futex_lock while it is queued. */
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

/* Guards futex_waiters, every queued futex_waiter, and the
 * read-modify-write of futex words. */
extern struct spinlock futex_lock;
extern struct list_head futex_waiters;

/* The key of the futex at `uaddr` (FUTEX_PRIVATE_FLAG: `private`). */
struct futex_key futex_key_of(uint64_t uaddr, bool private);
bool futex_key_eq(struct futex_key a, struct futex_key b);

/* Read or write the futex word at `uaddr`: 0 or -EFAULT. */
int futex_get_word(uint64_t uaddr, uint32_t *val);
int futex_put_word(uint64_t uaddr, uint32_t val);

/* Mark `w` woken and take it off the queue.  Caller holds futex_lock and
 * calls sched_wake_all() after. */
void futex_wake_mark(struct futex_waiter *w);

/* Queue `w` (futex_lock held, given as `flags`), drop the lock and sleep
 * until woken, `deadline` or a signal; a waiter not woken leaves the queue.
 * Returns 0 (woken), -ETIMEDOUT or -ERESTARTSYS. */
long futex_queue_and_sleep(struct futex_waiter *w, uint64_t flags, uint64_t deadline);

/* futex_pi.c: FUTEX_LOCK_PI, LOCK_PI2 and (`try`) TRYLOCK_PI; UNLOCK_PI;
 * WAIT_REQUEUE_PI.  Syscall context, futex_lock not held. */
long futex_pi_lock(uint64_t uaddr, bool private, uint64_t deadline, bool try);
long futex_pi_unlock(uint64_t uaddr, bool private);
long futex_pi_wait_requeue(uint64_t uaddr, bool private, uint32_t val, uint64_t deadline,
			   uint32_t bitset, uint64_t uaddr2);

/* futex_pi.c: CMP_REQUEUE_PI's first step (Linux's
 * futex_proxy_trylock_atomic): take the PI futex `uaddr2` (`k2`) for the
 * first waiter on `k1` if it is free, with FUTEX_WAITERS when others are to
 * follow (`set_waiters`).  Returns 1 (taken and woken), 0 (not taken;
 * *owner is the PI futex's owner) or -errno.  Caller holds futex_lock. */
int futex_pi_proxy_lock(struct futex_key k1, struct futex_key k2, uint64_t uaddr2, bool set_waiters,
			int *owner);

/* futex_pi.c: hand each PI futex exiting thread `t` owns to its first
 * waiter.  futex_lock not held. */
struct thread;
void futex_pi_exit(struct thread *t);

#endif
