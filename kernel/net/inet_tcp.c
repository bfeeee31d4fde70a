/*
 * TCP sockets (SOCK_STREAM of AF_INET/AF_INET6) over lwIP's raw API: lwIP's
 * callbacks, listen and accept, connect, send and receive through a bounce
 * buffer, and dropping a pcb.  inet.c dispatches here and keeps what UDP
 * shares (addresses, options, poll, release); the locking rules are at its
 * top.  Semantics: man 7 tcp.
 */
#include "net/inet_internal.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "net/lwip/net.h"
#include "lwip/tcp.h"

#define BOUNCE_MAX (64 * 1024) /* the most one copy moves through the kernel */

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
	inet_changed(k);
	return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	if (arg)
		inet_changed(arg);
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
	inet_changed(k);
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct inet_sock *k = arg;

	if (k) {
		k->state = INET_CONNECTED;
		inet_changed(k);
	}
	return ERR_OK;
}

void inet_tcp_hooks(struct tcp_pcb *pcb, struct inet_sock *k)
{
	tcp_arg(pcb, k);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
}

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
	if (!ns || !(k = inet_sock_new(ns))) {
		if (ns)
			sock_free(ns);
		tcp_abort(newpcb);
		return ERR_ABRT;
	}
	k->pcb.tcp = newpcb;
	k->state = INET_CONNECTED;
	inet_tcp_hooks(newpcb, k);
	list_add_tail(&k->node, &l->pending);
	l->npending++;
	inet_changed(l);
	return ERR_OK;
}

/* ---- the operations ---- */

/* `backlog` is not enforced: the queue holds up to SOMAXCONN (on_accept). */
int inet_tcp_listen(struct socket *s, int backlog)
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

struct socket *inet_tcp_accept(struct socket *s, bool nonblock)
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

int inet_tcp_connect(struct socket *s, struct inet_sock *k, ip_addr_t *ip, u16_t port,
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

static bool can_send(void *arg)
{
	struct inet_sock *k = arg;
	return k->state != INET_CONNECTED || !k->pcb.tcp || tcp_sndbuf(k->pcb.tcp) > 0;
}

long inet_tcp_send(struct socket *s, struct inet_sock *k, struct sock_msg *m, bool nonblock)
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

long inet_tcp_recv(struct socket *s, struct inet_sock *k, struct sock_msg *m, int flags,
		   bool nonblock)
{
	size_t want = m->data.left, n;
	uint8_t *buf;
	long r;

	if ((r = inet_wait_readable(s, k, nonblock)))
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

void inet_tcp_drop(struct tcp_pcb *pcb, bool listener)
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
