/*
 * The network interface: lwIP's Ethernet netif over the virtio-net device
 * (drivers/virtio.h's netdev_*), its addresses as the kernel command line
 * says, and net_init(), which brings the stack up at boot.
 *
 * Addresses (design.md point 10): IPv4 is static 10.0.2.15/24 with gateway
 * 10.0.2.2 unless told otherwise (what QEMU's user networking expects, so
 * start-up never waits); monos.ip=ADDR/PREFIX and monos.gateway=ADDR set
 * others; monos.ip=dhcp asks slirp's or the LAN's DHCP server and waits for
 * the lease, so the program starts with its address.  IPv6: a link-local
 * address from the MAC, and SLAAC from router advertisements.
 */
#include "core/kernel.h"
#include "core/time.h"
#include "drivers/virtio.h"
#include "net/lwip/net.h"
#include <lib/cmdline.h>

#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h" /* tcp_active_pcbs, for net_flush */
#include "netif/ethernet.h"
#if LWIP_IPV6
#include "lwip/ethip6.h"
#endif

#define NET_DEFAULT_IP	   "10.0.2.15"
#define NET_DEFAULT_PREFIX 24
#define NET_DEFAULT_GW	   "10.0.2.2"
#define NET_DHCP_WAIT_NS   (10 * NSEC_PER_SEC) /* then boot on, unconfigured */
#define NET_ADDR_STR_MAX   48

static struct netif net_if; /* the device's interface; guarded by the net lock */
static bool net_up;
static uint8_t net_frame_buf[NETDEV_FRAME_MAX]; /* gathers chained pbufs; lock held */
static struct net_if_traffic net_if_count;	/* /proc/net/dev's; lock held */
static err_t net_if_input(struct pbuf *p, struct netif *nif);

/* lwIP's link output: one whole Ethernet frame, maybe a chain of pbufs. */
static err_t net_if_output(struct netif *nif, struct pbuf *p)
{
	const void *frame = p->payload;
	int err;

	if (p->tot_len > NETDEV_FRAME_MAX)
		return ERR_BUF;
	if (p->len != p->tot_len) {
		pbuf_copy_partial(p, net_frame_buf, p->tot_len, 0);
		frame = net_frame_buf;
	}
	net_timers_saw_frame(frame, p->tot_len, true);
	err = netdev_send(frame, p->tot_len);
	net_if_count.tx_packets += !err;
	net_if_count.tx_bytes += err ? 0 : p->tot_len;
	net_if_count.tx_dropped += !!err;
	/* A full ring is congestion: TCP retransmits what was lost. */
	return err == -ENOBUFS ? ERR_MEM : err ? ERR_IF : ERR_OK;
}

/* netif_add's init: what the interface is. */
static err_t net_if_init(struct netif *nif)
{
	nif->name[0] = 'e';
	nif->name[1] = 'n';
	nif->output = etharp_output;
#if LWIP_IPV6
	nif->output_ip6 = ethip6_output;
#endif
	nif->linkoutput = net_if_output;
	nif->mtu = NETDEV_MTU;
	nif->hwaddr_len = NETDEV_ETH_ALEN;
	memcpy(nif->hwaddr, netdev_mac(), NETDEV_ETH_ALEN);
	nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	return ERR_OK;
}

/* Copy an option's value (not NUL terminated) into `buf`; -EINVAL if long. */
static int net_opt_str(const char *v, size_t len, char *buf, size_t size)
{
	if (len >= size)
		return -EINVAL;
	memcpy(buf, v, len);
	buf[len] = 0;
	return 0;
}

/* The netmask of a `prefix`-bit IPv4 prefix (0 to 32). */
static void net_mask(ip4_addr_t *mask, unsigned prefix)
{
	ip4_addr_set_u32(mask, prefix ? lwip_htonl(~0u << (32 - prefix)) : 0);
}

/* Parse "A.B.C.D/N" into an address and netmask. */
static int net_parse_cidr(const char *v, size_t len, ip4_addr_t *ip, ip4_addr_t *mask)
{
	char buf[NET_ADDR_STR_MAX], *slash;
	uint64_t prefix = 32;

	if (net_opt_str(v, len, buf, sizeof(buf)))
		return -EINVAL;
	slash = strchr(buf, '/');
	if (slash) {
		*slash = 0;
		if (parse_u64(slash + 1, strlen(slash + 1), &prefix) || prefix > 32)
			return -EINVAL;
	}
	if (!ip4addr_aton(buf, ip))
		return -EINVAL;
	net_mask(mask, (unsigned)prefix);
	return 0;
}

/* The IPv4 configuration of the command line; *dhcp when monos.ip=dhcp.
 * The defaults are QEMU user networking's, so the common case needs no
 * option and no wait.  An address without "/N" is a /32. */
