/*
 * AF_INET and AF_INET6 sockets over lwIP's raw API (design.md point 10):
 * TCP (SOCK_STREAM) and UDP (SOCK_DGRAM), IPv4 and dual-stack IPv6.
 *
 * Every lwIP call happens under net_lock(); lwIP's callbacks run with it
 * held and only record what happened (data, a new connection, an error) in
 * the socket and wake waiters; a blocked call waits on a condition with the
 * lock dropped (sock_wait) and takes it again.  Data is copied between the
 * program and a kernel bounce buffer with no lock held, so a page fault on
 * the program's buffer never happens under the lock.
 * Semantics: man 7 tcp, udp, ip, ipv6; errors as Linux gives them.
 */
#include "net/socket.h"
#include "net/inet_cmsg.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "net/lwip/net.h"
#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"

#define IPPROTO_TCP	  6
#define IPPROTO_UDP	  17
#define TCP_NODELAY	  1
#define IP_TOS		  1
#define IP_TTL		  2
#define IPV6_UNICAST_HOPS 16
#define IPV6_V6ONLY	  26
#define IPV6_TCLASS	  67
/* UDP-Lite (RFC 3828, man 7 udplite): the protocol is also its option level
 * (SOL_UDPLITE); a checksum coverage counts the 8-byte header. */
#define IPPROTO_UDPLITE	   136
#define UDPLITE_SEND_CSCOV 10
#define UDPLITE_RECV_CSCOV 11
#define UDPLITE_MIN_CSCOV  8
#define UDPLITE_MAX_CSCOV  0xffff
#define FIONREAD	   0x541b
#define BOUNCE_MAX	   (64 * 1024)
#define SOCKADDR_IN_LEN	   16
#define SOCKADDR_IN6_LEN   28
/* Connections a listener queues for accept() (net.core.somaxconn).  The
 * listen() backlog is not enforced below it: see on_accept. */
#define SOMAXCONN 4096

enum inet_state { INET_NEW, INET_LISTEN, INET_CONNECTING, INET_CONNECTED, INET_CLOSED };

/* A received datagram, with its sender. */
struct dgram {
	struct pbuf *p;
	ip_addr_t from;
	u16_t port;
	struct inet_rxinfo ri; /* its IP header, for recvmsg's control messages */
	struct list_head node;
};

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

static struct inet_sock *isk(struct socket *s)
{
	return s->priv;
}

static void changed(struct inet_sock *k)
{
	k->gen++;
	sched_wake_all();
}

/* ---- addresses ---- */

/* sockaddr_in / sockaddr_in6 into an lwIP address and port. */
static int addr_from(struct socket *s, const void *addr, size_t len, ip_addr_t *ip, u16_t *port)
{
	const uint8_t *a = addr;
	uint16_t family;

	if (len < 2)
		return -EINVAL;
	memcpy(&family, a, 2);
	if (family == AF_INET) {
		if (len < SOCKADDR_IN_LEN)
			return -EINVAL;
		if (s->family == AF_INET6)
			return -EAFNOSUPPORT; /* an IPv6 socket takes v4-mapped ones */
		*port = (u16_t)(a[2] << 8 | a[3]);
		IP_ADDR4(ip, a[4], a[5], a[6], a[7]);
		return 0;
	}
	if (family != AF_INET6 || s->family != AF_INET6)
		return s->family == AF_INET ? -EAFNOSUPPORT : -EINVAL;
	if (len < SOCKADDR_IN6_LEN)
		return -EINVAL;
	*port = (u16_t)(a[2] << 8 | a[3]);
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (!memcmp(a + 8, mapped, 12)) { /* ::ffff:a.b.c.d */
		IP_ADDR4(ip, a[20], a[21], a[22], a[23]);
		return 0;
	}
	uint32_t w[4];
	memcpy(w, a + 8, 16);
	if (!(w[0] | w[1] | w[2] | w[3]) && !isk(s)->v6only) {
		/* in6addr_any on a dual-stack socket: IPv4 peers too */
		ip_addr_copy(*ip, *IP_ANY_TYPE);
		return 0;
	}
	IP_ADDR6(ip, w[0], w[1], w[2], w[3]);
	ip_2_ip6(ip)->zone = 0;
	return 0;
}

/* A destination: Linux routes the unspecified address to the local host
 * (ip_route_output_key_hash: 0.0.0.0 becomes 127.0.0.1; tcp_v6_connect
 * and udpv6_sendmsg: :: becomes ::1), and programs rely on it (etcd's
 * gRPC gateway dials 0.0.0.0). */
