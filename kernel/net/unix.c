/*
 * AF_UNIX sockets: creation and pairs, names (filesystem paths made as
 * S_IFSOCK inodes in a writable directory, the abstract namespace, and
 * autobind), listen, connect, accept, shutdown, poll and release.  Moving
 * data is in unix_msg.c; the shared structures and the locking rule are in
 * unix.h.
 */
#include "net/unix.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "linux/uapi.h"
#include "fs/perm.h"

#define SIOCOUTQ    0x5411 /* TIOCOUTQ */
#define POLLWRBAND  0x200
#define S_ISSOCK(m) (((m)&S_IFMT) == S_IFSOCK)

struct spinlock unix_lock = SPINLOCK_INIT;

/* Every named socket (unix_sock.bound), for connect and sendto to find. */
static struct list_head unix_bound = LIST_HEAD_INIT(unix_bound);

static const struct sock_ops unix_ops;

void unix_touch(struct unix_sock *u)
{
	u->gen++;
	if (u->peer)
		u->peer->gen++;
}

void unix_put(struct unix_sock *u)
{
	uint64_t fl = spin_lock_irqsave(&unix_lock);
	bool last = !--u->refs;

	spin_unlock_irqrestore(&unix_lock, fl);
	if (last)
		kfree(u);
}

void unix_wake(struct unix_sock *u)
{
	uint64_t fl = spin_lock_irqsave(&unix_lock);

	waitq_wake(&u->wq);
	if (u->peer)
		waitq_wake(&u->peer->wq);
	spin_unlock_irqrestore(&unix_lock, fl);
	if (u->dgram)
		sched_wake_all(); /* see unix.h */
}

/* A connection's queue; a datagram socket has none (unix_wake). */
static struct waitq *unix_waitq(struct socket *s)
{
	return unix_connection(s) ? &unix_sk(s)->wq : NULL;
}

/* Give socket `s` its AF_UNIX state; 0 or -ENOMEM. */
static int unix_attach(struct socket *s)
{
	struct unix_sock *u = kzalloc(sizeof(*u));

	if (!u)
		return -ENOMEM;
	u->sock = s;
	u->refs = 1;
	u->dgram = !unix_connection(s);
	waitq_init(&u->wq);
	list_init(&u->queue);
	list_init(&u->bound);
	list_init(&u->accept);
	s->priv = u;
	s->ops = &unix_ops;
	return 0;
}

static int unix_create(struct socket *s, int protocol)
{
	if (protocol && protocol != AF_UNIX)
		return -EPROTONOSUPPORT;
	switch (s->type) {
	case SOCK_RAW:
		s->type = SOCK_DGRAM; /* Linux takes raw as datagram here */
		break;
	case SOCK_STREAM:
	case SOCK_DGRAM:
	case SOCK_SEQPACKET:
		break;
	default:
		return -ESOCKTNOSUPPORT;
	}
	return unix_attach(s);
}

/* Connect `a` and `b` to each other.  Caller holds unix_lock. */
static void unix_link(struct unix_sock *a, struct unix_sock *b)
{
	a->peer = b;
	b->peer = a;
	a->refs++;
	b->refs++;
	a->state = b->state = UNIX_CONNECTED;
}

static int unix_pair(struct socket *a, struct socket *b)
{
	uint64_t fl = spin_lock_irqsave(&unix_lock);

	unix_link(unix_sk(a), unix_sk(b));
	spin_unlock_irqrestore(&unix_lock, fl);
	return 0;
}

const struct sock_family unix_family = {
	.family = AF_UNIX,
	.create = unix_create,
	.pair = unix_pair,
};

/* ------------------------------------------------------------------ names */

static bool name_is_path(const struct unix_name *n)
{
	return n->len > 2 && n->addr[2];
}

static const char *name_path(const struct unix_name *n)
{
	return (const char *)n->addr + 2;
}

int unix_mkname(const void *addr, size_t len, struct unix_name *n)
{
	uint16_t family;

	if (len < 2 || len > UNIX_ADDR_MAX)
		return -EINVAL;
	memcpy(&family, addr, sizeof(family));
	if (family != AF_UNIX)
		return -EINVAL;
	memset(n, 0, sizeof(*n));
	memcpy(n->addr, addr, len);
	n->len = len;
	if (name_is_path(n)) /* the NUL after addr[len] is already there */
		n->len = 2 + strnlen(name_path(n), UNIX_PATH_MAX + 1) + 1;
	return 0;
}