static int net_parse_ip4(const char *cmdline, ip4_addr_t *ip, ip4_addr_t *mask, ip4_addr_t *gw,
			 bool *dhcp)
{
	char buf[NET_ADDR_STR_MAX];
	size_t len;
	const char *v = cmdline_find(cmdline, "monos.ip", &len);

	*dhcp = v && len == 4 && !memcmp(v, "dhcp", 4);
	ip4addr_aton(NET_DEFAULT_IP, ip);
	net_mask(mask, NET_DEFAULT_PREFIX);
	ip4addr_aton(NET_DEFAULT_GW, gw);
	if (*dhcp) {
		ip4_addr_set_zero(ip);
		ip4_addr_set_zero(mask);
		ip4_addr_set_zero(gw);
	} else if (v && net_parse_cidr(v, len, ip, mask)) {
		klog("monos: net: monos.ip=%.*s: expected dhcp or ADDR/PREFIX\n", (int)len, v);
		return -EINVAL;
	}
	v = cmdline_find(cmdline, "monos.gateway", &len);
	if (v && (net_opt_str(v, len, buf, sizeof(buf)) || !ip4addr_aton(buf, gw))) {
		klog("monos: net: monos.gateway=%.*s: expected an IPv4 address\n", (int)len, v);
		return -EINVAL;
	}
	return 0;
}

static bool net_dhcp_bound(void *arg)
{
	return dhcp_supplied_address((struct netif *)arg);
}

/* The static address is dropped first: whatever address the interface has
 * afterwards came from the DHCP server (the self-test relies on it), and
 * DISCOVER goes out from 0.0.0.0 as RFC 2131 wants.  lwIP's client keeps
 * renewing the lease from its timers after the wait. */
int net_dhcp_lease(uint64_t timeout_ns)
{
	uint64_t flags = net_lock();
	err_t e;

	netif_set_addr(&net_if, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4);
	e = dhcp_start(&net_if);
	net_unlock(flags);
	if (e != ERR_OK)
		return -ENOMEM;
	return net_wait_boot(net_dhcp_bound, &net_if, timeout_ns);
}

int net_if_set_ip4(const uint32_t *addr, unsigned prefix, const uint32_t *gw)
{
	ip4_addr_t a, m, g;
	uint64_t flags;

	if (!net_up || !netdev_present())
		return -ENODEV;
	flags = net_lock();
	if (addr) {
		ip4_addr_set_u32(&a, lwip_htonl(*addr));
		net_mask(&m, prefix);
		netif_set_addr(&net_if, &a, &m, netif_ip4_gw(&net_if));
	}
	if (gw) {
		ip4_addr_set_u32(&g, lwip_htonl(*gw));
		netif_set_gw(&net_if, &g);
	}
	net_unlock(flags);
	return 0;
}

const char *net_if_addr_str(char *buf, size_t size, bool gateway)
{
	const ip4_addr_t *a = gateway ? netif_ip4_gw(&net_if) : netif_ip4_addr(&net_if);

	return ip4addr_ntoa_r(a, buf, (int)size);
}

/* Add the device's interface with `ip`, bring it up, IPv6 on.  Lock held.
 * The link is up from the start: virtio-net without VIRTIO_NET_F_STATUS
 * has no link state to wait for.  Bringing it up sends IPv6's router
 * solicitation; the advertisement's prefix becomes a SLAAC address. */
static void net_if_add(const ip4_addr_t *ip, const ip4_addr_t *mask, const ip4_addr_t *gw)
{
	netif_add(&net_if, ip, mask, gw, NULL, net_if_init, net_if_input);
#if LWIP_IPV6
	netif_create_ip6_linklocal_address(&net_if, 1);
	net_if.ip6_autoconfig_enabled = 1; /* the macro tests its pointer */
#endif
	netif_set_default(&net_if);
	netif_set_link_up(&net_if);
	netif_set_up(&net_if);
}

int net_init(const char *cmdline)
{
	ip4_addr_t ip, mask, gw;
	char a[NET_ADDR_STR_MAX], g[NET_ADDR_STR_MAX];
	uint64_t flags;
	bool dhcp;
	int err;

	flags = net_lock();
	lwip_init(); /* also the loopback interface, 127.0.0.1 and ::1 */
	net_unlock(flags);
	net_up = true;
	if (!netdev_present()) {
		net_selftest(cmdline, false);
		return 0;
	}
	if ((err = net_parse_ip4(cmdline, &ip, &mask, &gw, &dhcp)))
		return err;
	flags = net_lock();
	net_if_add(&ip, &mask, &gw);
	net_unlock(flags);
	netdev_set_rx(net_rx_frame); /* interrupt context: it only queues */
	if (dhcp) {
		if (net_dhcp_lease(NET_DHCP_WAIT_NS))
			klog("monos: net: no DHCP lease within %llu s: booting unconfigured\n",
			     NET_DHCP_WAIT_NS / NSEC_PER_SEC);
		else
			klog("monos: net: dhcp lease %s gateway %s\n",
			     net_if_addr_str(a, sizeof(a), false),
			     net_if_addr_str(g, sizeof(g), true));
	}
	net_selftest(cmdline, true);
	return 0;
}

