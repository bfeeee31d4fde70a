/*
 * AF_UNIX data: the buffers of a receive queue, and send and receive for the
 * three types.  A stream send is cut into buffers of at most UNIX_SKB_MAX and
 * a stream receive reads across them; a datagram or seqpacket message is one
 * buffer, read whole or truncated (MSG_TRUNC).  Flow control is Linux's in
 * effect: a sender waits while what it has queued and not yet read passes
 * its SO_SNDBUF, and an unconnected receiver takes at most
 * UNIX_MAX_DGRAM_QLEN datagrams from strangers.  Files passed with
 * SCM_RIGHTS ride on the buffer that carries the first byte of the send.
 */
#include "net/unix.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"

static struct unix_skb *skb_new(size_t len)
{
	struct unix_skb *skb = kmalloc(sizeof(*skb) + len);

	if (!skb)
		return NULL;
	memset(skb, 0, sizeof(*skb));
	skb->refs = 1;
	skb->len = len;
	return skb;
}

void unix_skb_put(struct unix_skb *skb)
{
	uint64_t fl = spin_lock_irqsave(&unix_lock);
	bool last = !--skb->refs;

	spin_unlock_irqrestore(&unix_lock, fl);
	if (!last)
		return;
	for (int i = 0; i < skb->nfiles; i++)
		file_put(skb->files[i]);
	kfree(skb->files);
	kfree(skb);
}

/* Hand the files a message carries to the buffer that takes them. */
static void skb_take_files(struct unix_skb *skb, struct sock_msg *m)
{
	if (!m->nfiles)
		return;
	skb->files = m->files;
	skb->nfiles = m->nfiles;
	m->files = NULL;
	m->nfiles = 0;
}

/* A buffer from the queue with the data of `len` bytes of `m`, or NULL with
 * *err set. */
static struct unix_skb *skb_fill(struct sock_msg *m, size_t len, long *err)
{
	struct unix_skb *skb = skb_new(len);

	*err = -ENOMEM;
	if (skb && !(*err = sock_iter_from(&m->data, skb->data, len)))
		return skb;
	if (skb)
		kfree(skb);
	return NULL;
}

/* Append `skb` to the receive queue of `to`.  Caller holds the lock. */
static void enqueue(struct unix_sock *to, struct unix_skb *skb)
{
	list_add_tail(&skb->node, &to->queue);
	to->qbytes += skb->len - skb->off;
	to->qlen++;
	unix_touch(to);
}

/* ------------------------------------------------------------ streams */

/* Why a stream send cannot go on, or 0.  Caller holds the lock. */
static long stream_broken(struct unix_sock *u)
{
	struct unix_sock *p = u->peer;

	if ((u->shutdown & SEND_SHUTDOWN) || !p || p->dead || (p->shutdown & RCV_SHUTDOWN))
		return -EPIPE;
	return 0;
}

static bool stream_can_send(void *arg)
{
	struct unix_sock *u = arg;

	return stream_broken(u) || u->peer->qbytes < (size_t)u->sock->sndbuf;
}

/* How much of a send of `left` bytes may go now (0: wait), or -EPIPE.
 * Caller holds the lock. */
static long stream_room(struct unix_sock *u, size_t left)
{
	long err = stream_broken(u);
	size_t limit = u->sock->sndbuf;

	if (err)
		return err;
	if (u->peer->qbytes >= limit)
		return 0;
	return MIN(MIN(left, limit - u->peer->qbytes), (size_t)UNIX_SKB_MAX);
}

static long stream_send(struct socket *s, struct sock_msg *m, bool nonblock)
{
	struct unix_sock *u = unix_sk(s);
	struct unix_skb *skb;
	size_t done = 0, total = m->data.left;
	uint64_t fl;
	long n, err;

	if (m->name)
		return u->state == UNIX_CONNECTED ? -EISCONN : -EOPNOTSUPP;
	if (u->state != UNIX_CONNECTED)
		return -ENOTCONN;
	while (done < total) {
		fl = spin_lock_irqsave(&unix_lock);
		n = stream_room(u, total - done);
		spin_unlock_irqrestore(&unix_lock, fl);
		if (n < 0)
			return done ? (long)done : n;
		if (!n) {
			if (nonblock)
				return done ? (long)done : -EAGAIN;
			if ((err = sock_wait(s, true, stream_can_send, u)))
				return done ? (long)done : err;
			continue;
		}
		if (!(skb = skb_fill(m, n, &err)))
			return done ? (long)done : err;
		fl = spin_lock_irqsave(&unix_lock);
		if (!(err = stream_broken(u))) {
			skb_take_files(skb, m);
			enqueue(u->peer, skb);
		}
		spin_unlock_irqrestore(&unix_lock, fl);
		if (err) {
			unix_skb_put(skb);
			return done ? (long)done : err;
		}
		unix_wake(u);
		done += n;
	}
	return done;
}