static int dest_from(struct socket *s, const void *addr, size_t len, ip_addr_t *ip, u16_t *port)
{
	int r = addr_from(s, addr, len, ip, port);

	if (r || !ip_addr_isany(ip))
		return r;
	ip_addr_set_loopback(IP_IS_V6(ip) || IP_IS_ANY_TYPE_VAL(*ip), ip);
	if (IP_IS_V6(ip))
		ip_2_ip6(ip)->zone = 0;
	return 0;
}

/* An lwIP address and port as the socket's family writes it. */
static size_t addr_to(struct socket *s, const ip_addr_t *ip, u16_t port, void *out)
{
	uint8_t *a = out;

	memset(a, 0, SOCKADDR_IN6_LEN);
	a[2] = port >> 8;
	a[3] = port & 0xff;
	if (s->family == AF_INET) {
		uint16_t f = AF_INET;
		memcpy(a, &f, 2);
		if (ip && IP_IS_V4(ip))
			memcpy(a + 4, &ip_2_ip4(ip)->addr, 4);
		return SOCKADDR_IN_LEN;
	}
	uint16_t f = AF_INET6;
	memcpy(a, &f, 2);
	if (ip && IP_IS_V4(ip) && !ip4_addr_isany(ip_2_ip4(ip))) {
		a[18] = a[19] = 0xff; /* v4-mapped */
		memcpy(a + 20, &ip_2_ip4(ip)->addr, 4);
	} else if (ip && IP_IS_V6(ip)) {
		memcpy(a + 8, ip_2_ip6(ip)->addr, 16);
	}
	return SOCKADDR_IN6_LEN;
}

/* ---- lwIP callbacks (net_lock held) ---- */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct inet_sock *k = arg;

	if (!k) { /* the socket went away: take nothing more */
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	if (!p)
		k->rx_eof = true;
	else if (k->rx)
		pbuf_cat(k->rx, p);
	else
		k->rx = p;
	changed(k);
	return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	if (arg)
		changed(arg);
	return ERR_OK;
}

/* The pcb is gone (lwIP freed it): remember why. */
static void on_err(void *arg, err_t err)
{
	struct inet_sock *k = arg;

	if (!k)
		return;
	int e = net_errno(err);
	if (k->state == INET_CONNECTING && (err == ERR_RST || err == ERR_ABRT))
		e = -ECONNREFUSED;
	k->s->err = -e;
	k->pcb.tcp = NULL;
	k->state = INET_CLOSED;
	changed(k);
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct inet_sock *k = arg;

	if (k) {
		k->state = INET_CONNECTED;
		changed(k);
	}
	return ERR_OK;
}

static void tcp_hooks(struct tcp_pcb *pcb, struct inet_sock *k)
{
	tcp_arg(pcb, k);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
}

static struct inet_sock *isk_new(struct socket *s);

static err_t on_accept(void *arg, struct tcp_pcb *newpcb, err_t err)
{
	struct inet_sock *l = arg, *k;
	struct socket *ns;

	if (!l || err != ERR_OK || !newpcb)
		return ERR_VAL;
	/*
	 * Linux keeps completing handshakes (SYN cookies) and queues up to the
	 * backlog, then drops SYNs so clients retry.  lwIP can only count
	 * half-open connections against an 8-bit backlog, and dropping SYNs
	 * under a burst from QEMU's user networking costs seconds of SYN
	 * retransmission per client (issue 8: 2,000 idle connections).  So
	 * every handshake completes and queues, up to SOMAXCONN; past that a
	 * client is reset rather than left waiting.
	 */
	if (l->npending >= SOMAXCONN) {
		tcp_abort(newpcb);
		return ERR_ABRT;
	}
	ns = sock_alloc(l->s);
	if (!ns || !(k = isk_new(ns))) {
		if (ns)
			sock_free(ns);
		tcp_abort(newpcb);
		return ERR_ABRT;
	}
	k->pcb.tcp = newpcb;
	k->state = INET_CONNECTED;
	tcp_hooks(newpcb, k);
	list_add_tail(&k->node, &l->pending);
	l->npending++;
	changed(l);
	return ERR_OK;
}

static bool is_lite(const struct socket *s)
{
	return s->type == SOCK_DGRAM && s->protocol == IPPROTO_UDPLITE;
}

/*
 * Whether socket `k` takes the datagram lwIP delivers now.  lwIP finds UDP
 * and UDP-Lite receivers in one table, by port: a datagram of the other
 * protocol is not for it.  With UDPLITE_RECV_CSCOV set, Linux drops a
 * partially covered datagram whose coverage is below it (or any, when it
 * is 0: full coverage asked for), as udp_queue_rcv_one_skb does.
 */
