/*
 * AF_NETLINK sockets, NETLINK_ROUTE only (man 7 netlink, man 7 rtnetlink):
 * enough route netlink for getifaddrs, if_nameindex and `ip addr`.  A
 * request sent to the kernel is answered at once: the replies are queued on
 * the socket as datagrams the program then receives.  RTM_GETLINK and
 * RTM_GETADDR dumps (NLM_F_DUMP) list the interfaces of net/ifaces.c as
 * RTM_NEWLINK and RTM_NEWADDR messages ended by NLMSG_DONE; RTM_GETLINK
 * also answers for one interface; anything else gets an NLMSG_ERROR with
 * EOPNOTSUPP.  There is no multicast: a program that subscribes to groups
 * is accepted and never hears of a change (none happens).
 *
 * Port ids are Linux's: the first socket bound without one takes the pid,
 * later ones negative numbers from -4096 down.  Replies carry the
 * requester's port id and sequence number, which glibc checks.
 */
#include "net/netlink.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"

/* linux/netlink.h */
#define NETLINK_ROUTE	   0
#define SOL_NETLINK	   270
#define NLMSG_NOOP	   1
#define NLMSG_ERROR	   2
#define NLMSG_DONE	   3
#define NLMSG_MIN_TYPE	   0x10
#define NLM_F_REQUEST	   0x1
#define NLM_F_MULTI	   0x2
#define NLM_F_ACK	   0x4
#define NLM_F_DUMP	   0x300 /* NLM_F_ROOT | NLM_F_MATCH */
#define NLMSG_ALIGN(n)	   (((n) + 3) & ~(size_t)3)
#define NETLINK_MAX_OPTION 12 /* NETLINK_GET_STRICT_CHK: the options accepted */
/* linux/rtnetlink.h, linux/if_link.h, linux/if_addr.h */
#define RTM_NEWLINK	16
#define RTM_GETLINK	18
#define RTM_NEWADDR	20
#define RTM_GETADDR	22
#define IFLA_ADDRESS	1
#define IFLA_BROADCAST	2
#define IFLA_IFNAME	3
#define IFLA_MTU	4
#define IFLA_TXQLEN	13
#define IFLA_OPERSTATE	16
#define IFLA_LINKMODE	17
#define IFLA_CARRIER	33
#define IFA_ADDRESS	1
#define IFA_LOCAL	2
#define IFA_LABEL	3
#define IFA_BROADCAST	4
#define IFA_CACHEINFO	6
#define IFA_FLAGS	8
#define IFA_F_PERMANENT 0x80
#define IFLA_QDISC	6
#define INFINITY_LIFE	0xffffffffu /* IFA_CACHEINFO: "forever" */
#define QDISC		"noqueue"   /* no queueing discipline: frames go straight out */

#define NL_PORT_ROVER_START (-4096) /* Linux's first automatic port id */
#define NL_MONOS_PID	    1	    /* getpid() in monos */
#define NL_DGRAM_MAX	    3776    /* replies per datagram: Linux's NLMSG_GOODSIZE */
#define NL_MSG_MAX	    512	    /* one reply message: ample for ours */
#define NL_REQ_MAX	    65536   /* the largest request taken */

struct nlmsghdr_k {
	uint32_t len;
	uint16_t type, flags;
	uint32_t seq, pid;
};
struct sockaddr_nl_k {
	uint16_t family, pad;
	uint32_t pid, groups;
};
struct ifinfomsg_k {
	uint8_t family, pad;
	uint16_t type;
	int32_t index;
	uint32_t flags, change;
};
struct ifaddrmsg_k {
	uint8_t family, prefixlen, flags, scope;
	uint32_t index;
};
struct rtattr_k {
	uint16_t len, type;
};
struct ifa_cacheinfo_k {
	uint32_t prefered, valid, cstamp, tstamp;
};

/* A datagram waiting to be received. */
struct nl_dgram {
	struct list_head node;
	size_t len;
	uint8_t data[];
};

/* A netlink socket; one CPU runs the kernel, so no lock guards it. */
struct nl_sock {
	uint32_t portid; /* 0 until bound */
	struct list_head queue;
	size_t queued; /* bytes in the queue, against SO_RCVBUF */
	uint64_t gen;  /* bumped when a datagram is queued (epoll ET) */
	struct list_head all;
};

static struct list_head nl_socks = LIST_HEAD_INIT(nl_socks);
static int32_t nl_rover = NL_PORT_ROVER_START;

