/*
 * The ancillary data of AF_INET/AF_INET6 datagram sockets (net/inet.c):
 * what a received datagram's IP header said (destination, interface, TTL or
 * hop limit, TOS or traffic class), kept with the datagram and handed to
 * recvmsg as control messages when the program asked for them with
 * IP_PKTINFO, IP_RECVTTL, IP_RECVTOS, IPV6_RECVPKTINFO, IPV6_RECVHOPLIMIT
 * or IPV6_RECVTCLASS (man 7 ip, man 7 ipv6).  Constants are Linux's
 * (include/uapi/linux/in.h, in6.h).
 */
#ifndef NET_INET_CMSG_H
#define NET_INET_CMSG_H

#include <stdbool.h>
#include <stdint.h>
#include "net/socket.h"

#define IPPROTO_IP   0
#define IPPROTO_IPV6 41
#define IP_TOS	     1
#define IP_TTL	     2
#define IPV6_TCLASS  67

/* What recvmsg reports: one bit per option (struct inet_cmsg_opts.want). */
enum {
	INET_CM_PKTINFO = 1 << 0,  /* IP_PKTINFO */
	INET_CM_TTL = 1 << 1,	   /* IP_RECVTTL */
	INET_CM_TOS = 1 << 2,	   /* IP_RECVTOS */
	INET_CM6_PKTINFO = 1 << 3, /* IPV6_RECVPKTINFO */
	INET_CM6_HOPS = 1 << 4,	   /* IPV6_RECVHOPLIMIT */
	INET_CM6_TCLASS = 1 << 5,  /* IPV6_RECVTCLASS */
};

/* The header of one received datagram, as the socket keeps it. */
struct inet_rxinfo {
	bool v6;	 /* an IPv6 packet (else IPv4) */
	uint8_t ttl;	 /* TTL or hop limit */
	uint8_t tos;	 /* TOS or traffic class */
	uint8_t dst[16]; /* destination: 4 bytes (IPv4) or 16 */
	int ifindex;	 /* ifaces.c's numbering: lo 1, eth0 2 */
};

/* Record the header of the packet lwIP is delivering now.  Only from a
 * udp_recv callback (lwIP's current-packet state, net_lock held). */
void inet_rxinfo_take(struct inet_rxinfo *ri);

/* Append the control messages `want` asks for about `ri` to `m` (Linux's
 * order: IPv4's, then IPv6's).  No lock needed. */
void inet_rxinfo_put(const struct inet_rxinfo *ri, unsigned want, struct sock_msg *m);

/*
 * setsockopt/getsockopt of the options above: 1 when (level, name) is one
 * of them (then *want is updated, or *val set from it), 0 when it is not.
 * `v6sock`: the socket is AF_INET6 (IPV6_* options are for it only).
 */
int inet_cmsg_setopt(unsigned *want, bool v6sock, int level, int name, int val);
int inet_cmsg_getopt(unsigned want, bool v6sock, int level, int name, int *val);

#endif