static bool lite_accepts(struct inet_sock *k, struct pbuf *p)
{
	bool lite = ip_current_header_proto() == IP_PROTO_UDPLITE;
	const struct udp_hdr *h = (const struct udp_hdr *)((u8_t *)p->payload - UDP_HLEN);
	size_t full = p->tot_len + UDP_HLEN, cov;

	if (lite != is_lite(k->s))
		return false;
	if (!lite || !k->lite_rx_set)
		return true;
	cov = lwip_ntohs(h->len) ? lwip_ntohs(h->len) : full; /* 0: all of it */
	if (cov >= full)
		return true;
	return k->pcb.udp->chksum_len_rx && cov >= k->pcb.udp->chksum_len_rx;
}

static void on_udp(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *from,
		   u16_t port)
{
	struct inet_sock *k = arg;
	struct dgram *d;

	if (!k || !lite_accepts(k, p) || k->dgram_bytes + p->tot_len > (size_t)k->s->rcvbuf ||
	    !(d = kmalloc(sizeof(*d)))) {
		pbuf_free(p); /* a full receive buffer drops, as UDP does */
		return;
	}
	d->p = p;
	ip_addr_copy(d->from, *from);
	d->port = port;
	inet_rxinfo_take(&d->ri);
	list_add_tail(&d->node, &k->dgrams);
	k->dgram_bytes += p->tot_len;
	changed(k);
}

/* ---- the operations ---- */

static struct inet_sock *isk_new(struct socket *s)
{
	struct inet_sock *k = kzalloc(sizeof(*k));

	if (!k)
		return NULL;
	k->s = s;
	list_init(&k->dgrams);
	list_init(&k->pending);
	list_init(&k->node);
	s->priv = k;
	return k;
}

static u8_t ip_type(struct socket *s)
{
	return s->family == AF_INET ? IPADDR_TYPE_V4 : IPADDR_TYPE_ANY;
}

static int inet_bind(struct socket *s, const void *addr, size_t len, unsigned mode)
{
	struct inet_sock *k = isk(s);
	ip_addr_t ip;
	u16_t port;
	err_t e = ERR_VAL;
	int r = addr_from(s, addr, len, &ip, &port);

	if (r)
		return r;
	uint64_t fl = net_lock();
	if (s->type == SOCK_STREAM && k->pcb.tcp && k->state == INET_NEW) {
		if (s->reuseaddr)
			ip_set_option(k->pcb.tcp, SOF_REUSEADDR);
		e = k->pcb.tcp->local_port ? ERR_VAL : tcp_bind(k->pcb.tcp, &ip, port);
	} else if (s->type == SOCK_DGRAM && k->pcb.udp) {
		if (s->reuseaddr)
			ip_set_option(k->pcb.udp, SOF_REUSEADDR);
		e = k->pcb.udp->local_port ? ERR_VAL : udp_bind(k->pcb.udp, &ip, port);
	}
	net_unlock(fl);
	return e == ERR_VAL ? -EINVAL : net_errno(e);
}

/* `backlog` is not enforced: the queue holds up to SOMAXCONN (on_accept). */
static int inet_listen(struct socket *s, int backlog)
{
	struct inet_sock *k = isk(s);
	struct tcp_pcb *lpcb;
	err_t e = ERR_OK;

	if (s->type != SOCK_STREAM)
		return -EOPNOTSUPP;
	uint64_t fl = net_lock();
	if (k->state == INET_LISTEN) { /* a new backlog: nothing to change */
		net_unlock(fl);
		return 0;
	}
	if (k->state != INET_NEW || !k->pcb.tcp) {
		net_unlock(fl);
		return -EINVAL;
	}
	if (!k->pcb.tcp->local_port) /* Linux binds an unbound socket */
		e = tcp_bind(k->pcb.tcp, IP_ANY_TYPE, 0);
	lpcb = e == ERR_OK ? tcp_listen_with_backlog_and_err(k->pcb.tcp, 0, &e) : NULL;
	if (lpcb) { /* the listening pcb replaces (and freed) the first one */
		k->pcb.tcp = lpcb;
		k->state = INET_LISTEN;
		tcp_arg(lpcb, k);
		tcp_accept(lpcb, on_accept);
	}
	net_unlock(fl);
	return lpcb ? 0 : net_errno(e);
}

static bool has_pending(void *arg)
{
	struct inet_sock *k = arg;
	return k->npending || k->state != INET_LISTEN;
}

static struct socket *inet_accept(struct socket *s, bool nonblock)
{
	struct inet_sock *l = isk(s), *k;
	long r;

	if (s->type != SOCK_STREAM || l->state != INET_LISTEN)
		return ERR_PTR(-EINVAL);
	for (;;) {
		uint64_t fl = net_lock();
		if (l->npending) {
			k = list_first_entry(&l->pending, struct inet_sock, node);
			list_del(&k->node);
			l->npending--;
			net_unlock(fl);
			return k->s;
		}
		net_unlock(fl);
		if (nonblock)
			return ERR_PTR(-EAGAIN);
		if ((r = sock_wait(s, false, has_pending, l)))
			return ERR_PTR(r);
	}
}

