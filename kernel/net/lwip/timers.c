/*
 * lwIP's cyclic timers, run on demand (LWIP_TIMERS_CUSTOM): an idle
 * instance is not woken up by the network stack (issue 3, design.md 6).
 *
 * lwIP's own scheme runs every cyclic timer forever: ARP, IPv4 and IPv6
 * reassembly and ND6 once a second, DHCP's twice a second, so an instance
 * blocked in accept() woke about twice a second.  Here each timer says,
 * from the stack's state, whether it must run on time now:
 *
 *   tcp (250 ms)       while a connection is open or in TIME_WAIT (lwIP's
 *                      own rule: a listening socket needs no timer)
 *   etharp (1 s)       for ARP_BUSY_TICKS after we sent an ARP request: a
 *                      pending entry retries and expires by the tick
 *   ip_reass (1 s),    for the reassembly lifetime after a fragment came in
 *   ip6_reass (1 s)
 *   nd6 (1 s)          while an address is tentative (DAD), router
 *                      solicitations remain to send, or a neighbour is
 *                      being resolved or probed (INCOMPLETE, DELAY, PROBE)
 *   dhcp_fine (500 ms) while a DHCP exchange is under way (not BOUND, OFF)
 *   dhcp_coarse (60 s) exactly when the lease's next event (renew, rebind,
 *                      expiry) falls due: one wake-up per event, not per tick
 *
 * The rest of what these timers do is aging: ARP entries expire after
 * ARP_MAXAGE ticks, ND6 neighbours go STALE, prefix, router and address
 * lifetimes run down.  lwIP counts such ages in ticks, so instead of waking
 * up to count, an aging timer is "lazy": it keeps its period on the clock
 * without arming the CPU's timer, and when the stack next runs (a frame, a
 * due timer, or any socket call, through net_lock) it is called once for
 * every period missed, before anything else looks at the state.  The
 * trade-off: a catch-up is bounded (catchup_max), so after a very long
 * silence, ages advance by at most ARP_MAXAGE ticks (every ARP entry is
 * then gone, as it would be) and ND6 by ND6_CATCHUP_MAX ticks (an hour;
 * IPv6 routers re-advertise far more often, RFC 4861 6.2.1 allows at most
 * 1800 s), and a lazily aged state changes a little later than lwIP would
 * change it (at the next event rather than on the second), never earlier.
 * Timers with no state of their own (tcp, dhcp_fine, the reassembly ones)
 * simply restart their period when they are next needed.
 */
#include "core/kernel.h"
#include "core/time.h"
#include "net/lwip/net.h"

#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/ip4_frag.h"
#include "lwip/ip6_frag.h"
#include "lwip/nd6.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/nd6_priv.h" /* neighbor_cache: whom ND6 is resolving */
#include "lwip/priv/tcp_priv.h" /* tcp_tmr, tcp_active_pcbs, tcp_tw_pcbs */
#include "lwip/prot/dhcp.h"
#include "lwip/timeouts.h"

/* The table below lists exactly these timers: a timer lwIP would add for
 * another option must join it. */
#if !(LWIP_TCP && IP_REASSEMBLY && LWIP_ARP && LWIP_DHCP && LWIP_IPV6 && LWIP_IPV6_REASS)
#error "timers.c expects TCP, IPv4 reassembly, ARP, DHCP, IPv6 and its reassembly"
#endif
#if LWIP_IGMP || LWIP_AUTOIP || LWIP_DNS || LWIP_IPV6_MLD || LWIP_IPV6_DHCP6
#error "an lwIP timer is missing from timers.c's table"
#endif

#define NS_PER_MS	  1000000ull
#define ETH_TYPE_OFF	  12 /* Ethernet II: destination, source, type */
#define ETH_HLEN	  14
#define ETH_TYPE_IPV4	  0x0800
#define ETH_TYPE_ARP	  0x0806
#define ETH_TYPE_IPV6	  0x86dd
#define ARP_OP_OFF	  (ETH_HLEN + 6) /* RFC 826: opcode after the lengths */
#define ARP_OP_REQUEST	  1
#define IP4_FRAG_OFF	  (ETH_HLEN + 6) /* flags and fragment offset (RFC 791) */
#define IP4_MF_AND_OFFSET 0x3fff
#define IP6_NEXT_OFF	  (ETH_HLEN + 6) /* next header (RFC 8200) */
#define IP6_NEXT_FRAGMENT 44
/* etharp.c's ARP_MAXPENDING, private there: the ticks a pending entry lives */
#define ARP_MAXPENDING_TICKS 5
#define ARP_BUSY_TICKS	     (ARP_MAXPENDING_TICKS + 2) /* a pending entry's whole life */
#define IP4_REASS_BUSY_TICKS (IP_REASS_MAXAGE + 2)
#define IP6_REASS_BUSY_TICKS (IPV6_REASS_MAXAGE + 2)
#define ND6_CATCHUP_MAX	     3600