static struct nl_sock *nl_sk(struct socket *s)
{
	return s->priv;
}

/* ---------------------------------------------------------- port ids */

static bool nl_port_used(uint32_t portid)
{
	struct nl_sock *n;

	list_for_each_entry(n, &nl_socks, all)
		if (n->portid == portid)
			return true;
	return false;
}

/* Bind to the pid if free, else the next free negative id. */
static void nl_autobind(struct nl_sock *n)
{
	uint32_t id = NL_MONOS_PID;

	if (n->portid)
		return;
	while (nl_port_used(id))
		id = (uint32_t)nl_rover--;
	n->portid = id;
}

static int nl_addr_check(const void *addr, size_t len, struct sockaddr_nl_k *sa)
{
	if (len < sizeof(*sa))
		return -EINVAL;
	memcpy(sa, addr, sizeof(*sa));
	return sa->family == AF_NETLINK ? 0 : -EINVAL;
}

static int nl_bind(struct socket *s, const void *addr, size_t len, unsigned mode)
{
	struct nl_sock *n = nl_sk(s);
	struct sockaddr_nl_k sa;
	int err;

	if ((err = nl_addr_check(addr, len, &sa)))
		return err;
	if (n->portid) /* bound already: only the same id again */
		return sa.pid && sa.pid != n->portid ? -EINVAL : 0;
	if (!sa.pid) {
		nl_autobind(n);
		return 0;
	}
	if (nl_port_used(sa.pid))
		return -EADDRINUSE;
	n->portid = sa.pid;
	return 0;
}

/* connect only sets the default destination: it must be the kernel. */
static int nl_connect(struct socket *s, const void *addr, size_t len, bool nonblock)
{
	struct sockaddr_nl_k sa;
	int err;

	if ((err = nl_addr_check(addr, len, &sa)))
		return err;
	if (sa.pid)
		return -ECONNREFUSED; /* no other netlink listener exists here */
	nl_autobind(nl_sk(s));
	return 0;
}

static int nl_getname(struct socket *s, void *addr, size_t *len, bool peer)
{
	struct sockaddr_nl_k sa = { AF_NETLINK, 0, peer ? 0 : nl_sk(s)->portid, 0 };

	memcpy(addr, &sa, sizeof(sa));
	*len = sizeof(sa);
	return 0;
}

/* ------------------------------------------------------------ replies */

/* One reply message being built. */
struct nl_msg {
	uint8_t b[NL_MSG_MAX];
	size_t len;
};

/* The replies to one request, gathered into datagrams. */
struct nl_out {
	struct socket *s;
	const struct nlmsghdr_k *req;
	uint8_t *dgram; /* NL_DGRAM_MAX bytes */
	size_t len;
	int err; /* -ENOBUFS when the receive queue is full */
};

/* Reserve `n` zeroed, aligned bytes at the end of `m`. */
static void *nl_put(struct nl_msg *m, size_t n)
{
	void *p = m->b + m->len;

	BUG_ON(m->len + NLMSG_ALIGN(n) > sizeof(m->b));
	memset(p, 0, NLMSG_ALIGN(n));
	m->len += NLMSG_ALIGN(n);
	return p;
}

static void nl_attr(struct nl_msg *m, uint16_t type, const void *data, size_t n)
{
	struct rtattr_k *a = nl_put(m, sizeof(*a) + n);

	a->len = sizeof(*a) + n;
	a->type = type;
	memcpy(a + 1, data, n);
}

static void nl_attr_u32(struct nl_msg *m, uint16_t type, uint32_t v)
{
	nl_attr(m, type, &v, sizeof(v));
}

static void nl_attr_u8(struct nl_msg *m, uint16_t type, uint8_t v)
{
	nl_attr(m, type, &v, sizeof(v));
}

/* Start a reply of `type` to the request, with `flags`. */
static void nl_begin(struct nl_out *o, struct nl_msg *m, uint16_t type, uint16_t flags)
{
	struct nlmsghdr_k *h;

	m->len = 0;
	h = nl_put(m, sizeof(*h));
	h->type = type;
	h->flags = flags;
	h->seq = o->req->seq;
	h->pid = nl_sk(o->s)->portid;
}