static bool connect_done(void *arg)
{
	return ((struct inet_sock *)arg)->state != INET_CONNECTING;
}

static int tcp_connect_sock(struct socket *s, struct inet_sock *k, ip_addr_t *ip, u16_t port,
			    bool nonblock)
{
	err_t e;
	long r;

	uint64_t fl = net_lock();
	if (k->state == INET_CONNECTING || k->state == INET_CONNECTED || k->state == INET_LISTEN) {
		int st = k->state;
		net_unlock(fl);
		return st == INET_CONNECTING  ? -EALREADY
		       : st == INET_CONNECTED ? -EISCONN
					      : -EINVAL;
	}
	if (!k->pcb.tcp) {
		net_unlock(fl);
		return -EINVAL;
	}
	k->state = INET_CONNECTING;
	e = tcp_connect(k->pcb.tcp, ip, port, on_connected);
	if (e != ERR_OK)
		k->state = INET_NEW;
	net_unlock(fl);
	if (e != ERR_OK)
		return net_errno(e);
	if (nonblock)
		return -EINPROGRESS;
	if ((r = sock_wait(s, true, connect_done, k)))
		return r == -EAGAIN ? -ETIMEDOUT : r;
	if (k->state == INET_CONNECTED)
		return 0;
	r = s->err ? -s->err : -ECONNREFUSED;
	s->err = 0;
	return r;
}

static int inet_connect(struct socket *s, const void *addr, size_t len, bool nonblock)
{
	struct inet_sock *k = isk(s);
	ip_addr_t ip;
	u16_t port;
	int r = dest_from(s, addr, len, &ip, &port);

	if (r)
		return r;
	if (s->type == SOCK_STREAM)
		return tcp_connect_sock(s, k, &ip, port, nonblock);
	uint64_t fl = net_lock();
	err_t e = udp_connect(k->pcb.udp, &ip, port);
	if (e == ERR_OK)
		k->state = INET_CONNECTED;
	net_unlock(fl);
	return net_errno(e);
}

static bool can_send(void *arg)
{
	struct inet_sock *k = arg;
	return k->state != INET_CONNECTED || !k->pcb.tcp || tcp_sndbuf(k->pcb.tcp) > 0;
}

static long tcp_send_msg(struct socket *s, struct inet_sock *k, struct sock_msg *m, bool nonblock)
{
	size_t total = m->data.left, done = 0;
	uint8_t *buf = kmalloc(MIN(total ? total : 1, (size_t)BOUNCE_MAX));
	long r = 0;

	if (!buf)
		return -ENOMEM;
	while (done < total) {
		uint64_t fl = net_lock();
		size_t room =
			(k->state == INET_CONNECTED && k->pcb.tcp) ? tcp_sndbuf(k->pcb.tcp) : 0;
		bool dead = k->state != INET_CONNECTED || !k->pcb.tcp;
		net_unlock(fl);
		if (dead) {
			r = s->err ? -s->err : -EPIPE;
			break;
		}
		if (!room) {
			if (nonblock) {
				r = -EAGAIN;
				break;
			}
			if ((r = sock_wait(s, true, can_send, k)))
				break;
			continue;
		}
		size_t n = MIN(MIN(room, total - done), (size_t)BOUNCE_MAX);
		if ((r = sock_iter_from(&m->data, buf, n)))
			break;
		fl = net_lock();
		err_t e =
			k->pcb.tcp ? tcp_write(k->pcb.tcp, buf, n, TCP_WRITE_FLAG_COPY) : ERR_CLSD;
		if (e == ERR_OK)
			tcp_output(k->pcb.tcp);
		net_unlock(fl);
		if (e != ERR_OK) {
			r = e == ERR_MEM ? -ENOBUFS : -EPIPE;
			break;
		}
		done += n;
	}
	kfree(buf);
	return done ? (long)done : r;
}

static long udp_send_msg(struct socket *s, struct inet_sock *k, struct sock_msg *m)
{
	size_t n = m->data.left;
	ip_addr_t ip;
	u16_t port = 0;
	struct pbuf *p;
	err_t e;
	int r;

	if (n > 65507)
		return -EMSGSIZE;
	if (m->name && (r = dest_from(s, m->name, m->namelen, &ip, &port)))
		return r;
	if (!m->name && k->state != INET_CONNECTED)
		return -EDESTADDRREQ;
	uint8_t *buf = kmalloc(n ? n : 1);
	if (!buf)
		return -ENOMEM;
	if ((r = sock_iter_from(&m->data, buf, n))) {
		kfree(buf);
		return r;
	}
	uint64_t fl = net_lock();
	p = pbuf_alloc(PBUF_TRANSPORT, n, PBUF_RAM);
	if (p) {
		pbuf_take(p, buf, n);
		e = m->name ? udp_sendto(k->pcb.udp, p, &ip, port) : udp_send(k->pcb.udp, p);
		pbuf_free(p);
	} else {
		e = ERR_MEM;
	}
	net_unlock(fl);
	kfree(buf);
	return e == ERR_OK ? (long)n : net_errno(e);
}