static bool can_recv(void *arg)
{
	struct unix_sock *u = arg;

	return !list_empty(&u->queue) || (u->shutdown & RCV_SHUTDOWN) || !u->sock || u->sock->err;
}

/* With no data queued: the receive's result (an error, 0 at EOF) or 1 to
 * wait.  Caller holds the lock. */
static long recv_empty(struct socket *s, struct unix_sock *u)
{
	long err = s->err;

	if (err) {
		s->err = 0;
		return -err;
	}
	return (u->shutdown & RCV_SHUTDOWN) ? 0 : 1;
}

/* Move the files of `skb` to the receive (a peek duplicates them).  The
 * caller of recvmsg has room for SCM_MAX_FD, the most a send may carry, and
 * drops what its program has no room for; a receive without room (read,
 * recvfrom) drops them all: they go to *drop, for the caller to put once
 * the lock is dropped (putting a file may release a socket).  Caller holds
 * the lock. */
static void recv_files(struct unix_skb *skb, struct sock_msg *m, bool peek, struct unix_skb *drop)
{
	if (!m->files) {
		if (!peek) {
			drop->files = skb->files;
			drop->nfiles = skb->nfiles;
			skb->files = NULL;
			skb->nfiles = 0;
		}
		return;
	}
	for (int i = 0; i < skb->nfiles && m->nfiles < SCM_MAX_FD; i++) {
		m->files[m->nfiles++] = skb->files[i];
		if (peek)
			skb->files[i]->refs++;
	}
	if (!peek)
		skb->nfiles = 0;
}

/* Put the files recv_files dropped.  No lock held. */
static void drop_files(struct unix_skb *drop)
{
	for (int i = 0; i < drop->nfiles; i++)
		file_put(drop->files[i]);
	kfree(drop->files);
}

/* The buffer holding byte `skip` of the queue and the offset in it. */
static struct unix_skb *queue_at(struct unix_sock *u, size_t skip, size_t *at)
{
	struct unix_skb *skb;

	list_for_each_entry(skb, &u->queue, node) {
		size_t avail = skb->len - skb->off;
		if (skip < avail) {
			*at = skb->off + skip;
			return skb;
		}
		skip -= avail;
	}
	return NULL;
}

/*
 * Reserve up to `want` bytes of the queue for a reader: the buffer (with a
 * reference for the caller) and where its bytes start.  Unless peeking they
 * leave the queue now, so concurrent readers never see the same bytes.
 * Caller holds the lock.
 */
static struct unix_skb *stream_take(struct unix_sock *u, size_t skip, size_t want, bool peek,
				    size_t *at, size_t *n)
{
	struct unix_skb *skb = queue_at(u, peek ? skip : 0, at);

	if (!skb)
		return NULL;
	*n = MIN(want, skb->len - *at);
	skb->refs++;
	if (peek)
		return skb;
	skb->off += *n;
	u->qbytes -= *n;
	if (skb->off == skb->len) {
		list_del(&skb->node);
		u->qlen--;
		skb->refs--; /* the queue's reference; the caller's remains */
	}
	unix_touch(u);
	return skb;
}

/* One step of a stream receive: copy what one buffer has.  Bytes copied, 0
 * with *stop set when the receive must end, or -errno. */
