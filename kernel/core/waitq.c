/*
 * Wait queues: a list of the threads sleeping on one event, each entry on
 * its waiter's stack.  The waker holds the queue's lock while it wakes, and
 * a waiter takes the same lock to leave, so an entry (and its thread) is
 * alive for as long as a waker can see it.  Lock order: a queue's lock
 * before sched_lock.
 */
#include "core/waitq.h"
#include "core/sched.h"

struct waitq_entry {
	struct thread *thread;
	struct list_head node;
};

void waitq_init(struct waitq *wq)
{
	wq->lock = (struct spinlock)SPINLOCK_INIT;
	list_init(&wq->waiters);
}

/* Sleep on `wq` until `cond(arg)`: interruptible (sched_wait, with its
 * deadline and result) or not (0). */
static long wait_on(struct waitq *wq, bool interruptible, bool (*cond)(void *arg), void *arg,
		    uint64_t deadline_ns)
{
	struct waitq_entry e = { .thread = sched_current() };
	uint64_t flags = spin_lock_irqsave(&wq->lock);
	long r = 0;

	list_add_tail(&e.node, &wq->waiters);
	spin_unlock_irqrestore(&wq->lock, flags);
	/* On the queue before the first check: a wake-up from here on finds
	 * the thread, blocked or about to be (sched_wait's order). */
	if (interruptible)
		r = sched_wait(cond, arg, deadline_ns);
	else
		sched_wait_uninterruptible(cond, arg);
	flags = spin_lock_irqsave(&wq->lock);
	list_del(&e.node);
	spin_unlock_irqrestore(&wq->lock, flags);
	return r;
}

void waitq_wait_uninterruptible(struct waitq *wq, bool (*cond)(void *arg), void *arg)
{
	wait_on(wq, false, cond, arg, 0);
}

long waitq_wait(struct waitq *wq, bool (*cond)(void *arg), void *arg, uint64_t deadline_ns)
{
	return wait_on(wq, true, cond, arg, deadline_ns);
}

void waitq_wake(struct waitq *wq)
{
	uint64_t flags = spin_lock_irqsave(&wq->lock);
	struct waitq_entry *e;

	list_for_each_entry(e, &wq->waiters, node)
		sched_wake(e->thread);
	spin_unlock_irqrestore(&wq->lock, flags);
}