static long inet_sendmsg(struct socket *s, struct sock_msg *m, int flags, bool nonblock)
{
	return s->type == SOCK_STREAM ? tcp_send_msg(s, isk(s), m, nonblock)
				      : udp_send_msg(s, isk(s), m);
}

static bool can_recv(void *arg)
{
	struct inet_sock *k = arg;
	if (k->s->type == SOCK_DGRAM)
		return !list_empty(&k->dgrams);
	return k->rx || k->rx_eof || k->state != INET_CONNECTED;
}

/* Wait until a receive has something to return (data, a datagram, the end
 * or an error): 0, -EAGAIN when `nonblock`, or what sock_wait gives. */
static long wait_readable(struct socket *s, struct inet_sock *k, bool nonblock)
{
	for (;;) {
		uint64_t fl = net_lock();
		bool ready = can_recv(k);
		net_unlock(fl);
		if (ready)
			return 0;
		if (nonblock)
			return -EAGAIN;
		long r = sock_wait(s, false, can_recv, k);
		if (r)
			return r;
	}
}

/* Drop the first `n` read bytes of the receive chain. */
static void rx_consume(struct inet_sock *k, size_t n)
{
	k->rx_off += n;
	while (k->rx && k->rx_off >= k->rx->len) {
		struct pbuf *p = k->rx;
		k->rx_off -= p->len;
		k->rx = p->next;
		if (k->rx)
			pbuf_ref(k->rx);
		pbuf_free(p); /* frees p only: its successor has our reference */
	}
}

static long tcp_recv_data(struct socket *s, struct inet_sock *k, struct sock_msg *m, int flags,
			  bool nonblock)
{
	size_t want = m->data.left, n;
	uint8_t *buf;
	long r;

	if ((r = wait_readable(s, k, nonblock)))
		return r;
	buf = kmalloc(MIN(want ? want : 1, (size_t)BOUNCE_MAX));
	if (!buf)
		return -ENOMEM;
	uint64_t fl = net_lock();
	n = k->rx ? MIN(MIN(want, (size_t)BOUNCE_MAX), (size_t)(k->rx->tot_len - k->rx_off)) : 0;
	if (n)
		pbuf_copy_partial(k->rx, buf, n, k->rx_off);
	if (n && !(flags & MSG_PEEK)) {
		rx_consume(k, n);
		if (k->pcb.tcp)
			tcp_recved(k->pcb.tcp, n);
	}
	int err = !n && !k->rx_eof && k->state == INET_CLOSED ? s->err : 0;
	net_unlock(fl);
	r = n ? sock_iter_to(&m->data, buf, n) : 0;
	kfree(buf);
	if (err) {
		s->err = 0;
		return -err;
	}
	return r ? r : (long)n;
}

static long udp_recv_data(struct socket *s, struct inet_sock *k, struct sock_msg *m, int flags,
			  bool nonblock)
{
	struct dgram *d;
	long r;

	if ((r = wait_readable(s, k, nonblock)))
		return r;
	uint64_t fl = net_lock();
	d = list_first_entry(&k->dgrams, struct dgram, node);
	if (!(flags & MSG_PEEK)) {
		list_del(&d->node);
		k->dgram_bytes -= d->p->tot_len;
	}
	net_unlock(fl);
	size_t len = d->p->tot_len, n = MIN(len, m->data.left);
	uint8_t *buf = kmalloc(n ? n : 1);
	r = -ENOMEM;
	if (buf) {
		fl = net_lock();
		pbuf_copy_partial(d->p, buf, n, 0);
		net_unlock(fl);
		r = sock_iter_to(&m->data, buf, n);
		kfree(buf);
	}
	if (m->name)
		m->namelen = addr_to(s, &d->from, d->port, m->name);
	if (k->cm_want)
		inet_rxinfo_put(&d->ri, k->cm_want, m);
	if (len > n)
		m->flags_out |= MSG_TRUNC;
	if (!(flags & MSG_PEEK)) {
		fl = net_lock();
		pbuf_free(d->p);
		net_unlock(fl);
		kfree(d);
	}
	if (r)
		return r;
	return (flags & MSG_TRUNC) ? (long)len : (long)n;
}

