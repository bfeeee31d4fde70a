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
 *
 * This file holds what both protocols share: addresses, socket options,
 * the socket operations and their dispatch by type; TCP is in inet_tcp.c,
 * UDP and UDP-Lite in inet_udp.c (inet_internal.h is what they share).
 */
#include "net/inet_internal.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/uaccess.h"
#include "linux/uapi.h"
#include "net/lwip/net.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"

#define IPPROTO_TCP	  6
#define IPPROTO_UDP	  17
#define TCP_NODELAY	  1
#define IPV6_UNICAST_HOPS 16
#define IPV6_V6ONLY	  26
#define SOCKADDR_IN_LEN	  16
#define SOCKADDR_IN6_LEN  28

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
int inet_dest_from(struct socket *s, const void *addr, size_t len, ip_addr_t *ip, u16_t *port)
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
size_t inet_addr_to(struct socket *s, const ip_addr_t *ip, u16_t port, void *out)
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

/* ---- the operations ---- */

struct inet_sock *inet_sock_new(struct socket *s)
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

static int inet_connect(struct socket *s, const void *addr, size_t len, bool nonblock)
{
	struct inet_sock *k = isk(s);
	ip_addr_t ip;
	u16_t port;
	int r = inet_dest_from(s, addr, len, &ip, &port);

	if (r)
		return r;
	if (s->type == SOCK_STREAM)
		return inet_tcp_connect(s, k, &ip, port, nonblock);
	uint64_t fl = net_lock();
	err_t e = udp_connect(k->pcb.udp, &ip, port);
	if (e == ERR_OK)
		k->state = INET_CONNECTED;
	net_unlock(fl);
	return net_errno(e);
}

static long inet_sendmsg(struct socket *s, struct sock_msg *m, int flags, bool nonblock)
{
	return s->type == SOCK_STREAM ? inet_tcp_send(s, isk(s), m, nonblock)
				      : inet_udp_send(s, isk(s), m);
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
long inet_wait_readable(struct socket *s, struct inet_sock *k, bool nonblock)
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

static long inet_recvmsg(struct socket *s, struct sock_msg *m, int flags, bool nonblock)
{
	if (s->type == SOCK_DGRAM)
		return inet_udp_recv(s, isk(s), m, flags, nonblock);
	if (isk(s)->state == INET_NEW || isk(s)->state == INET_LISTEN)
		return -ENOTCONN;
	long r = inet_tcp_recv(s, isk(s), m, flags, nonblock);
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
	inet_changed(k);
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
	*len = inet_addr_to(s, ip ? &copy : NULL, port, addr);
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
		return inet_udp_lite_setopt(s, name, v);
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
		   !ip_field_get(k, level, name, &v) && !inet_udp_lite_getopt(s, level, name, &v)) {
		return -ENOPROTOOPT;
	}
	if (*len < sizeof(v))
		return -EINVAL;
	memcpy(val, &v, sizeof(v));
	*len = sizeof(v);
	return 0;
}

static void inet_release(struct socket *s)
{
	struct inet_sock *k = isk(s), *c, *tmp;
	struct list_head gone = LIST_HEAD_INIT(gone);
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
			list_add_tail(&c->node, &gone); /* freed below, unlocked */
		}
		if (k->pcb.tcp)
			inet_tcp_drop(k->pcb.tcp, k->state == INET_LISTEN);
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
	/* sock_free runs inet_release for each, which takes net_lock: not
	 * under it (it is not recursive; closing a listener with a connection
	 * never accepted used to spin there for good). */
	list_for_each_entry_safe(c, tmp, &gone, node)
		sock_free(c->s);
	kfree(k);
	s->priv = NULL;
}

/* Every change of an inet socket wakes its socket's queue (inet_changed). */
static struct waitq *inet_waitq(struct socket *s)
{
	return &s->wq;
}

static const struct sock_ops inet_ops = {
	.bind = inet_bind,
	.listen = inet_tcp_listen,
	.accept = inet_tcp_accept,
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
	.waitq = inet_waitq,
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
	if (!(k = inet_sock_new(s)))
		return -ENOMEM;
	uint64_t fl = net_lock();
	if (s->type == SOCK_STREAM) {
		k->pcb.tcp = tcp_new_ip_type(ip_type(s));
		if (k->pcb.tcp)
			inet_tcp_hooks(k->pcb.tcp, k);
	} else {
		k->pcb.udp = udp_new_ip_type(ip_type(s));
		if (k->pcb.udp)
			udp_recv(k->pcb.udp, inet_udp_on_recv, k);
		if (k->pcb.udp && inet_udp_is_lite(s))
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
