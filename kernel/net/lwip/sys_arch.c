/*
 * lwIP's operating-system layer in monos (NO_SYS=1, lwIP's doc/sys_arch.txt
 * and doc/NO_SYS_SampleCode.c describe the contract): the one lock lwIP runs
 * under, sys_now(), random numbers and memory for lwIP, the queue that
 * carries received frames from the device's interrupt into the stack, and
 * the tickless driving of lwIP's timeouts.  Besides the names lwIP asks
 * for (sys_now, sys_arch_*), it exports net_lock/net_unlock and the rest of
 * net.h's core: the lock is the contract, so it lives with lwIP's OS layer.
 *
 * One kernel timer (net_tick) does all deferred work.  It is armed
 * - for "now" when a frame arrives or a loopback packet waits (a softirq:
 *   the scheduler runs due timers from its idle loop and on every return to
 *   ring 3, never while a syscall is inside the kernel, so the lock is free);
 * - otherwise for the next lwIP timer that must run on time (timers.c), and
 *   not at all when none must, so an idle instance is not woken for nothing.
 */
#include "core/heap.h"
#include "core/kernel.h"
#include "core/random.h"
#include "core/sched.h"
#include "core/spinlock.h"
#include "core/time.h"
#include "net/lwip/net.h"

#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/sys.h"

#define NS_PER_MS   1000000ull
#define NET_RXQ_MAX 1024 /* frames waiting for the stack; more are dropped */

/* A received frame waiting for the stack; once it enters lwIP it is a
 * custom pbuf whose free function gives the whole block back. */
struct net_frame {
	struct pbuf_custom pc; /* first: lwIP frees through it */
	struct net_frame *next;
	uint16_t len;
	uint8_t data[];
};

static struct spinlock net_big_lock = SPINLOCK_INIT; /* lwIP's one lock */

/* Frames from the interrupt, oldest first.  Guarded by rxq_lock, which is
 * never held while calling out, so the interrupt never waits for lwIP. */
static struct spinlock rxq_lock = SPINLOCK_INIT;
static struct net_frame *rxq_head, **rxq_tail = &rxq_head;
static unsigned rxq_len, rxq_dropped;

static void net_tick_fn(struct ktimer *t);
static struct ktimer net_tick = { .fn = net_tick_fn };
static uint64_t net_ticks; /* runs of net_tick: frames and timers (statistics) */

/* ---- What lwIP asks of its platform (arch/cc.h, lwipopts.h) ---- */

/* sys_now - milliseconds on the monotonic clock (lwIP's timeouts).  It
 * wraps after 49 days; lwIP compares times modulo 2^32. */
uint32_t sys_now(void)
{
	return (uint32_t)(time_monotonic_ns() / NS_PER_MS);
}

uint32_t sys_arch_rand(void)
{
	uint32_t r;

	random_fill(&r, sizeof(r));
	return r;
}

/* calloc with its overflow check, for lwIP's mem_calloc. */
void *sys_arch_calloc(size_t n, size_t size)
{
	if (size && n > (size_t)-1 / size)
		return NULL;
	return kzalloc(n * size);
}

/* lwIP's err_t values (lwip/err.h) as Linux errno values. */
static const uint8_t net_errnos[] = {
	[-ERR_MEM] = ENOMEM,
	[-ERR_BUF] = ENOBUFS,
	[-ERR_TIMEOUT] = ETIMEDOUT,
	[-ERR_RTE] = EHOSTUNREACH,
	[-ERR_INPROGRESS] = EINPROGRESS,
	[-ERR_VAL] = EINVAL,
	[-ERR_WOULDBLOCK] = EAGAIN,
	[-ERR_USE] = EADDRINUSE,
	[-ERR_ALREADY] = EALREADY,
	[-ERR_ISCONN] = EISCONN,
	[-ERR_CONN] = ENOTCONN,
	[-ERR_IF] = EIO,
	[-ERR_ABRT] = ECONNABORTED,
	[-ERR_RST] = ECONNRESET,
	[-ERR_CLSD] = ENOTCONN,
	[-ERR_ARG] = EINVAL,
};

int net_errno(int lwip_err)
{
	if (lwip_err >= 0)
		return 0;
	if ((size_t)-lwip_err >= ARRAY_SIZE(net_errnos) || !net_errnos[-lwip_err])
		return -EIO;
	return -net_errnos[-lwip_err];
}

/* ---- The lock and the deferred work ---- */

uint64_t net_lock(void)
{
	uint64_t flags = spin_lock_irqsave(&net_big_lock);

	net_timers_catch_up(); /* aging an idle spell skipped, before anyone looks */
	return flags;
}

/* Whether an interface has looped-back packets waiting (sent to one of our
 * own addresses: lwIP queues them for netif_poll). */