/* The bound socket with abstract name `n` and `type`.  Caller holds the
 * lock. */
static struct unix_sock *find_abstract(const struct unix_name *n, int type)
{
	struct unix_sock *u;

	list_for_each_entry(u, &unix_bound, bound)
		if (!u->ino && u->name.len == n->len && !memcmp(u->name.addr, n->addr, n->len) &&
		    (type < 0 || u->sock->type == type))
			return u;
	return NULL;
}

struct unix_sock *unix_find(const struct unix_name *n, int type)
{
	struct unix_sock *u, *found = NULL;
	struct inode *ino = NULL;
	uint64_t fl;

	if (name_is_path(n)) {
		ino = vfs_lookup(vfs_cwd(), name_path(n), true);
		if (IS_ERR(ino))
			return (struct unix_sock *)ino;
		if (perm_inode(ino, MAY_WRITE)) /* Linux: before the type */
			return ERR_PTR(-EACCES);
		if (!S_ISSOCK(ino->mode))
			return ERR_PTR(-ECONNREFUSED);
	}
	fl = spin_lock_irqsave(&unix_lock);
	if (ino) {
		list_for_each_entry(u, &unix_bound, bound)
			if (u->ino == ino)
				found = u;
	} else {
		found = find_abstract(n, -1);
	}
	if (found && found->sock->type != type)
		found = ERR_PTR(-EPROTOTYPE);
	else if (found)
		found->refs++;
	spin_unlock_irqrestore(&unix_lock, fl);
	return found ? found : ERR_PTR(-ECONNREFUSED);
}

/* A socket's file in the tree cannot be opened (Linux: ENXIO). */
static struct file *unix_node_open(struct inode *ino, unsigned flags)
{
	return ERR_PTR(-ENXIO);
}

static const struct file_ops unix_node_ops = {
	.open = unix_node_open,
};

/* Make the S_IFSOCK inode for path name `n`: the inode (referenced) or an
 * ERR_PTR: -EADDRINUSE when the path exists, the lookup's errors. */
static struct inode *make_node(const struct unix_name *n, unsigned mode)
{
	char dir[UNIX_PATH_MAX + 2];
	const char *path = name_path(n), *slash = strrchr(path, '/');
	struct inode *parent = vfs_cwd(), *ino;

	if (slash) {
		size_t dlen = slash - path + 1; /* keep the slash: "/" stays the root */
		memcpy(dir, path, dlen);
		dir[dlen] = 0;
		parent = vfs_lookup(vfs_cwd(), dir, true);
		if (IS_ERR(parent))
			return parent;
		path = slash + 1;
	}
	if (!*path)
		return ERR_PTR(-ENOENT);
	ino = vfs_create(parent, path, strlen(path), S_IFSOCK | (mode & 0777));
	if (IS_ERR(ino))
		return PTR_ERR(ino) == -EEXIST ? ERR_PTR(-EADDRINUSE) : ino;
	ino->fops = &unix_node_ops;
	vfs_iget(ino); /* the socket's: the name's inode outlives an unlink */
	return ino;
}

/* Bind to a fresh abstract name of five hex digits (Linux's autobind).
 * Caller holds the lock. */
static void autobind(struct unix_sock *u)
{
	static unsigned next;
	static const char hex[] = "0123456789abcdef";
	struct unix_name n = { .len = 8, .addr = { AF_UNIX, 0, 0 } };

	do {
		unsigned v = next++ & 0xfffff;
		for (int i = 0; i < 5; i++)
			n.addr[7 - i] = hex[(v >> (4 * i)) & 0xf];
	} while (find_abstract(&n, -1));
	u->name = n;
	list_add(&u->bound, &unix_bound);
}

static int unix_bind(struct socket *s, const void *addr, size_t len, unsigned mode)
{
	struct unix_sock *u = unix_sk(s);
	struct inode *ino = NULL;
	struct unix_name n;
	uint64_t fl;
	int err;

	if ((err = unix_mkname(addr, len, &n)))
		return err;
	if (u->name.len)
		return -EINVAL; /* already bound */
	if (name_is_path(&n) && IS_ERR(ino = make_node(&n, mode)))
		return PTR_ERR(ino);
	fl = spin_lock_irqsave(&unix_lock);
	if (u->name.len)
		err = -EINVAL;
	else if (n.len == 2)
		autobind(u);
	else if (!ino && find_abstract(&n, -1))
		err = -EADDRINUSE;
	if (!err && n.len != 2) {
		u->name = n;
		u->ino = ino;
		list_add(&u->bound, &unix_bound);
	}
	spin_unlock_irqrestore(&unix_lock, fl);
	if (err && ino)
		vfs_iput(ino); /* the file stays, as Linux leaves it */
	return err;
}