static long stream_step(struct socket *s, struct sock_msg *m, int flags, bool nonblock,
			size_t copied, size_t target, bool *stop)
{
	struct unix_sock *u = unix_sk(s);
	bool peek = flags & MSG_PEEK;
	struct unix_skb *skb, drop = { 0 };
	size_t at, n;
	long r;
	uint64_t fl = spin_lock_irqsave(&unix_lock);

	skb = queue_at(u, peek ? copied : 0, &at);
	if (skb && copied && skb->nfiles)
		skb = NULL, *stop = true; /* files start a new receive */
	if (!skb) {
		r = (copied >= target || *stop) ? 0 : recv_empty(s, u);
		spin_unlock_irqrestore(&unix_lock, fl);
		if (r <= 0) {
			*stop = true;
			return copied ? 0 : r;
		}
		if (nonblock) {
			*stop = true;
			return copied ? 0 : -EAGAIN;
		}
		r = sock_wait(s, false, can_recv, u);
		*stop = r != 0;
		return copied ? 0 : r;
	}
	skb = stream_take(u, copied, m->data.left, peek, &at, &n);
	if (skb->nfiles) {
		recv_files(skb, m, peek, &drop);
		*stop = true;
	}
	spin_unlock_irqrestore(&unix_lock, fl);
	drop_files(&drop);
	unix_wake(u); /* room for the writer */
	r = sock_iter_to(&m->data, skb->data + at, n);
	unix_skb_put(skb);
	return r ? r : (long)n;
}

static long stream_recv(struct socket *s, struct sock_msg *m, int flags, bool nonblock)
{
	size_t copied = 0, target;
	bool stop = false;
	long r;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (unix_sk(s)->state != UNIX_CONNECTED)
		return -EINVAL;
	if (!m->data.left)
		return 0;
	target = (flags & MSG_WAITALL) ? m->data.left : 1;
	while (!stop && m->data.left) {
		r = stream_step(s, m, flags, nonblock, copied, target, &stop);
		if (r < 0)
			return copied ? (long)copied : r;
		copied += r;
	}
	return copied;
}

/* ----------------------------------------------------- datagrams, seqpacket */

struct dgram_dest {
	struct unix_sock *u, *to;
	size_t len;
};

/* Is `to`'s queue too full for `len` more bytes from `u`?  Strangers are
 * held to the queue length; everyone to the sender's SO_SNDBUF. */
static bool dgram_full(struct unix_sock *u, struct unix_sock *to, size_t len)
{
	if (to->peer != u && to->qlen > UNIX_MAX_DGRAM_QLEN)
		return true;
	return to->qbytes && to->qbytes + len > (size_t)u->sock->sndbuf;
}

/* Why a datagram cannot go to `to` now: -errno, 1 when full, 0 to go.
 * Caller holds the lock. */
static long dgram_check(struct socket *s, struct unix_sock *u, struct unix_sock *to, size_t len)
{
	if (u->shutdown & SEND_SHUTDOWN)
		return -EPIPE;
	if (to->dead) {
		if (unix_connection(s))
			return -EPIPE;
		return -ECONNREFUSED;
	}
	if (to->shutdown & RCV_SHUTDOWN)
		return -EPIPE;
	if (!unix_connection(s) && to->peer && to->peer != u)
		return -EPERM; /* it talks to someone else only */
	return dgram_full(u, to, len) ? 1 : 0;
}

static bool dgram_can_send(void *arg)
{
	struct dgram_dest *d = arg;

	return d->to->dead || !dgram_full(d->u, d->to, d->len) || (d->to->shutdown & RCV_SHUTDOWN);
}

/* A datagram's destination, referenced: the address given or the peer. */
static struct unix_sock *dgram_dest(struct socket *s, struct sock_msg *m)
{
	struct unix_sock *u = unix_sk(s), *to;
	struct unix_name n;
	uint64_t fl;
	int err;

	if (m->name && !unix_connection(s)) {
		if (m->namelen <= 2)
			return ERR_PTR(-EINVAL);
		if ((err = unix_mkname(m->name, m->namelen, &n)))
			return ERR_PTR(err);
		return unix_find(&n, s->type);
	}
	fl = spin_lock_irqsave(&unix_lock);
	if ((to = u->peer))
		to->refs++;
	spin_unlock_irqrestore(&unix_lock, fl);
	return to ? to : ERR_PTR(-ENOTCONN);
}

/* A datagram found its peer gone: Linux forgets the peer (ECONNREFUSED).
 * Caller holds the lock; `to` keeps the caller's reference. */
static void dgram_disconnect(struct unix_sock *u, struct unix_sock *to)
{
	if (u->peer != to)
		return;
	u->peer = NULL;
	u->state = UNIX_UNCONNECTED;
	to->refs--; /* u's reference; the caller still holds one */
}

