/*
 * Wait queues (design.md contract 14): the threads waiting for one kind of
 * event, so that the event wakes them and no one else (sched_wake_all
 * makes every blocked thread of the instance re-check its condition).  A
 * waiter still sleeps through sched_wait's rules -- blocked before its
 * condition is checked, so no wake-up between the check and the sleep is
 * lost -- and re-checks its condition after each wake-up.
 *
 * Users: the block layer (drivers/blk.c), one queue per disk; a process's
 * children ending (wait4, waitid) and a vfork child's exec or end
 * (linux/process.c); every socket (net/socket.h), pipe, eventfd and epoll
 * instance, whose queue fires whenever what its poll operation answers may
 * have changed (fs/vfs.h file_ops.waitq).
 *
 * Lock order (outermost first), for every waker:
 *   the object's own lock (net_lock, a pipe's lock...) -- a waker may hold
 *     it, and lwIP's callbacks wake with net_lock held --
 *   -> a queue's lock (waitq.lock)
 *   -> an epoll instance's ready-list lock (linux/epoll.c), taken by the
 *      callback of an epoll item's entry
 *   -> that epoll instance's own queue's lock (and so on up a chain of
 *      nested epolls, at most EP_MAX_NESTS deep and never a loop)
 *   -> sched_lock.
 * So a wake never sleeps, and may come from any context that holds none of
 * the later locks.
 */
#ifndef CORE_WAITQ_H
#define CORE_WAITQ_H

#include <stdbool.h>
#include <lib/list.h>
#include <stdint.h>
#include "core/spinlock.h"

struct thread;

struct waitq {
	struct spinlock lock;	  /* waiters */
	struct list_head waiters; /* struct waitq_entry.node */
};

/*
 * One registration on a queue: a sleeping thread (waitq_wait's, on its
 * stack), a poll table's entry (linux/sys_poll.c: one per watched file) or
 * an epoll item's.  `func`, when set, runs instead of waking `thread`: with
 * the queue's lock held and interrupts off, so it must not sleep, nor add
 * or remove entries of that queue.
 */
struct waitq_entry {
	struct thread *thread;		     /* woken when func is NULL */
	void (*func)(struct waitq_entry *e); /* or this is called */
	struct waitq *wq;		     /* the queue it is on, or NULL */
	struct list_head node;		     /* in wq->waiters; wq->lock */
};

/* waitq_init - an empty queue.  Any context, before its first use. */
void waitq_init(struct waitq *wq);

/*
 * waitq_add - put entry `e` (thread or func set by the caller) on `wq`;
 * waitq_remove - take it off its queue, if it is on one.  After
 * waitq_remove returns no waker sees `e` any more, so it may be freed.
 * Any context; not under wq->lock.
 */
void waitq_add(struct waitq *wq, struct waitq_entry *e);
void waitq_remove(struct waitq_entry *e);

/*
 * waitq_wait_uninterruptible - sleep on `wq` until `cond(arg)` is true,
 * signals or not (sched_wait_uninterruptible).  The condition must come
 * true before a waitq_wake of `wq`.  Process context; no spinlock held.
 */
void waitq_wait_uninterruptible(struct waitq *wq, bool (*cond)(void *arg), void *arg);

/*
 * waitq_wait - the same, interruptible: until `cond(arg)`, `deadline_ns`
 * (monotonic, 0: none) or a signal for the thread (sched_wait, whose result
 * it returns: 0, -ETIMEDOUT or -ERESTARTSYS).  Signals and the end of the
 * process wake every sleeper themselves.
 */
long waitq_wait(struct waitq *wq, bool (*cond)(void *arg), void *arg, uint64_t deadline_ns);

/* waitq_wake - wake every thread sleeping on `wq` to re-check its
 * condition, and run the callbacks of its other entries.  Any context
 * (interrupt handlers too) that holds none of the locks after a queue's in
 * the order above. */
void waitq_wake(struct waitq *wq);

#endif