static int unix_getname(struct socket *s, void *addr, size_t *len, bool peer)
{
	struct unix_sock *u = unix_sk(s), *v;
	uint16_t family = AF_UNIX;
	uint64_t fl = spin_lock_irqsave(&unix_lock);
	int err = 0;

	v = peer ? u->peer : u;
	if (!v) {
		err = -ENOTCONN;
	} else if (v->name.len) {
		memcpy(addr, v->name.addr, v->name.len);
		*len = v->name.len;
	} else {
		memcpy(addr, &family, sizeof(family));
		*len = sizeof(family);
	}
	spin_unlock_irqrestore(&unix_lock, fl);
	return err;
}

/* ------------------------------------------------------------ connections */

static int unix_listen(struct socket *s, int backlog)
{
	struct unix_sock *u = unix_sk(s);
	uint64_t fl;
	int err = 0;

	if (!unix_connection(s))
		return -EOPNOTSUPP;
	fl = spin_lock_irqsave(&unix_lock);
	if (!u->name.len || (u->state != UNIX_UNCONNECTED && u->state != UNIX_LISTENING)) {
		err = -EINVAL;
	} else {
		u->backlog = (unsigned)backlog > SOMAXCONN ? SOMAXCONN : (unsigned)backlog;
		u->state = UNIX_LISTENING;
		unix_touch(u);
	}
	spin_unlock_irqrestore(&unix_lock, fl);
	unix_wake(u); /* a larger backlog lets blocked connects in */
	return err;
}

/* A connect may go on: room in the listener's queue, or it stopped
 * listening (the connect then fails). */
static bool can_connect(void *arg)
{
	struct unix_sock *l = arg;

	return l->state != UNIX_LISTENING || l->dead || l->qlen <= l->backlog;
}

/*
 * Queue the embryo `e` for listener `l` and connect it to `u`, or fail:
 * -ECONNREFUSED (not listening), -EISCONN, -EINVAL, -EAGAIN (backlog full:
 * the caller waits).  Linux's test is "more than backlog queued".
 */
static int connect_locked(struct unix_sock *u, struct unix_sock *l, struct unix_sock *e)
{
	if (u->state == UNIX_CONNECTED)
		return -EISCONN;
	if (u->state == UNIX_LISTENING)
		return -EINVAL;
	if (l->dead || l->state != UNIX_LISTENING || (l->shutdown & RCV_SHUTDOWN))
		return -ECONNREFUSED;
	if (l->qlen > l->backlog)
		return -EAGAIN;
	unix_link(u, e);
	e->embryo = true;
	e->name = l->name; /* an accepted socket is named as its listener */
	list_add_tail(&e->accept, &l->queue);
	l->qlen++;
	unix_touch(l);
	unix_touch(u);
	return 0;
}

/* A stream or seqpacket connect: make the server's end and queue it. */
static int stream_connect(struct socket *s, const struct unix_name *n, bool nonblock)
{
	struct socket *es = sock_alloc(s);
	struct unix_sock *l;
	uint64_t fl;
	long err;

	if (!es || unix_attach(es)) {
		kfree(es);
		return -ENOMEM;
	}
	for (;;) {
		l = unix_find(n, s->type);
		if (IS_ERR(l)) {
			err = PTR_ERR(l);
			break;
		}
		fl = spin_lock_irqsave(&unix_lock);
		err = connect_locked(unix_sk(s), l, unix_sk(es));
		spin_unlock_irqrestore(&unix_lock, fl);
		if (err != -EAGAIN || nonblock) {
			if (!err)
				unix_wake(l); /* an embryo for its accept */
			unix_put(l);
			break;
		}
		err = sock_wait_on(s, &l->wq, true, can_connect, l);
		unix_put(l);
		if (err)
			break;
	}
	if (err)
		sock_free(es);
	unix_wake(unix_sk(s));
	return err;
}

/* A datagram connect sets the default destination (AF_UNSPEC: none).  Linux
 * refuses a peer that is connected to someone else (unix_may_send). */