static long inet_recvmsg(struct socket *s, struct sock_msg *m, int flags, bool nonblock)
{
	if (s->type == SOCK_DGRAM)
		return udp_recv_data(s, isk(s), m, flags, nonblock);
	if (isk(s)->state == INET_NEW || isk(s)->state == INET_LISTEN)
		return -ENOTCONN;
	long r = tcp_recv_data(s, isk(s), m, flags, nonblock);
	if (m->name)
		m->namelen = 0;
	return r;
}

static int inet_shutdown(struct socket *s, int how)
{
	struct inet_sock *k = isk(s);
	err_t e = ERR_OK;

	if (s->type != SOCK_STREAM) {
		return k->state == INET_CONNECTED ? 0 : -ENOTCONN;
	}
	uint64_t fl = net_lock();
	if (k->state != INET_CONNECTED || !k->pcb.tcp) {
		net_unlock(fl);
		return k->state == INET_LISTEN ? 0 : -ENOTCONN;
	}
	e = tcp_shutdown(k->pcb.tcp, how != SHUT_WR, how != SHUT_RD);
	if (how != SHUT_WR)
		k->rx_eof = true;
	changed(k);
	net_unlock(fl);
	return net_errno(e);
}

static int inet_getname(struct socket *s, void *addr, size_t *len, bool peer)
{
	struct inet_sock *k = isk(s);
	uint64_t fl = net_lock();
	const ip_addr_t *ip = NULL;
	u16_t port = 0;

	if (s->type == SOCK_STREAM && k->pcb.tcp) {
		ip = peer ? &k->pcb.tcp->remote_ip : &k->pcb.tcp->local_ip;
		port = peer ? k->pcb.tcp->remote_port : k->pcb.tcp->local_port;
	} else if (s->type == SOCK_DGRAM && k->pcb.udp) {
		ip = peer ? &k->pcb.udp->remote_ip : &k->pcb.udp->local_ip;
		port = peer ? k->pcb.udp->remote_port : k->pcb.udp->local_port;
	}
	bool connected = k->state == INET_CONNECTED;
	ip_addr_t copy;
	if (ip)
		ip_addr_copy(copy, *ip);
	net_unlock(fl);
	if (peer && !connected)
		return -ENOTCONN;
	*len = addr_to(s, ip ? &copy : NULL, port, addr);
	return 0;
}

static unsigned inet_poll(struct socket *s, uint64_t *gen)
{
	struct inet_sock *k = isk(s);
	unsigned mask = 0;
	uint64_t fl = net_peek_lock(); /* epoll asks every socket: keep it cheap */

	if (s->type == SOCK_DGRAM) {
		if (!list_empty(&k->dgrams))
			mask |= POLLIN | POLLRDNORM;
		mask |= POLLOUT | POLLWRNORM;
	} else if (k->state == INET_LISTEN) {
		if (k->npending)
			mask |= POLLIN | POLLRDNORM;
	} else if (k->state == INET_CONNECTED || k->state == INET_CLOSED) {
		if (k->rx || k->rx_eof)
			mask |= POLLIN | POLLRDNORM;
		if (k->rx_eof)
			mask |= POLLRDHUP;
		if (k->state == INET_CONNECTED && k->pcb.tcp && tcp_sndbuf(k->pcb.tcp) > 0)
			mask |= POLLOUT | POLLWRNORM;
		if (k->state == INET_CLOSED) /* reset, refused: a write would fail at once */
			mask |= POLLHUP | POLLIN | POLLOUT | (s->err ? POLLERR : 0);
	} else if (k->state == INET_NEW) {
		mask |= POLLOUT | POLLHUP; /* Linux: an unconnected TCP socket */
	}
	if (gen)
		*gen = k->gen;
	net_peek_unlock(fl);
	return mask;
}

static long inet_ioctl(struct socket *s, unsigned cmd, uint64_t arg)
{
	struct inet_sock *k = isk(s);
	int n = 0;

	if (cmd != FIONREAD)
		return -ENOTTY;
	uint64_t fl = net_lock();
	if (s->type == SOCK_STREAM)
		n = k->rx ? (int)(k->rx->tot_len - k->rx_off) : 0;
	else if (!list_empty(&k->dgrams))
		n = list_first_entry(&k->dgrams, struct dgram, node)->p->tot_len;
	net_unlock(fl);
	return copy_to_user(arg, &n, sizeof(n));
}

/* The TTL (hop limit) or TOS (traffic class) field of the socket's pcb that
 * (level, name) names, or NULL: IP_TTL, IPV6_UNICAST_HOPS, IP_TOS,
 * IPV6_TCLASS.  Both pcb kinds start with lwIP's IP_PCB fields.  Net lock
 * held. */