/* Queue the datagram gathered so far. */
static void nl_flush(struct nl_out *o)
{
	struct nl_sock *n = nl_sk(o->s);
	struct nl_dgram *d;

	if (!o->len)
		return;
	if (n->queued + o->len > (size_t)o->s->rcvbuf || !(d = kmalloc(sizeof(*d) + o->len))) {
		o->err = -ENOBUFS; /* Linux's answer to a full receive queue */
		o->len = 0;
		return;
	}
	d->len = o->len;
	memcpy(d->data, o->dgram, o->len);
	list_add_tail(&d->node, &n->queue);
	n->queued += d->len;
	n->gen++;
	o->len = 0;
	sock_wake(o->s); /* its reader and pollers: no one else reads it */
}

/* Finish message `m` and add it to the datagram (a new one when full). */
static void nl_end(struct nl_out *o, struct nl_msg *m)
{
	((struct nlmsghdr_k *)m->b)->len = m->len;
	if (o->len + m->len > NL_DGRAM_MAX)
		nl_flush(o);
	memcpy(o->dgram + o->len, m->b, m->len);
	o->len += m->len;
}

/* NLMSG_ERROR carrying `err` (0: an acknowledgement) and the request's
 * header, as Linux sends it with NETLINK_CAP_ACK. */
static void nl_error(struct nl_out *o, int err)
{
	struct nl_msg m;

	nl_begin(o, &m, NLMSG_ERROR, 0);
	int32_t *e = nl_put(&m, sizeof(*e) + sizeof(*o->req));
	*e = err;
	memcpy(e + 1, o->req, sizeof(*o->req));
	nl_end(o, &m);
}

/* ------------------------------------------------------------- dumps */

static void nl_link(struct nl_out *o, const struct iface *i, uint16_t flags)
{
	struct nl_msg m;
	struct ifinfomsg_k *ifi;

	nl_begin(o, &m, RTM_NEWLINK, flags);
	ifi = nl_put(&m, sizeof(*ifi));
	ifi->family = AF_UNSPEC;
	ifi->type = i->type;
	ifi->index = i->index;
	ifi->flags = i->flags;
	nl_attr(&m, IFLA_IFNAME, i->name, strlen(i->name) + 1);
	nl_attr_u32(&m, IFLA_TXQLEN, IFACE_TXQLEN);
	nl_attr(&m, IFLA_QDISC, QDISC, sizeof(QDISC));
	nl_attr_u8(&m, IFLA_OPERSTATE, i->operstate);
	nl_attr_u8(&m, IFLA_LINKMODE, 0);
	nl_attr_u32(&m, IFLA_MTU, i->mtu);
	nl_attr_u8(&m, IFLA_CARRIER, 1);
	nl_attr(&m, IFLA_ADDRESS, i->hwaddr, IFACE_HWADDR_LEN);
	nl_attr(&m, IFLA_BROADCAST, i->hwbcast, IFACE_HWADDR_LEN);
	nl_end(o, &m);
}

/* One RTM_NEWADDR; `bcast` only for IPv4 on a broadcast link. */
static void nl_addr(struct nl_out *o, const struct iface *i, int family, const uint8_t *addr,
		    unsigned prefix, unsigned scope)
{
	struct ifa_cacheinfo_k ci = { INFINITY_LIFE, INFINITY_LIFE, 0, 0 };
	size_t alen = family == AF_INET ? 4 : 16;
	uint8_t fl = scope == RT_SCOPE_UNIVERSE && family == AF_INET6 ? 0 : IFA_F_PERMANENT;
	struct ifaddrmsg_k *ifa;
	struct nl_msg m;

	nl_begin(o, &m, RTM_NEWADDR, NLM_F_MULTI);
	ifa = nl_put(&m, sizeof(*ifa));
	*ifa = (struct ifaddrmsg_k){ family, prefix, fl, scope, i->index };
	nl_attr(&m, IFA_ADDRESS, addr, alen);
	if (family == AF_INET) {
		nl_attr(&m, IFA_LOCAL, addr, alen);
		if (i->flags & IFF_BROADCAST)
			nl_attr(&m, IFA_BROADCAST, i->bcast4, alen);
		nl_attr(&m, IFA_LABEL, i->name, strlen(i->name) + 1);
	}
	nl_attr_u32(&m, IFA_FLAGS, fl);
	nl_attr(&m, IFA_CACHEINFO, &ci, sizeof(ci));
	nl_end(o, &m);
}

