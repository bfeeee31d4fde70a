/*
 * Ancillary data of received datagrams (net/inet_cmsg.h): taken from lwIP's
 * current packet in the receive callback, written out at recvmsg in the
 * layouts of Linux's ip_cmsg_recv_offset (IPv4) and
 * ip6_datagram_recv_ctl (IPv6).
 */
#include "net/inet_cmsg.h"
#include "core/kernel.h"
#include "lwip/ip.h"
#include "lwip/netif.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/ip6.h"

/* Options (in.h, in6.h) and the control messages they ask for. */
#define IP_PKTINFO	  8
#define IP_RECVTTL	  12
#define IP_RECVTOS	  13
#define IPV6_RECVPKTINFO  49
#define IPV6_PKTINFO	  50
#define IPV6_RECVHOPLIMIT 51
#define IPV6_HOPLIMIT	  52
#define IPV6_RECVTCLASS	  66
#define IFINDEX_LO	  1 /* net/ifaces.c */
#define IFINDEX_ETH	  2

struct in_pktinfo_k {
	int32_t ifindex;
	uint8_t spec_dst[4], addr[4];
};
struct in6_pktinfo_k {
	uint8_t addr[16];
	int32_t ifindex;
};

void inet_rxinfo_take(struct inet_rxinfo *ri)
{
	const struct netif *n = ip_current_input_netif();

	ri->v6 = ip_current_is_v6();
	if (ri->v6) {
		const struct ip6_hdr *h = ip6_current_header();
		ri->ttl = IP6H_HOPLIM(h);
		ri->tos = IP6H_TC(h);
		memcpy(ri->dst, ip_2_ip6(ip_current_dest_addr())->addr, 16);
	} else {
		const struct ip_hdr *h = ip4_current_header();
		ri->ttl = IPH_TTL(h);
		ri->tos = IPH_TOS(h);
		memcpy(ri->dst, &ip_2_ip4(ip_current_dest_addr())->addr, 4);
	}
	ri->ifindex = n && n->name[0] == 'l' && n->name[1] == 'o' ? IFINDEX_LO : IFINDEX_ETH;
}

/* IPv4's messages, in ip_cmsg_recv_offset's order.  Linux hands IP_TOS as
 * one byte and IP_TTL as an int. */
static void put_v4(const struct inet_rxinfo *ri, unsigned want, struct sock_msg *m)
{
	if (want & INET_CM_PKTINFO) {
		struct in_pktinfo_k pi = { .ifindex = ri->ifindex };
		memcpy(pi.spec_dst, ri->dst, 4); /* unicast: the local address */
		memcpy(pi.addr, ri->dst, 4);
		sock_put_cmsg(m, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
	}
	if (want & INET_CM_TTL) {
		int ttl = ri->ttl;
		sock_put_cmsg(m, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	}
	if (want & INET_CM_TOS)
		sock_put_cmsg(m, IPPROTO_IP, IP_TOS, &ri->tos, 1);
}

/* IPv6's, in ip6_datagram_recv_ctl's order; an IPv4 packet on an IPv6
 * socket gets IPV6_PKTINFO only, with the v4-mapped address. */
static void put_v6(const struct inet_rxinfo *ri, unsigned want, struct sock_msg *m)
{
	if (want & INET_CM6_PKTINFO) {
		struct in6_pktinfo_k pi = { .ifindex = ri->ifindex };
		if (ri->v6) {
			memcpy(pi.addr, ri->dst, 16);
		} else {
			pi.addr[10] = pi.addr[11] = 0xff;
			memcpy(pi.addr + 12, ri->dst, 4);
		}
		sock_put_cmsg(m, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
	}
	if (!ri->v6)
		return;
	if (want & INET_CM6_HOPS) {
		int hops = ri->ttl;
		sock_put_cmsg(m, IPPROTO_IPV6, IPV6_HOPLIMIT, &hops, sizeof(hops));
	}
	if (want & INET_CM6_TCLASS) {
		int tclass = ri->tos;
		sock_put_cmsg(m, IPPROTO_IPV6, IPV6_TCLASS, &tclass, sizeof(tclass));
	}
}

void inet_rxinfo_put(const struct inet_rxinfo *ri, unsigned want, struct sock_msg *m)
{
	if (!ri->v6)
		put_v4(ri, want, m);
	put_v6(ri, want, m);
}

/* The bit of (level, name), or 0. */
static unsigned opt_bit(bool v6sock, int level, int name)
{
	if (level == IPPROTO_IP)
		return name == IP_PKTINFO   ? INET_CM_PKTINFO
		       : name == IP_RECVTTL ? INET_CM_TTL
		       : name == IP_RECVTOS ? INET_CM_TOS
					    : 0;
	if (level == IPPROTO_IPV6 && v6sock)
		return name == IPV6_RECVPKTINFO	   ? INET_CM6_PKTINFO
		       : name == IPV6_RECVHOPLIMIT ? INET_CM6_HOPS
		       : name == IPV6_RECVTCLASS   ? INET_CM6_TCLASS
						   : 0;
	return 0;
}

int inet_cmsg_setopt(unsigned *want, bool v6sock, int level, int name, int val)
{
	unsigned bit = opt_bit(v6sock, level, name);

	if (!bit)
		return 0;
	*want = val ? *want | bit : *want & ~bit;
	return 1;
}

int inet_cmsg_getopt(unsigned want, bool v6sock, int level, int name, int *val)
{
	unsigned bit = opt_bit(v6sock, level, name);

	if (!bit)
		return 0;
	*val = (want & bit) != 0;
	return 1;
}