static u8_t *ip_field(struct inet_sock *k, int level, int name)
{
	struct ip_pcb *pcb = (struct ip_pcb *)k->pcb.udp;

	if (!pcb)
		return NULL;
	if ((level == IPPROTO_IP && name == IP_TTL) ||
	    (level == IPPROTO_IPV6 && name == IPV6_UNICAST_HOPS))
		return &pcb->ttl;
	if ((level == IPPROTO_IP && name == IP_TOS) ||
	    (level == IPPROTO_IPV6 && name == IPV6_TCLASS))
		return &pcb->tos;
	return NULL;
}

/* The value ip_field's option `name` takes from `v`, as Linux checks it
 * (do_ip_setsockopt, do_ipv6_setsockopt): -1 is the default; -EINVAL. */
static int ip_field_value(int level, int name, int v)
{
	if (level == IPPROTO_IP && name == IP_TOS)
		return v & 0xff;
	if (level == IPPROTO_IP && name == IP_TTL && v != -1 && (v < 1 || v > 255))
		return -EINVAL;
	if (v < -1 || v > 255)
		return -EINVAL;
	if (v == -1)
		return name == IP_TTL || name == IPV6_UNICAST_HOPS ? IP_DEFAULT_TTL : 0;
	return v;
}

/* setsockopt of ip_field's options: 0, -EINVAL, or 1 when (level, name) is
 * not one of them. */
static int ip_field_set(struct inet_sock *k, int level, int name, int v)
{
	int val = ip_field_value(level, name, v), r = 1;
	uint64_t fl = net_lock();
	u8_t *f = ip_field(k, level, name);

	if (f) {
		r = val < 0 ? val : 0;
		if (val >= 0)
			*f = (u8_t)val;
	}
	net_unlock(fl);
	return r;
}

/* getsockopt of ip_field's options: true (and *v) when it is one. */
static bool ip_field_get(struct inet_sock *k, int level, int name, int *v)
{
	uint64_t fl = net_lock();
	u8_t *f = ip_field(k, level, name);

	if (f)
		*v = *f;
	net_unlock(fl);
	return f != NULL;
}

/* UDPLITE_SEND_CSCOV and UDPLITE_RECV_CSCOV, as Linux's udp_lib_setsockopt
 * takes them: 0 is the whole datagram, less than the header becomes 8. */
static int lite_setopt(struct socket *s, int name, int v)
{
	struct inet_sock *k = isk(s);
	u16_t cov = v != 0 && v < UDPLITE_MIN_CSCOV ? UDPLITE_MIN_CSCOV
		    : v > UDPLITE_MAX_CSCOV	    ? UDPLITE_MAX_CSCOV
						    : (u16_t)v;

	if (!is_lite(s) || (name != UDPLITE_SEND_CSCOV && name != UDPLITE_RECV_CSCOV))
		return -ENOPROTOOPT;
	uint64_t fl = net_lock();
	if (name == UDPLITE_SEND_CSCOV) {
		k->pcb.udp->chksum_len_tx = cov;
	} else {
		k->pcb.udp->chksum_len_rx = cov;
		k->lite_rx_set = true;
	}
	net_unlock(fl);
	return 0;
}

static bool lite_getopt(struct socket *s, int level, int name, int *v)
{
	struct inet_sock *k = isk(s);

	/* Linux answers on a plain UDP socket too (0) */
	if (level != IPPROTO_UDPLITE || s->type != SOCK_DGRAM ||
	    (name != UDPLITE_SEND_CSCOV && name != UDPLITE_RECV_CSCOV))
		return false;
	uint64_t fl = net_lock();
	*v = name == UDPLITE_SEND_CSCOV ? k->pcb.udp->chksum_len_tx : k->pcb.udp->chksum_len_rx;
	net_unlock(fl);
	return true;
}

static int inet_setsockopt(struct socket *s, int level, int name, const void *val, size_t len)
{
	struct inet_sock *k = isk(s);
	int v;

	if (len < sizeof(v))
		return -EINVAL;
	memcpy(&v, val, sizeof(v));
	if (level == IPPROTO_TCP && name == TCP_NODELAY && s->type == SOCK_STREAM) {
		uint64_t fl = net_lock();
		if (k->pcb.tcp) {
			if (v)
				tcp_nagle_disable(k->pcb.tcp);
			else
				tcp_nagle_enable(k->pcb.tcp);
		}
		net_unlock(fl);
		return 0;
	}
	if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY && s->family == AF_INET6) {
		k->v6only = v != 0; /* recorded; lwIP's dual-stack pcbs take both */
		return 0;
	}
	if (inet_cmsg_setopt(&k->cm_want, s->family == AF_INET6, level, name, v))
		return 0;
	if (level == IPPROTO_UDPLITE)
		return lite_setopt(s, name, v);
	int r = ip_field_set(k, level, name, v);
	if (r <= 0)
		return r;
	if (level == IPPROTO_TCP || level == IPPROTO_IP || level == IPPROTO_IPV6)
		return 0; /* TCP_KEEPIDLE, IP_TOS...: accepted, as hints */
	return -ENOPROTOOPT;
}