/* Every address of `family` (0: all), IPv4 first, as Linux orders them. */
static void nl_dump_addrs(struct nl_out *o, const struct iface *ifs, int n, int family)
{
	for (int k = 0; k < n && (!family || family == AF_INET); k++)
		if (ifs[k].has_ip4)
			nl_addr(o, &ifs[k], AF_INET, ifs[k].ip4, ifs[k].prefix4, ifs[k].scope4);
	for (int k = 0; k < n && (!family || family == AF_INET6); k++)
		for (unsigned a = 0; a < ifs[k].n_ip6; a++)
			nl_addr(o, &ifs[k], AF_INET6, ifs[k].ip6[a].addr, ifs[k].ip6[a].prefix,
				ifs[k].ip6[a].scope);
}

static void nl_done(struct nl_out *o)
{
	struct nl_msg m;

	nl_begin(o, &m, NLMSG_DONE, NLM_F_MULTI);
	*(int32_t *)nl_put(&m, sizeof(int32_t)) = 0;
	nl_end(o, &m);
}

/* The interface a non-dump RTM_GETLINK names: by index, else by
 * IFLA_IFNAME.  NULL when none matches. */
static const struct iface *nl_link_of(const uint8_t *p, size_t len, const struct iface *ifs, int n)
{
	struct ifinfomsg_k ifi;
	size_t off = NLMSG_ALIGN(sizeof(ifi));

	if (len < sizeof(ifi))
		return NULL;
	memcpy(&ifi, p, sizeof(ifi));
	for (int k = 0; k < n; k++)
		if (ifi.index && ifs[k].index == ifi.index)
			return &ifs[k];
	while (!ifi.index && off + sizeof(struct rtattr_k) <= len) {
		struct rtattr_k a;
		memcpy(&a, p + off, sizeof(a));
		if (a.len < sizeof(a) || off + a.len > len)
			break;
		for (int k = 0; a.type == IFLA_IFNAME && k < n; k++)
			if (!strncmp(ifs[k].name, (const char *)p + off + sizeof(a),
				     a.len - sizeof(a)))
				return &ifs[k];
		off += NLMSG_ALIGN(a.len);
	}
	return NULL;
}

/* Answer one request message (its payload `p`, `len` bytes). */
static void nl_request(struct nl_out *o, const uint8_t *p, size_t len)
{
	const struct nlmsghdr_k *h = o->req;
	bool dump = (h->flags & NLM_F_DUMP) == NLM_F_DUMP;
	struct iface ifs[IFACE_MAX];
	const struct iface *one;
	int n, err = 0;

	if (!(h->flags & NLM_F_REQUEST) || h->type < NLMSG_MIN_TYPE)
		goto ack; /* not for the kernel to answer, or control */
	n = ifaces_list(ifs);
	if (h->type == RTM_GETLINK && dump) {
		for (int k = 0; k < n; k++)
			nl_link(o, &ifs[k], NLM_F_MULTI);
		nl_done(o);
		return;
	}
	if (h->type == RTM_GETADDR && dump) {
		nl_dump_addrs(o, ifs, n, len ? p[0] : 0); /* ifa_family or rtgen_family */
		nl_done(o);
		return;
	}
	if (h->type == RTM_GETLINK) {
		if (!(one = nl_link_of(p, len, ifs, n)))
			err = -ENODEV;
		else
			nl_link(o, one, 0);
	} else {
		err = -EOPNOTSUPP;
	}
ack:
	if (err || (h->flags & NLM_F_ACK))
		nl_error(o, err);
}

/* -------------------------------------------------------- the socket */

/* Answer every message of the request in `buf`; a malformed tail is
 * ignored, as Linux's netlink_rcv_skb ignores it. */
static long nl_answer(struct socket *s, const uint8_t *buf, size_t len)
{
	struct nl_out o = { .s = s };
	struct nlmsghdr_k h;
	size_t off = 0;

	if (!(o.dgram = kmalloc(NL_DGRAM_MAX)))
		return -ENOMEM;
	while (off + sizeof(h) <= len) {
		memcpy(&h, buf + off, sizeof(h));
		if (h.len < sizeof(h) || h.len > len - off)
			break;
		o.req = &h;
		nl_request(&o, buf + off + sizeof(h), h.len - sizeof(h));
		off += NLMSG_ALIGN(h.len);
	}
	nl_flush(&o);
	kfree(o.dgram);
	return o.err;
}

