/*
 * Wait queues (design.md contract 14): the threads waiting for one kind of
 * event, so that the event wakes them and no one else (sched_wake_all
 * makes every blocked thread of the instance re-check its condition).  A
 * waiter still sleeps through sched_wait's rules -- blocked before its
 * condition is checked, so no wake-up between the check and the sleep is
 * lost -- and re-checks its condition after each wake-up.
 *
 * First user: the block layer (drivers/blk.c), one queue per disk.
 */
#ifndef CORE_WAITQ_H
#define CORE_WAITQ_H

#include <stdbool.h>
#include <lib/list.h>
#include "core/spinlock.h"

struct waitq {
	struct spinlock lock;	  /* waiters */
	struct list_head waiters; /* struct waitq_entry.node */
};

/* waitq_init - an empty queue.  Any context, before its first use. */
void waitq_init(struct waitq *wq);

/*
 * waitq_wait_uninterruptible - sleep on `wq` until `cond(arg)` is true,
 * signals or not (sched_wait_uninterruptible).  The condition must come
 * true before a waitq_wake of `wq`.  Process context; no spinlock held.
 */
void waitq_wait_uninterruptible(struct waitq *wq, bool (*cond)(void *arg), void *arg);

/*
 * waitq_wait - the same, but a signal ends the wait: 0 once `cond(arg)`
 * is true, else sched_wait's -ERESTARTSYS.  Process context; no spinlock.
 */
long waitq_wait(struct waitq *wq, bool (*cond)(void *arg), void *arg);

/* waitq_wake - wake every thread sleeping on `wq` to re-check its
 * condition.  Any context (interrupt handlers too); not under sched_lock. */
void waitq_wake(struct waitq *wq);

#endif
