/*
 * UDP and UDP-Lite sockets (SOCK_DGRAM of AF_INET/AF_INET6) over lwIP's raw
 * API: the receive callback and its queue of datagrams, send and receive,
 * and UDP-Lite's checksum coverage options.  inet.c dispatches here; the
 * locking rules are at its top.  Semantics: man 7 udp, udplite.
 */
#include "net/inet_internal.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "net/lwip/net.h"
#include "lwip/udp.h"

/* UDP-Lite's options (include/uapi/linux/udp.h); a checksum coverage counts
 * the 8-byte header. */
#define UDPLITE_SEND_CSCOV 10
#define UDPLITE_RECV_CSCOV 11
#define UDPLITE_MIN_CSCOV  8
#define UDPLITE_MAX_CSCOV  0xffff

bool inet_udp_is_lite(const struct socket *s)
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

	if (lite != inet_udp_is_lite(k->s))
		return false;
	if (!lite || !k->lite_rx_set)
		return true;
	cov = lwip_ntohs(h->len) ? lwip_ntohs(h->len) : full; /* 0: all of it */
	if (cov >= full)
		return true;
	return k->pcb.udp->chksum_len_rx && cov >= k->pcb.udp->chksum_len_rx;
}

void inet_udp_on_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *from,
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
	inet_changed(k);
}

long inet_udp_send(struct socket *s, struct inet_sock *k, struct sock_msg *m)
{
	size_t n = m->data.left;
	ip_addr_t ip;
	u16_t port = 0;
	struct pbuf *p;
	err_t e;
	int r;

	if (n > 65507)
		return -EMSGSIZE;
	if (m->name && (r = inet_dest_from(s, m->name, m->namelen, &ip, &port)))
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

long inet_udp_recv(struct socket *s, struct inet_sock *k, struct sock_msg *m, int flags,
		   bool nonblock)
{
	struct dgram *d;
	long r;

	if ((r = inet_wait_readable(s, k, nonblock)))
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
		m->namelen = inet_addr_to(s, &d->from, d->port, m->name);
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

/* UDPLITE_SEND_CSCOV and UDPLITE_RECV_CSCOV, as Linux's udp_lib_setsockopt
 * takes them: 0 is the whole datagram, less than the header becomes 8. */
int inet_udp_lite_setopt(struct socket *s, int name, int v)
{
	struct inet_sock *k = isk(s);
	u16_t cov = v != 0 && v < UDPLITE_MIN_CSCOV ? UDPLITE_MIN_CSCOV
		    : v > UDPLITE_MAX_CSCOV	    ? UDPLITE_MAX_CSCOV
						    : (u16_t)v;

	if (!inet_udp_is_lite(s) || (name != UDPLITE_SEND_CSCOV && name != UDPLITE_RECV_CSCOV))
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

bool inet_udp_lite_getopt(struct socket *s, int level, int name, int *v)
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