static long nl_sendmsg(struct socket *s, struct sock_msg *m, int flags, bool nonblock)
{
	size_t len = m->data.left;
	struct sockaddr_nl_k sa;
	uint8_t *buf;
	long r;

	if (m->name && (r = nl_addr_check(m->name, m->namelen, &sa)))
		return r;
	if (m->name && sa.pid)
		return -ECONNREFUSED; /* only the kernel listens */
	if (len > NL_REQ_MAX || len > (size_t)s->sndbuf)
		return -EMSGSIZE;
	nl_autobind(nl_sk(s));
	if (!(buf = kmalloc(len ? len : 1)))
		return -ENOMEM;
	r = sock_iter_from(&m->data, buf, len);
	if (!r)
		r = nl_answer(s, buf, len);
	kfree(buf);
	return r ? r : (long)len;
}

static bool nl_readable(void *arg)
{
	return !list_empty(&((struct nl_sock *)arg)->queue);
}

static long nl_recvmsg(struct socket *s, struct sock_msg *m, int flags, bool nonblock)
{
	struct nl_sock *n = nl_sk(s);
	struct sockaddr_nl_k from = { AF_NETLINK, 0, 0, 0 }; /* the kernel */
	struct nl_dgram *d;
	size_t len;
	long r;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	while (list_empty(&n->queue)) {
		if (nonblock)
			return -EAGAIN;
		if ((r = sock_wait(s, false, nl_readable, n)))
			return r;
	}
	d = list_first_entry(&n->queue, struct nl_dgram, node);
	len = MIN(d->len, m->data.left);
	if (sock_iter_to(&m->data, d->data, len))
		return -EFAULT;
	if (len < d->len)
		m->flags_out |= MSG_TRUNC;
	if (m->name) {
		memcpy(m->name, &from, sizeof(from));
		m->namelen = sizeof(from);
	}
	r = (flags & MSG_TRUNC) ? (long)d->len : (long)len; /* glibc sizes its buffer so */
	if (!(flags & MSG_PEEK)) {
		list_del(&d->node);
		n->queued -= d->len;
		kfree(d);
	}
	return r;
}

static unsigned nl_poll(struct socket *s, uint64_t *gen)
{
	struct nl_sock *n = nl_sk(s);

	if (gen)
		*gen = n->gen;
	return POLLOUT | POLLWRNORM | (list_empty(&n->queue) ? 0 : POLLIN | POLLRDNORM);
}

/* SOL_NETLINK options (memberships, extended acks, strict checking) are
 * taken and have no effect: there are no groups, and errors carry no
 * extended information. */
static int nl_setsockopt(struct socket *s, int level, int name, const void *val, size_t len)
{
	if (level != SOL_NETLINK || name < 1 || name > NETLINK_MAX_OPTION)
		return -ENOPROTOOPT;
	return len < sizeof(int) ? -EINVAL : 0;
}

static int nl_getsockopt(struct socket *s, int level, int name, void *val, size_t *len)
{
	int zero = 0;

	if (level != SOL_NETLINK || name < 1 || name > NETLINK_MAX_OPTION)
		return -ENOPROTOOPT;
	if (*len < sizeof(zero))
		return -EINVAL;
	memcpy(val, &zero, sizeof(zero));
	*len = sizeof(zero);
	return 0;
}

static void nl_release(struct socket *s)
{
	struct nl_sock *n = nl_sk(s);
	struct nl_dgram *d, *tmp;

	list_for_each_entry_safe(d, tmp, &n->queue, node)
		kfree(d);
	list_del(&n->all);
	kfree(n);
	s->priv = NULL;
}

/* A netlink socket's queue fills only by its own requests (nl_flush). */
static struct waitq *nl_waitq(struct socket *s)
{
	return &s->wq;
}

static const struct sock_ops nl_ops = {
	.bind = nl_bind,
	.connect = nl_connect,
	.sendmsg = nl_sendmsg,
	.recvmsg = nl_recvmsg,
	.getname = nl_getname,
	.poll = nl_poll,
	.setsockopt = nl_setsockopt,
	.getsockopt = nl_getsockopt,
	.release = nl_release,
	.waitq = nl_waitq,
};

static int nl_create(struct socket *s, int protocol)
{
	struct nl_sock *n;

	if (s->type != SOCK_RAW && s->type != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	if (protocol != NETLINK_ROUTE)
		return -EPROTONOSUPPORT;
	if (!(n = kzalloc(sizeof(*n))))
		return -ENOMEM;
	list_init(&n->queue);
	list_add(&n->all, &nl_socks);
	s->ops = &nl_ops;
	s->priv = n;
	return 0;
}

const struct sock_family netlink_family = {
	.family = AF_NETLINK,
	.create = nl_create,
};