bool net_ready(void)
{
	return net_up;
}

int net_init_loopback(void)
{
	uint64_t flags;

	if (net_up)
		return 0;
	flags = net_lock();
	lwip_init(); /* the loopback interface: 127.0.0.1 and ::1 */
	net_unlock(flags);
	net_up = true;
	return 0;
}

/* Whether every TCP connection has its data and FIN acknowledged, and every
 * connection we closed was closed by its peer too.  An ACK alone is not
 * enough: QEMU's user networking acknowledges data it has yet to write to
 * the host's socket, and stopping the machine would lose it; the peer's FIN
 * says it read everything.  Pushes out what lwIP still holds back (Nagle, a
 * full ring) first. */
static bool net_tcp_flushed(void *arg)
{
	bool flushed = true;

	for (struct tcp_pcb *p = tcp_active_pcbs; p; p = p->next) {
		if (p->unsent)
			tcp_output(p);
		if (p->unsent || p->unacked || p->state == FIN_WAIT_1 || p->state == FIN_WAIT_2 ||
		    p->state == CLOSING || p->state == LAST_ACK)
			flushed = false;
	}
	return flushed;
}

void net_tcp_states(unsigned count[NET_TCP_STATES])
{
	uint64_t flags;

	memset(count, 0, NET_TCP_STATES * sizeof(*count));
	flags = net_peek_lock();
	for (struct tcp_pcb *p = tcp_active_pcbs; p; p = p->next)
		count[p->state < NET_TCP_STATES ? p->state : CLOSED]++;
	for (struct tcp_pcb *p = tcp_tw_pcbs; p; p = p->next)
		count[TIME_WAIT]++;
	for (struct tcp_pcb_listen *p = tcp_listen_pcbs.listen_pcbs; p; p = p->next)
		count[LISTEN]++;
	net_peek_unlock(flags);
}

int net_flush(uint64_t timeout_ns)
{
	int r;

	if (!net_up)
		return 0;
	net_log_stats();
	r = net_wait_boot(net_tcp_flushed, NULL, timeout_ns);
	if (r) { /* say what was lost, once, where -v shows it */
		uint64_t flags = net_lock();
		for (struct tcp_pcb *p = tcp_active_pcbs; p; p = p->next)
			klog("monos: net: at exit, a connection to port %u was in state %d with %s\n",
			     p->remote_port, p->state,
			     p->unacked ? "data unacknowledged" : p->unsent ? "data unsent" : "no data");
		net_unlock(flags);
	}
	return r;
}

/* ------------------------------------------- the interface, for programs */

_Static_assert(LWIP_IPV6_NUM_ADDRESSES <= NET_IF_IP6_MAX, "net_if_desc.ip6");

int net_if_describe(struct net_if_desc *d)
{
	uint64_t flags;

	memset(d, 0, sizeof(*d));
	if (!net_up)
		return -ENODEV;
	flags = net_lock();
	if (!netif_is_up(&net_if)) { /* never added: no device */
		net_unlock(flags);
		return -ENODEV;
	}
	memcpy(d->mac, net_if.hwaddr, sizeof(d->mac));
	d->mtu = net_if.mtu;
	memcpy(d->ip4, &netif_ip4_addr(&net_if)->addr, 4);
	memcpy(d->mask4, &netif_ip4_netmask(&net_if)->addr, 4);
#if LWIP_IPV6
	for (int i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++)
		if (ip6_addr_isvalid(netif_ip6_addr_state(&net_if, i)))
			memcpy(d->ip6[d->n_ip6++], netif_ip6_addr(&net_if, i)->addr, 16);
#endif
	net_unlock(flags);
	return 0;
}

/* ------------------------------------- traffic counters, for /proc/net/dev */

/* The interface's input: count the frame, then hand it to Ethernet. */
static err_t net_if_input(struct pbuf *p, struct netif *nif)
{
	net_if_count.rx_packets++;
	net_if_count.rx_bytes += p->tot_len;
	return ethernet_input(p, nif);
}

void net_if_traffic_get(struct net_if_traffic *t)
{
	uint64_t flags;

	memset(t, 0, sizeof(*t));
	if (!net_up) /* lwIP never started: nothing to lock */
		return;
	flags = net_lock();
	*t = net_if_count;
	net_unlock(flags);
}