static bool net_loop_pending(void)
{
#if LWIP_NETIF_LOOPBACK
	struct netif *n;

	NETIF_FOREACH(n)
	if (n->loop_first)
		return true;
#endif
	return false;
}

/* Arm net_tick for lwIP's next timeout, or for now if work is waiting.
 * Interrupts off (the lock held). */
static void net_rearm(void)
{
	uint64_t when;

	if (rxq_head || net_loop_pending())
		when = time_monotonic_ns();
	else if ((when = net_timers_next()) == UINT64_MAX)
		return ktimer_del(&net_tick);
	if (ktimer_pending(&net_tick) && net_tick.expires == when)
		return;
	net_tick.expires = when;
	ktimer_add(&net_tick);
}

uint64_t net_peek_lock(void)
{
	return spin_lock_irqsave(&net_big_lock);
}

void net_peek_unlock(uint64_t flags)
{
	spin_unlock_irqrestore(&net_big_lock, flags);
}

void net_unlock(uint64_t flags)
{
	net_rearm();
	spin_unlock_irqrestore(&net_big_lock, flags);
}

/* The pbuf_custom free function: the frame goes back to the heap. */
static void net_frame_free(struct pbuf *p)
{
	kfree((struct net_frame *)p);
}

void net_rx_frame(const void *frame, size_t len)
{
	struct net_frame *f;
	uint64_t flags;

	/* rxq_len is read unlocked: an SMP race only lets the bound slip. */
	if (rxq_len >= NET_RXQ_MAX || !(f = kmalloc(sizeof(*f) + len))) {
		if (!rxq_dropped++) /* as a full ring would: TCP retransmits */
			klog("monos: net: receive queue full, dropping frames\n");
		return;
	}
	memcpy(f->data, frame, len);
	f->len = (uint16_t)len;
	f->next = NULL;
	flags = spin_lock_irqsave(&rxq_lock);
	*rxq_tail = f;
	rxq_tail = &f->next;
	rxq_len++;
	spin_unlock_irqrestore(&rxq_lock, flags);
	/* The softirq: the stack takes the frame at the next safe point. */
	net_tick.expires = 0;
	ktimer_add(&net_tick);
}

/* Take the whole receive queue at once. */
static struct net_frame *net_rxq_take(void)
{
	uint64_t flags = spin_lock_irqsave(&rxq_lock);
	struct net_frame *f = rxq_head;

	rxq_head = NULL;
	rxq_tail = &rxq_head;
	rxq_len = 0;
	spin_unlock_irqrestore(&rxq_lock, flags);
	return f;
}

/* Feed queued frames to the default interface (the device's). */
static void net_rx_deliver(void)
{
	struct net_frame *f, *next;

	for (f = net_rxq_take(); f; f = next) {
		struct pbuf *p;

		next = f->next;
		net_timers_saw_frame(f->data, f->len, false);
		f->pc.custom_free_function = net_frame_free;
		p = pbuf_alloced_custom(PBUF_RAW, f->len, PBUF_REF, &f->pc, f->data, f->len);
		if (!p || !netif_default || netif_default->input(p, netif_default) != ERR_OK) {
			if (p)
				pbuf_free(p);
			else
				kfree(f);
		}
	}
}

void net_run_locked(void)
{
	net_timers_run(); /* first: input meets state aged up to now */
	net_rx_deliver();
#if LWIP_NETIF_LOOPBACK
	netif_poll_all(); /* packets to 127.0.0.1, ::1 and our own addresses */
#endif
}

static void net_tick_fn(struct ktimer *t)
{
	uint64_t flags = net_lock();

	net_ticks++;
	net_run_locked();
	net_unlock(flags);
}

int net_wait_boot(bool (*done)(void *arg), void *arg, uint64_t timeout_ns)
{
	uint64_t deadline = time_monotonic_ns() + timeout_ns;

	for (;;) {
		uint64_t flags = net_lock(), wake;
		bool ok;

		net_run_locked();
		ok = done(arg);
		net_unlock(flags);
		if (ok)
			return 0;
		if (time_monotonic_ns() >= deadline)
			return -ETIMEDOUT;
		/* The scheduler does not run timers yet: wake for the nearer
		 * of lwIP's next timeout and the deadline, or on a frame. */
		wake = ktimer_pending(&net_tick) && net_tick.expires < deadline ? net_tick.expires
										: deadline;
		time_arm_timer(wake);
		time_idle();
	}
}

void net_log_stats(void)
{
	uint64_t ms = time_monotonic_ns() / NS_PER_MS, w = time_wakeups();

	klog("monos: net: at exit after %lu ms: %lu wake-ups (%lu.%02lu/s), the stack ran %lu "
	     "times, %u frames dropped\n",
	     ms, w, ms ? w * 1000 / ms : 0, ms ? w * 100000 / ms % 100 : 0, net_ticks, rxq_dropped);
	net_timers_log();
}