struct net_timer {
	const char *name;
	uint32_t interval_ms;
	void (*handler)(void);
	/* 0: need not wake the CPU (idle or lazy); N: must run within N
	 * periods from its due time. */
	uint32_t (*wake_in)(const struct net_timer *t, uint64_t now);
	uint32_t catchup_max; /* 0: no state to age, restart when needed */
	uint64_t due;	      /* monotonic ns of its next run */
	uint64_t busy_until;  /* frames seen keep it on time until then */
	bool active;	      /* wake_in was nonzero when last asked */
	uint64_t runs;	      /* statistics */
};

static uint32_t wake_tcp(const struct net_timer *t, uint64_t now);
static uint32_t wake_while_busy(const struct net_timer *t, uint64_t now);
static uint32_t wake_dhcp_fine(const struct net_timer *t, uint64_t now);
static uint32_t wake_dhcp_coarse(const struct net_timer *t, uint64_t now);
static uint32_t wake_nd6(const struct net_timer *t, uint64_t now);

enum { NT_TCP, NT_IP4_REASS, NT_ARP, NT_DHCP_COARSE, NT_DHCP_FINE, NT_ND6, NT_IP6_REASS, NT_COUNT };

/* Guarded by the net lock. */
static struct net_timer net_timers[NT_COUNT] = {
	[NT_TCP] = { "tcp", TCP_TMR_INTERVAL, tcp_tmr, wake_tcp, 0 },
	[NT_IP4_REASS] = { "ip_reass", IP_TMR_INTERVAL, ip_reass_tmr, wake_while_busy, 0 },
	[NT_ARP] = { "etharp", ARP_TMR_INTERVAL, etharp_tmr, wake_while_busy, ARP_MAXAGE },
	[NT_DHCP_COARSE] = { "dhcp_coarse", DHCP_COARSE_TIMER_MSECS, dhcp_coarse_tmr,
			     wake_dhcp_coarse, UINT16_MAX },
	[NT_DHCP_FINE] = { "dhcp_fine", DHCP_FINE_TIMER_MSECS, dhcp_fine_tmr, wake_dhcp_fine, 0 },
	[NT_ND6] = { "nd6", ND6_TMR_INTERVAL, nd6_tmr, wake_nd6, ND6_CATCHUP_MAX },
	[NT_IP6_REASS] = { "ip6_reass", IP6_REASS_TMR_INTERVAL, ip6_reass_tmr, wake_while_busy, 0 },
};
static uint64_t lazy_due = UINT64_MAX; /* see net_lazy_due_update */

/* ---- When each timer must run on time ---- */

static uint32_t wake_tcp(const struct net_timer *t, uint64_t now)
{
	return tcp_active_pcbs || tcp_tw_pcbs ? 1 : 0;
}

static uint32_t wake_while_busy(const struct net_timer *t, uint64_t now)
{
	return now < t->busy_until ? 1 : 0;
}

static uint32_t wake_dhcp_fine(const struct net_timer *t, uint64_t now)
{
	struct netif *n;

	NETIF_FOREACH(n)
	{
		struct dhcp *d = netif_dhcp_data(n);

		if (d && d->state != DHCP_STATE_OFF && d->state != DHCP_STATE_BOUND)
			return 1; /* requests out: their retries are due */
	}
	return 0;
}

/* The smaller nonzero of a and b (0 when both are 0). */
static uint32_t min_nonzero(uint32_t a, uint32_t b)
{
	return !a ? b : !b ? a : MIN(a, b);
}

/* In coarse ticks: when dhcp_coarse_tmr's next call changes something. */
static uint32_t wake_dhcp_coarse(const struct net_timer *t, uint64_t now)
{
	uint32_t w = 0;
	struct netif *n;

	NETIF_FOREACH(n)
	{
		struct dhcp *d = netif_dhcp_data(n);

		if (!d || d->state == DHCP_STATE_OFF)
			continue;
		if (d->t0_timeout > d->lease_used)
			w = min_nonzero(w, d->t0_timeout - d->lease_used);
		w = min_nonzero(w, d->t2_rebind_time);
		w = min_nonzero(w, d->t1_renew_time);
	}
	return w;
}

static uint32_t wake_nd6(const struct net_timer *t, uint64_t now)
{
	struct netif *n;

	NETIF_FOREACH(n)
	{
		if (n->rs_count && netif_is_up(n))
			return 1; /* router solicitations to send */
		for (int i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++)
			if (ip6_addr_istentative(netif_ip6_addr_state(n, i)))
				return 1; /* duplicate address detection */
	}
	for (int i = 0; i < LWIP_ND6_NUM_NEIGHBORS; i++) {
		u8_t s = neighbor_cache[i].state;

		if (s == ND6_INCOMPLETE || s == ND6_DELAY || s == ND6_PROBE)
			return 1; /* solicitations and probes by the tick */
	}
	return 0;
}