static int dgram_connect(struct socket *s, const struct unix_name *n)
{
	struct unix_sock *u = unix_sk(s), *other = NULL, *old;
	uint64_t fl;

	if (n) {
		other = unix_find(n, s->type);
		if (IS_ERR(other))
			return PTR_ERR(other);
	}
	fl = spin_lock_irqsave(&unix_lock);
	if (other && other->peer && other->peer != u) {
		spin_unlock_irqrestore(&unix_lock, fl);
		unix_put(other);
		return -EPERM;
	}
	old = u->peer;
	u->peer = other; /* takes unix_find's reference */
	u->state = other ? UNIX_CONNECTED : UNIX_UNCONNECTED;
	unix_touch(u);
	spin_unlock_irqrestore(&unix_lock, fl);
	if (old)
		unix_put(old);
	unix_wake(u);
	return 0;
}

static int unix_connect(struct socket *s, const void *addr, size_t len, bool nonblock)
{
	struct unix_name n;
	uint16_t family;
	int err;

	if (len >= sizeof(family) && !unix_connection(s)) {
		memcpy(&family, addr, sizeof(family));
		if (family == AF_UNSPEC)
			return dgram_connect(s, NULL);
	}
	if (len <= 2)
		return -EINVAL;
	if ((err = unix_mkname(addr, len, &n)))
		return err;
	return unix_connection(s) ? stream_connect(s, &n, nonblock) : dgram_connect(s, &n);
}

static bool can_accept(void *arg)
{
	struct unix_sock *u = arg;

	return !list_empty(&u->queue) || u->state != UNIX_LISTENING;
}

static struct socket *unix_accept(struct socket *s, bool nonblock)
{
	struct unix_sock *u = unix_sk(s), *e;
	uint64_t fl;
	long err;

	if (!unix_connection(s))
		return ERR_PTR(-EOPNOTSUPP);
	for (;;) {
		fl = spin_lock_irqsave(&unix_lock);
		if (u->state != UNIX_LISTENING) {
			spin_unlock_irqrestore(&unix_lock, fl);
			return ERR_PTR(-EINVAL);
		}
		if (!list_empty(&u->queue)) {
			e = list_first_entry(&u->queue, struct unix_sock, accept);
			list_del(&e->accept);
			u->qlen--;
			e->embryo = false;
			unix_touch(u);
			spin_unlock_irqrestore(&unix_lock, fl);
			unix_wake(u); /* room for a blocked connect */
			return e->sock;
		}
		spin_unlock_irqrestore(&unix_lock, fl);
		if (nonblock)
			return ERR_PTR(-EAGAIN);
		if ((err = sock_wait(s, false, can_accept, u)))
			return ERR_PTR(err);
	}
}

/* shutdown: the peer of a connection sees the mirror image (our SHUT_WR is
 * its end of input). */
static int unix_shutdown(struct socket *s, int how)
{
	struct unix_sock *u = unix_sk(s);
	unsigned mode = how + 1; /* SHUT_RD -> RCV_SHUTDOWN ... */
	uint64_t fl;

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	fl = spin_lock_irqsave(&unix_lock);
	u->shutdown |= mode;
	if (u->peer && unix_connection(s))
		u->peer->shutdown |= ((mode & RCV_SHUTDOWN) ? SEND_SHUTDOWN : 0) |
				     ((mode & SEND_SHUTDOWN) ? RCV_SHUTDOWN : 0);
	unix_touch(u);
	spin_unlock_irqrestore(&unix_lock, fl);
	unix_wake(u);
	return 0;
}

/* ------------------------------------------------------ poll, ioctl, options */

/* Linux's unix_writable: little of what we sent is still unread. */
static bool writable(struct socket *s, struct unix_sock *u)
{
	struct unix_sock *p = u->peer;

	if (u->state == UNIX_LISTENING)
		return false;
	if (!p)
		return true;
	if (!unix_connection(s) && p->peer != u && !p->dead && p->qlen > UNIX_MAX_DGRAM_QLEN)
		return false;
	return p->dead || p->qbytes * 4 <= (size_t)s->sndbuf;
}

static unsigned unix_poll(struct socket *s, uint64_t *gen)
{
	struct unix_sock *u = unix_sk(s);
	uint64_t fl = spin_lock_irqsave(&unix_lock);
	unsigned mask = 0;

	if (s->err)
		mask |= POLLERR;
	if (u->shutdown == SHUTDOWN_MASK)
		mask |= POLLHUP;
	if (u->shutdown & RCV_SHUTDOWN)
		mask |= POLLRDHUP | POLLIN | POLLRDNORM;
	if (!list_empty(&u->queue))
		mask |= POLLIN | POLLRDNORM;
	if (unix_connection(s) && u->state == UNIX_UNCONNECTED)
		mask |= POLLHUP;
	if (writable(s, u))
		mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
	if (gen)
		*gen = u->gen;
	spin_unlock_irqrestore(&unix_lock, fl);
	return mask;
}

