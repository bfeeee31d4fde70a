/*
 * One set of pending signals, Linux's struct sigpending: the program has
 * one for the process and one per thread (linux/signal.c chooses which a
 * signal goes to, and which a thread takes from).
 *
 * A standard signal (1..31) is pending at most once: sending it again while
 * it is pending changes nothing.  A real-time signal (SIGRTMIN..SIGRTMAX)
 * queues: every sending is kept with its own siginfo and taken in the order
 * sent.  Every siginfo kept counts against RLIMIT_SIGPENDING, as Linux
 * counts its struct sigqueue (kernel/signal.c, __sigqueue_alloc and
 * __send_signal_locked): beyond the limit a real-time signal is refused
 * with EAGAIN, unless kill (SI_USER) sent it, and a standard signal from
 * sigqueue or tkill (si_code < 0) is kept without its info; a standard
 * signal from kill or the kernel (si_code >= 0) is never refused.
 *
 * Callers hold signal_lock (linux/signal.c), which guards every set and
 * sigpending_count.
 */
#include "core/heap.h"
#include "core/kernel.h"
#include "linux/signal.h"
#include "linux/syscall.h"
#include "linux/uapi.h"

/* Signals taken before any other, lowest first: those a fault raises, so a
 * handler sees the fault before anything that arrived meanwhile (Linux's
 * SYNCHRONOUS_MASK). */
#define SYNCHRONOUS_MASK                                                                           \
	(SIGBIT(SIGSEGV) | SIGBIT(SIGBUS) | SIGBIT(SIGILL) | SIGBIT(SIGTRAP) | SIGBIT(SIGFPE) |    \
	 SIGBIT(SIGSYS))
#define STANDARD_MASK (SIGBIT(SIGRTMIN) - 1)

/* A queued real-time signal. */
struct sigqueue_k {
	struct list_head node; /* in sigpending_k.queue, in the order sent */
	struct ksiginfo info;
};

/* Siginfos kept in every set: what RLIMIT_SIGPENDING bounds. */
static uint64_t sigpending_count;

/* Count one more siginfo unless that passes `limit` (`force`: count it
 * anyway).  false: not counted, the info is to be lost. */
static bool sigpending_charge(bool force, uint64_t limit)
{
	if (!force && sigpending_count + 1 > limit)
		return false;
	sigpending_count++;
	return true;
}

/* The info a signal carries when its own was lost: Linux's collect_signal
 * makes it look sent by kill from pid 0. */
static void sigpending_lost(struct ksiginfo *info, int sig)
{
	memset(info, 0, sizeof(*info));
	info->signo = sig;
	info->code = SI_USER;
}

int sigpending_add(struct sigpending_k *p, const struct ksiginfo *info, uint64_t limit)
{
	int sig = info->signo;
	struct sigqueue_k *q = NULL;

	if (sig < SIGRTMIN) {
		if (p->set & SIGBIT(sig))
			return SIGPENDING_MERGED;
		p->set |= SIGBIT(sig);
		if (sigpending_charge(info->code >= 0, limit)) {
			p->info[sig - 1] = *info;
			p->counted |= SIGBIT(sig);
		} else {
			sigpending_lost(&p->info[sig - 1], sig);
		}
		return 0;
	}
	if (sigpending_charge(false, limit) && !(q = kmalloc(sizeof(*q))))
		sigpending_count--;
	if (!q) {
		if (info->code != SI_USER)
			return -EAGAIN;
		p->set |= SIGBIT(sig); /* kill's signal arrives, without an info */
		return 0;
	}
	q->info = *info;
	list_add_tail(&q->node, &p->queue);
	p->set |= SIGBIT(sig);
	return 0;
}

int sigpending_next(const struct sigpending_k *p, uint64_t set)
{
	uint64_t ready = p->set & set;

	if (!ready)
		return 0;
	if (ready & SYNCHRONOUS_MASK)
		ready &= SYNCHRONOUS_MASK;
	return __builtin_ctzll(ready) + 1;
}

/* Unlink and free a queued entry, giving back its count. */
static void sigpending_drop(struct sigqueue_k *q)
{
	list_del(&q->node);
	kfree(q);
	sigpending_count--;
}

void sigpending_take(struct sigpending_k *p, int sig, struct ksiginfo *info)
{
	struct sigqueue_k *q, *first = NULL;
	bool more = false;

	if (sig < SIGRTMIN) {
		*info = p->info[sig - 1];
		p->set &= ~SIGBIT(sig);
		if (p->counted & SIGBIT(sig))
			sigpending_count--;
		p->counted &= ~SIGBIT(sig);
		return;
	}
	list_for_each_entry(q, &p->queue, node) {
		if (q->info.signo != sig)
			continue;
		if (first) {
			more = true; /* another stays queued: the signal stays pending */
			break;
		}
		first = q;
	}
	if (first) {
		*info = first->info;
		sigpending_drop(first);
	} else {
		sigpending_lost(info, sig);
	}
	if (!more)
		p->set &= ~SIGBIT(sig);
}

void sigpending_discard(struct sigpending_k *p, uint64_t mask, void (*gone)(struct ksiginfo *))
{
	struct sigqueue_k *q, *tmp;
	uint64_t std = p->set & mask & STANDARD_MASK;

	for (uint64_t b = std; b; b &= b - 1) {
		int sig = __builtin_ctzll(b) + 1;
		if (gone)
			gone(&p->info[sig - 1]);
		if (p->counted & SIGBIT(sig))
			sigpending_count--;
	}
	p->counted &= ~std;
	list_for_each_entry_safe(q, tmp, &p->queue, node) {
		if (!(mask & SIGBIT(q->info.signo)))
			continue;
		if (gone)
			gone(&q->info);
		sigpending_drop(q);
	}
	p->set &= ~mask;
}