static int inet_getsockopt(struct socket *s, int level, int name, void *val, size_t *len)
{
	struct inet_sock *k = isk(s);
	int v = 0;

	if (level == IPPROTO_TCP && name == TCP_NODELAY && s->type == SOCK_STREAM) {
		uint64_t fl = net_lock();
		v = k->pcb.tcp ? tcp_nagle_disabled(k->pcb.tcp) != 0 : 0;
		net_unlock(fl);
	} else if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY && s->family == AF_INET6) {
		v = k->v6only;
	} else if (!inet_cmsg_getopt(k->cm_want, s->family == AF_INET6, level, name, &v) &&
		   !ip_field_get(k, level, name, &v) && !lite_getopt(s, level, name, &v)) {
		return -ENOPROTOOPT;
	}
	if (*len < sizeof(v))
		return -EINVAL;
	memcpy(val, &v, sizeof(v));
	*len = sizeof(v);
	return 0;
}

static void tcp_drop(struct tcp_pcb *pcb, bool listener)
{
	tcp_arg(pcb, NULL);
	if (!listener) {
		tcp_recv(pcb, NULL);
		tcp_sent(pcb, NULL);
		tcp_err(pcb, NULL);
	} else {
		tcp_accept(pcb, NULL);
	}
	if (tcp_close(pcb) != ERR_OK)
		tcp_abort(pcb);
}

static void inet_release(struct socket *s)
{
	struct inet_sock *k = isk(s), *c, *tmp;
	struct dgram *d, *dt;
	uint64_t fl = net_lock();

	if (s->type == SOCK_STREAM) {
		list_for_each_entry_safe(c, tmp, &k->pending, node) { /* never accepted */
			list_del(&c->node);
			if (c->pcb.tcp) {
				tcp_arg(c->pcb.tcp, NULL);
				tcp_abort(c->pcb.tcp);
			}
			if (c->rx)
				pbuf_free(c->rx);
			c->pcb.tcp = NULL;
			c->rx = NULL;
			sock_free(c->s); /* runs inet_release for it: nothing left */
		}
		if (k->pcb.tcp)
			tcp_drop(k->pcb.tcp, k->state == INET_LISTEN);
		if (k->rx)
			pbuf_free(k->rx);
	} else {
		if (k->pcb.udp)
			udp_remove(k->pcb.udp);
		list_for_each_entry_safe(d, dt, &k->dgrams, node) {
			pbuf_free(d->p);
			kfree(d);
		}
	}
	net_unlock(fl);
	kfree(k);
	s->priv = NULL;
}

static const struct sock_ops inet_ops = {
	.bind = inet_bind,
	.listen = inet_listen,
	.accept = inet_accept,
	.connect = inet_connect,
	.sendmsg = inet_sendmsg,
	.recvmsg = inet_recvmsg,
	.shutdown = inet_shutdown,
	.getname = inet_getname,
	.poll = inet_poll,
	.ioctl = inet_ioctl,
	.setsockopt = inet_setsockopt,
	.getsockopt = inet_getsockopt,
	.release = inet_release,
};

static int inet_create(struct socket *s, int protocol)
{
	struct inet_sock *k;

	if (!net_ready())
		net_init_loopback(); /* no device: 127.0.0.1 and ::1 still work */
	if (s->type == SOCK_STREAM && protocol && protocol != IPPROTO_TCP)
		return -EPROTONOSUPPORT;
	if (s->type == SOCK_DGRAM && protocol && protocol != IPPROTO_UDP &&
	    protocol != IPPROTO_UDPLITE)
		return -EPROTONOSUPPORT;
	if (s->type != SOCK_STREAM && s->type != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	if (!(k = isk_new(s)))
		return -ENOMEM;
	uint64_t fl = net_lock();
	if (s->type == SOCK_STREAM) {
		k->pcb.tcp = tcp_new_ip_type(ip_type(s));
		if (k->pcb.tcp)
			tcp_hooks(k->pcb.tcp, k);
	} else {
		k->pcb.udp = udp_new_ip_type(ip_type(s));
		if (k->pcb.udp)
			udp_recv(k->pcb.udp, on_udp, k);
		if (k->pcb.udp && is_lite(s))
			udp_setflags(k->pcb.udp, UDP_FLAGS_UDPLITE);
	}
	bool ok = k->pcb.tcp != NULL; /* the union: either pcb */
	net_unlock(fl);
	if (!ok) {
		kfree(k);
		s->priv = NULL;
		return -ENOMEM;
	}
	s->ops = &inet_ops;
	return 0;
}

const struct sock_family inet_family = { .family = AF_INET, .create = inet_create };
const struct sock_family inet6_family = { .family = AF_INET6, .create = inet_create };
