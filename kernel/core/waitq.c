/*
 * Wait queues: a list of the entries registered on one event -- threads
 * sleeping in waitq_wait (each entry on its waiter's stack), poll tables'
 * entries and epoll items'.  The waker holds the queue's lock while it
 * wakes, and an entry's owner takes the same lock to leave, so an entry
 * (and its thread) is alive for as long as a waker can see it.  Lock
 * order: waitq.h.
 */
#include "core/waitq.h"
#include "core/sched.h"

void waitq_init(struct waitq *wq)
{
	wq->lock = (struct spinlock)SPINLOCK_INIT;
	list_init(&wq->waiters);
}

void waitq_add(struct waitq *wq, struct waitq_entry *e)
{
	uint64_t flags = spin_lock_irqsave(&wq->lock);

	e->wq = wq;
	list_add_tail(&e->node, &wq->waiters);
	spin_unlock_irqrestore(&wq->lock, flags);
}

void waitq_remove(struct waitq_entry *e)
{
	struct waitq *wq = e->wq;
	uint64_t flags;

	if (!wq)
		return;
	flags = spin_lock_irqsave(&wq->lock);
	list_del(&e->node);
	e->wq = NULL;
	spin_unlock_irqrestore(&wq->lock, flags);
}

/* Sleep on `wq` until `cond(arg)`: interruptible (sched_wait, with its
 * deadline and result) or not (0). */
static long wait_on(struct waitq *wq, bool interruptible, bool (*cond)(void *arg), void *arg,
		    uint64_t deadline_ns)
{
	struct waitq_entry e = { .thread = sched_current() };
	long r = 0;

	waitq_add(wq, &e);
	/* On the queue before the first check: a wake-up from here on finds
	 * the thread, blocked or about to be (sched_wait's order). */
	if (interruptible)
		r = sched_wait(cond, arg, deadline_ns);
	else
		sched_wait_uninterruptible(cond, arg);
	waitq_remove(&e);
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

	list_for_each_entry(e, &wq->waiters, node) {
		if (e->func)
			e->func(e);
		else
			sched_wake(e->thread);
	}
	spin_unlock_irqrestore(&wq->lock, flags);
}