/* FIONREAD: a stream's unread bytes, a datagram socket's next message size;
 * SIOCOUTQ: what we sent that the peer has not read. */
static long unix_ioctl(struct socket *s, unsigned cmd, uint64_t arg)
{
	struct unix_sock *u = unix_sk(s);
	uint64_t fl;
	int n = 0;

	if (cmd != FIONREAD && cmd != SIOCOUTQ)
		return -ENOTTY;
	fl = spin_lock_irqsave(&unix_lock);
	if (u->state == UNIX_LISTENING) {
		spin_unlock_irqrestore(&unix_lock, fl);
		return -EINVAL;
	}
	if (cmd == SIOCOUTQ)
		n = u->peer ? u->peer->qbytes : 0;
	else if (unix_connection(s))
		n = u->qbytes;
	else if (!list_empty(&u->queue))
		n = list_first_entry(&u->queue, struct unix_skb, node)->len;
	spin_unlock_irqrestore(&unix_lock, fl);
	return copy_to_user(arg, &n, sizeof(n));
}

static int unix_getsockopt(struct socket *s, int level, int name, void *val, size_t *len)
{
	int v = unix_sk(s)->state == UNIX_LISTENING;

	if (level != SOL_SOCKET)
		return -EOPNOTSUPP;
	if (name != SO_ACCEPTCONN)
		return -ENOPROTOOPT;
	*len = MIN(*len, sizeof(v));
	memcpy(val, &v, *len);
	return 0;
}

/* --------------------------------------------------------------- release */

/* Tell the peer of a closing connection: end of input and output, and
 * ECONNRESET if we leave data unread or were never accepted.  Caller holds
 * the lock. */
static void hang_up(struct socket *s, struct unix_sock *u)
{
	struct unix_sock *p = u->peer;

	if (!p || !unix_connection(s))
		return;
	p->shutdown = SHUTDOWN_MASK;
	if ((!list_empty(&u->queue) || u->embryo) && p->sock)
		p->sock->err = ECONNRESET;
	unix_touch(u);
}

static void unix_release(struct socket *s)
{
	struct unix_sock *u = unix_sk(s), *peer, *e, *etmp;
	struct unix_skb *skb, *stmp;
	struct list_head q = LIST_HEAD_INIT(q);
	bool listener;
	uint64_t fl = spin_lock_irqsave(&unix_lock);

	hang_up(s, u);
	u->dead = true;
	u->sock = NULL;
	if (u->name.len && !list_empty(&u->bound))
		list_del(&u->bound);
	peer = u->peer;
	u->peer = NULL;
	listener = u->state == UNIX_LISTENING;
	if (!list_empty(&u->queue)) { /* take the queue whole, to empty unlocked */
		q = u->queue;
		q.next->prev = q.prev->next = &q;
		list_init(&u->queue);
	}
	u->qbytes = u->qlen = 0;
	spin_unlock_irqrestore(&unix_lock, fl);
	if (listener) /* connections never accepted go with their listener */
		list_for_each_entry_safe(e, etmp, &q, accept)
			sock_free(e->sock);
	else
		list_for_each_entry_safe(skb, stmp, &q, node)
			unix_skb_put(skb);
	if (u->ino)
		vfs_iput(u->ino); /* the file itself stays, as on Linux */
	/* The peer sees the hang-up; connects waiting on a listener see it
	 * dead.  u->peer is gone already: wake both by hand. */
	waitq_wake(&u->wq);
	if (peer) {
		waitq_wake(&peer->wq);
		unix_put(peer);
	}
	if (u->dgram)
		sched_wake_all(); /* see unix_wake */
	unix_put(u);
}

static const struct sock_ops unix_ops = {
	.bind = unix_bind,
	.listen = unix_listen,
	.accept = unix_accept,
	.connect = unix_connect,
	.sendmsg = unix_sendmsg,
	.recvmsg = unix_recvmsg,
	.shutdown = unix_shutdown,
	.getname = unix_getname,
	.poll = unix_poll,
	.ioctl = unix_ioctl,
	.getsockopt = unix_getsockopt,
	.release = unix_release,
	.waitq = unix_waitq,
};
