/*
 * What the three files of AF_INET/AF_INET6 sockets share, for them only:
 * inet.c (addresses, socket options, the socket operations and their
 * dispatch), inet_tcp.c (TCP), inet_udp.c (UDP and UDP-Lite).  The locking
 * rules are at the top of inet.c.
 */
#ifndef NET_INET_INTERNAL_H
#define NET_INET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <lib/list.h>
#include "core/sched.h"
#include "net/inet_cmsg.h"
#include "net/socket.h"
#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"

struct tcp_pcb;
struct udp_pcb;

/* UDP-Lite (RFC 3828, man 7 udplite): the protocol is also its option level
 * (SOL_UDPLITE). */
#define IPPROTO_UDPLITE 136

/* A TCP socket's life; a UDP socket is INET_NEW, or INET_CONNECTED once it
 * has a default peer. */
enum inet_state { INET_NEW, INET_LISTEN, INET_CONNECTING, INET_CONNECTED, INET_CLOSED };

/* A received datagram, with its sender. */
struct dgram {
	struct pbuf *p;
	ip_addr_t from;
	u16_t port;
	struct inet_rxinfo ri; /* its IP header, for recvmsg's control messages */
	struct list_head node;
};

/* One AF_INET/AF_INET6 socket (socket.priv).  State, buffers and queues
 * change under net_lock (lwIP's callbacks run with it); setsockopt writes
 * v6only and cm_want without it. */
struct inet_sock {
	struct socket *s;
	enum inet_state state;
	union {
		struct tcp_pcb *tcp;
		struct udp_pcb *udp;
	} pcb;
	struct pbuf *rx;	 /* TCP: received, unread (a chain) */
	size_t rx_off;		 /* bytes of rx already read */
	bool rx_eof;		 /* TCP: the peer sent FIN */
	struct list_head dgrams; /* UDP: struct dgram, oldest first */
	size_t dgram_bytes;
	struct list_head pending; /* listener: accepted, not yet taken (inet_sock.node) */
	struct list_head node;
	int npending;
	bool v6only;
	unsigned cm_want; /* INET_CM_*: control messages recvmsg gives */
	bool lite_rx_set; /* UDP-Lite: UDPLITE_RECV_CSCOV was set */
	uint64_t gen;	  /* bumped on every change (epoll's edge trigger) */
};

/* The AF_INET part of socket `s`. */
static inline struct inet_sock *isk(struct socket *s)
{
	return s->priv;
}

/* Something about `k` changed: bump its generation (epoll's edge trigger)
 * and wake its socket's waiters and pollers, and no one else (issue 12).
 * Net lock held (it comes before the queue's lock). */
static inline void inet_changed(struct inet_sock *k)
{
	k->gen++;
	sock_wake(k->s);
}

/* inet.c */

/* A new inet_sock for `s` (s->priv), zeroed with empty lists; NULL when out
 * of memory.  Any lock. */
struct inet_sock *inet_sock_new(struct socket *s);
/* A destination address from the program (sockaddr_in/in6 of `len` bytes)
 * as lwIP's address and port, the unspecified address routed to the local
 * host: 0, -EINVAL, -EAFNOSUPPORT.  No lock. */
int inet_dest_from(struct socket *s, const void *addr, size_t len, ip_addr_t *ip, u16_t *port);
/* Write `ip` (NULL: unspecified) and `port` into `out` as `s`'s family's
 * sockaddr (room for a sockaddr_in6); returns its length.  No lock. */
size_t inet_addr_to(struct socket *s, const ip_addr_t *ip, u16_t port, void *out);
/* Wait until a receive on `k` has something to return: 0, -EAGAIN when
 * `nonblock`, or what sock_wait gives.  Net lock not held. */
long inet_wait_readable(struct socket *s, struct inet_sock *k, bool nonblock);

/* inet_tcp.c: the socket operations of SOCK_STREAM, called by inet.c's
 * dispatch with the net lock not held (inet_tcp_hooks and inet_tcp_drop:
 * held).  Results as the matching sock_ops member. */
void inet_tcp_hooks(struct tcp_pcb *pcb, struct inet_sock *k);
int inet_tcp_listen(struct socket *s, int backlog);
struct socket *inet_tcp_accept(struct socket *s, bool nonblock);
int inet_tcp_connect(struct socket *s, struct inet_sock *k, ip_addr_t *ip, u16_t port,
		     bool nonblock);
long inet_tcp_send(struct socket *s, struct inet_sock *k, struct sock_msg *m, bool nonblock);
long inet_tcp_recv(struct socket *s, struct inet_sock *k, struct sock_msg *m, int flags,
		   bool nonblock);
/* Detach the socket from `pcb` and close it (abort if closing fails). */
void inet_tcp_drop(struct tcp_pcb *pcb, bool listener);

/* inet_udp.c: SOCK_DGRAM (UDP and UDP-Lite).  inet_udp_on_recv is the pcb's
 * lwIP receive callback (net lock held); the others are called without it. */
bool inet_udp_is_lite(const struct socket *s);
void inet_udp_on_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *from,
		      u16_t port);
long inet_udp_send(struct socket *s, struct inet_sock *k, struct sock_msg *m);
long inet_udp_recv(struct socket *s, struct inet_sock *k, struct sock_msg *m, int flags,
		   bool nonblock);
/* UDPLITE_SEND_CSCOV, UDPLITE_RECV_CSCOV: set gives 0 or -ENOPROTOOPT; get
 * gives true (and *v) when (level, name) is one of them. */
int inet_udp_lite_setopt(struct socket *s, int name, int v);
bool inet_udp_lite_getopt(struct socket *s, int level, int name, int *v);

#endif