/* Queue `skb` on `to`, waiting for room unless `nonblock`.  0 or -errno. */
static long dgram_queue(struct socket *s, struct unix_sock *to, struct unix_skb *skb, bool nonblock)
{
	struct unix_sock *u = unix_sk(s);
	struct dgram_dest d = { u, to, skb->len };
	uint64_t fl;
	long r;

	for (;;) {
		fl = spin_lock_irqsave(&unix_lock);
		r = dgram_check(s, u, to, skb->len);
		if (r == -ECONNREFUSED)
			dgram_disconnect(u, to);
		if (!r) {
			skb->from = u->name;
			enqueue(to, skb);
		}
		spin_unlock_irqrestore(&unix_lock, fl);
		if (r <= 0)
			return r;
		if (nonblock)
			return -EAGAIN;
		if ((r = sock_wait(s, true, dgram_can_send, &d)))
			return r;
	}
}

static long dgram_send(struct socket *s, struct sock_msg *m, bool nonblock)
{
	struct unix_sock *to;
	struct unix_skb *skb;
	size_t len = m->data.left;
	long err;

	if (unix_connection(s) && unix_sk(s)->state != UNIX_CONNECTED)
		return -ENOTCONN;
	if (len > (size_t)s->sndbuf - UNIX_DGRAM_OVERHEAD)
		return -EMSGSIZE;
	to = dgram_dest(s, m);
	if (IS_ERR(to))
		return PTR_ERR(to);
	if (!(skb = skb_fill(m, len, &err))) {
		unix_put(to);
		return err;
	}
	skb_take_files(skb, m);
	err = dgram_queue(s, to, skb, nonblock);
	unix_put(to);
	if (err) {
		if (skb->nfiles) { /* the caller drops them */
			m->files = skb->files;
			m->nfiles = skb->nfiles;
			skb->files = NULL;
			skb->nfiles = 0;
		}
		unix_skb_put(skb);
		return err;
	}
	unix_wake(unix_sk(s)); /* a datagram: everyone */
	return len;
}

/* Take the next message (a peek leaves it), referenced, or NULL with *r set
 * to the result (error, 0 at EOF) or 1 to wait.  Caller holds the lock. */
static struct unix_skb *dgram_take(struct socket *s, struct unix_sock *u, bool peek, long *r)
{
	struct unix_skb *skb;

	if (list_empty(&u->queue)) {
		*r = recv_empty(s, u);
		return NULL;
	}
	skb = list_first_entry(&u->queue, struct unix_skb, node);
	if (peek) {
		skb->refs++;
		return skb;
	}
	list_del(&skb->node);
	u->qlen--;
	u->qbytes -= skb->len;
	unix_touch(u);
	return skb; /* the queue's reference passes to the caller */
}

static long dgram_recv(struct socket *s, struct sock_msg *m, int flags, bool nonblock)
{
	struct unix_sock *u = unix_sk(s);
	struct unix_skb *skb, drop = { 0 };
	uint64_t fl;
	size_t n;
	long r;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (unix_connection(s) && u->state != UNIX_CONNECTED)
		return -ENOTCONN;
	for (;;) {
		fl = spin_lock_irqsave(&unix_lock);
		skb = dgram_take(s, u, flags & MSG_PEEK, &r);
		if (skb)
			recv_files(skb, m, flags & MSG_PEEK, &drop);
		spin_unlock_irqrestore(&unix_lock, fl);
		drop_files(&drop);
		if (skb)
			break;
		if (r <= 0)
			return r;
		if (nonblock)
			return -EAGAIN;
		if ((r = sock_wait(s, false, can_recv, u)))
			return r;
	}
	unix_wake(u); /* room for senders */
	n = MIN(skb->len, m->data.left);
	if (skb->len > n)
		m->flags_out |= MSG_TRUNC;
	if (m->name) {
		m->namelen = skb->from.len;
		memcpy(m->name, skb->from.addr, skb->from.len);
	}
	r = sock_iter_to(&m->data, skb->data, n);
	if (!r)
		r = (flags & MSG_TRUNC) ? (long)skb->len : (long)n;
	unix_skb_put(skb);
	return r;
}

long unix_sendmsg(struct socket *s, struct sock_msg *m, int flags, bool nonblock)
{
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	return s->type == SOCK_STREAM ? stream_send(s, m, nonblock) : dgram_send(s, m, nonblock);
}

long unix_recvmsg(struct socket *s, struct sock_msg *m, int flags, bool nonblock)
{
	if (m->name)
		m->namelen = 0; /* no source unless a datagram names one */
	return s->type == SOCK_STREAM ? stream_recv(s, m, flags, nonblock)
				      : dgram_recv(s, m, flags, nonblock);
}