/* ---- Running them ---- */

/* Whether `t` must run on time (see wake_in).  A stateless timer needed
 * again after an idle spell starts a fresh period, as lwIP starts its TCP
 * timer when a connection appears. */
static uint32_t net_timer_wake(struct net_timer *t, uint64_t now)
{
	uint32_t w = t->wake_in(t, now);

	if (w && !t->active && !t->catchup_max)
		t->due = now + t->interval_ms * NS_PER_MS;
	t->active = w != 0;
	return w;
}

/*
 * Run timer `t` if due: once for each period missed when it ages state
 * (up to catchup_max), once otherwise; a stateless timer that is not
 * needed does not run.  `lazy_only` (from net_lock, inside a socket call):
 * only the timers that age state, which call back no socket; TCP's and the
 * other stateless ones are left to net_tick.
 */
static void net_timer_run(struct net_timer *t, uint64_t now, bool lazy_only)
{
	uint64_t iv = t->interval_ms * NS_PER_MS, missed, runs;
	uint32_t w = net_timer_wake(t, now);

	if (now < t->due || (!w && !t->catchup_max) || (lazy_only && !t->catchup_max))
		return;
	missed = (now - t->due) / iv + 1;
	t->due += missed * iv;
	runs = MIN(missed, (uint64_t)MAX(t->catchup_max, 1u));
	t->runs += runs;
	while (runs--)
		t->handler();
}

/* The earliest due of the timers that age state, busy or not (one may turn
 * lazy, its busy time over, without running): net_lock catches them up. */
static void net_lazy_due_update(void)
{
	lazy_due = UINT64_MAX;
	for (int i = 0; i < NT_COUNT; i++)
		if (net_timers[i].catchup_max)
			lazy_due = MIN(lazy_due, net_timers[i].due);
}

void net_timers_run(void)
{
	uint64_t now = time_monotonic_ns();

	for (int i = 0; i < NT_COUNT; i++)
		net_timer_run(&net_timers[i], now, false);
	PBUF_CHECK_FREE_OOSEQ(); /* what sys_check_timeouts would also do */
	net_lazy_due_update();
}

void net_timers_catch_up(void)
{
	uint64_t now;

	if (lazy_due == UINT64_MAX || (now = time_monotonic_ns()) < lazy_due)
		return; /* the common case: one comparison and a clock read */
	for (int i = 0; i < NT_COUNT; i++)
		net_timer_run(&net_timers[i], now, true);
	net_lazy_due_update();
}

uint64_t net_timers_next(void)
{
	uint64_t now = time_monotonic_ns(), next = UINT64_MAX;

	for (int i = 0; i < NT_COUNT; i++) {
		struct net_timer *t = &net_timers[i];
		uint32_t w = net_timer_wake(t, now);

		if (w)
			next = MIN(next, t->due + (uint64_t)(w - 1) * t->interval_ms * NS_PER_MS);
	}
	return next;
}

void net_timers_saw_frame(const void *frame, size_t len, bool out)
{
	const uint8_t *f = frame;
	uint64_t now;
	uint16_t type;

	if (len < ETH_HLEN + 8)
		return;
	type = (uint16_t)(f[ETH_TYPE_OFF] << 8 | f[ETH_TYPE_OFF + 1]);
	now = time_monotonic_ns();
	if (type == ETH_TYPE_ARP && out && f[ARP_OP_OFF + 1] == ARP_OP_REQUEST && !f[ARP_OP_OFF])
		net_timers[NT_ARP].busy_until = now + ARP_BUSY_TICKS * ARP_TMR_INTERVAL * NS_PER_MS;
	else if (type == ETH_TYPE_IPV4 && !out &&
		 ((f[IP4_FRAG_OFF] << 8 | f[IP4_FRAG_OFF + 1]) & IP4_MF_AND_OFFSET))
		net_timers[NT_IP4_REASS].busy_until =
			now + IP4_REASS_BUSY_TICKS * IP_TMR_INTERVAL * NS_PER_MS;
	else if (type == ETH_TYPE_IPV6 && !out && f[IP6_NEXT_OFF] == IP6_NEXT_FRAGMENT)
		net_timers[NT_IP6_REASS].busy_until =
			now + IP6_REASS_BUSY_TICKS * IP6_REASS_TMR_INTERVAL * NS_PER_MS;
}

void net_timers_log(void)
{
	for (int i = 0; i < NT_COUNT; i++)
		klog("monos: net: timer %s ran %lu times\n", net_timers[i].name,
		     net_timers[i].runs);
}

/* lwIP's init (lwip_init) asks for this: every period starts now. */
void sys_timeouts_init(void)
{
	uint64_t now = time_monotonic_ns();

	for (int i = 0; i < NT_COUNT; i++)
		net_timers[i].due = now + net_timers[i].interval_ms * NS_PER_MS;
	net_lazy_due_update();
}
