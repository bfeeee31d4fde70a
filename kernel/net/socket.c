/*
 * The generic socket: the family table socket(2) dispatches through, the
 * socket file (read, write, poll, ioctl and release call the family), the
 * SOL_SOCKET options every family shares, and blocking with SO_RCVTIMEO and
 * SO_SNDTIMEO.  A family plugs in with one line in `families`.
 */
#include "net/socket.h"
#include "core/cred.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/time.h"
#include "core/uaccess.h"
#include "net/netlink.h"
#include "linux/uapi.h"

#define SOCK_MODE     0777 /* what fstat shows for every socket (Linux's sockfs) */
#define NSEC_PER_USEC 1000ull

/*
 * The families by number.  AF_INET and AF_INET6 get EAFNOSUPPORT until lwIP
 * adds its struct sock_family here.
 */
static const struct sock_family *const families[AF_MAX] = {
	[AF_UNIX] = &unix_family,
	[AF_INET] = &inet_family,
	[AF_INET6] = &inet6_family,
	[AF_NETLINK] = &netlink_family,
};

static void (*sigpipe_fn)(void);

void sock_set_sigpipe(void (*fn)(void))
{
	sigpipe_fn = fn;
}

/* ---------------------------------------------------------- data cursors */

void sock_iter_user(struct sock_iter *it, const struct sock_iov *iov, size_t cnt)
{
	*it = (struct sock_iter){ .iov = iov, .cnt = cnt };
	for (size_t i = 0; i < cnt; i++)
		it->left += iov[i].len;
}

void sock_iter_kernel(struct sock_iter *it, void *kbuf, size_t n)
{
	*it = (struct sock_iter){ .kbuf = kbuf, .left = n };
}

/* Copy `n` bytes between `kbuf` and the cursor (`to`: into the cursor). */
static long iter_copy(struct sock_iter *it, void *kbuf, size_t n, bool to)
{
	uint8_t *k = kbuf;

	n = MIN(n, it->left);
	if (it->kbuf) {
		memcpy(to ? it->kbuf : k, to ? k : it->kbuf, n);
		it->kbuf += n;
		it->left -= n;
		return 0;
	}
	while (n) {
		const struct sock_iov *v = &it->iov[it->idx];
		size_t k_n = MIN(n, (size_t)(v->len - it->off));
		long r = to ? copy_to_user(v->base + it->off, k, k_n)
			    : copy_from_user(k, v->base + it->off, k_n);
		if (r)
			return -EFAULT;
		k += k_n;
		n -= k_n;
		it->left -= k_n;
		it->off += k_n;
		if (it->off == v->len) {
			it->idx++;
			it->off = 0;
		}
	}
	/* Step over empty buffers so iov[idx] always has room when left > 0. */
	while (it->idx < it->cnt && it->iov[it->idx].len == it->off && it->left) {
		it->idx++;
		it->off = 0;
	}
	return 0;
}

long sock_iter_from(struct sock_iter *it, void *dst, size_t n)
{
	return iter_copy(it, dst, n, false);
}

long sock_iter_to(struct sock_iter *it, const void *src, size_t n)
{
	return iter_copy(it, (void *)src, n, true);
}

/* struct cmsghdr on x86-64, and CMSG_ALIGN (include/linux/socket.h). */
struct sock_cmsghdr {
	uint64_t len;
	int32_t level, type;
};
#define SOCK_CMSG_ALIGN(n) (((n) + 7) & ~(size_t)7)

void sock_put_cmsg(struct sock_msg *m, int level, int type, const void *data, size_t len)
{
	struct sock_cmsghdr h = { .len = sizeof(h) + len, .level = level, .type = type };
	size_t room = m->cmsg ? m->cmsg_room - m->cmsg_len : 0;

	if (room < sizeof(h)) {
		m->flags_out |= MSG_CTRUNC;
		return;
	}
	if (room < h.len) {
		m->flags_out |= MSG_CTRUNC;
		h.len = room;
	}
	memcpy(m->cmsg + m->cmsg_len, &h, sizeof(h));
	memcpy(m->cmsg + m->cmsg_len + sizeof(h), data, h.len - sizeof(h));
	m->cmsg_len += MIN(SOCK_CMSG_ALIGN(sizeof(h) + len), room);
}

/* --------------------------------------------------------- the socket file */

static const struct file_ops sock_file_ops;

struct socket *sock_from_file(struct file *f)
{
	return f && f->ops == &sock_file_ops ? f->priv : NULL;
}

/* Raise SIGPIPE for an EPIPE unless the caller asked not to. */
static long sock_epipe(long r, int flags)
{
	if (r == -EPIPE && !(flags & MSG_NOSIGNAL) && sigpipe_fn)
		sigpipe_fn();
	return r;
}

long sock_sendmsg(struct file *f, struct sock_msg *m, int flags)
{
	struct socket *s = f->priv;
	bool nonblock = (f->flags & O_NONBLOCK) || (flags & MSG_DONTWAIT);

	return sock_epipe(s->ops->sendmsg(s, m, flags, nonblock), flags);
}

long sock_recvmsg(struct file *f, struct sock_msg *m, int flags)
{
	struct socket *s = f->priv;
	bool nonblock = (f->flags & O_NONBLOCK) || (flags & MSG_DONTWAIT);

	return s->ops->recvmsg(s, m, flags, nonblock);
}

/* read(2) and write(2) on a socket are recv and send without flags. */
static long sock_read(struct file *f, void *kbuf, size_t n, uint64_t off)
{
	struct sock_msg m = { 0 };

	sock_iter_kernel(&m.data, kbuf, n);
	return sock_recvmsg(f, &m, 0);
}

static long sock_write(struct file *f, const void *kbuf, size_t n, uint64_t off)
{
	struct sock_msg m = { 0 };

	sock_iter_kernel(&m.data, (void *)kbuf, n);
	return sock_sendmsg(f, &m, 0);
}

static unsigned sock_poll(struct file *f, uint64_t *gen)
{
	struct socket *s = f->priv;

	return s->ops->poll(s, gen);
}

/* The queue of `s` that its family wakes, or NULL (sched_wake_all). */
static struct waitq *family_waitq(struct socket *s)
{
	return s->ops->waitq ? s->ops->waitq(s) : NULL;
}

static struct waitq *sock_waitq(struct file *f)
{
	return family_waitq(f->priv);
}

static long sock_ioctl(struct file *f, unsigned cmd, uint64_t arg)
{
	struct socket *s = f->priv;
	long r = s->ops->ioctl ? s->ops->ioctl(s, cmd, arg) : -ENOTTY;

	/* What the family does not know, any socket answers: the interface
	 * ioctls (SIOCGIFINDEX...), as Linux's sock_do_ioctl falls back. */
	return r == -ENOTTY ? ifaces_ioctl(cmd, arg) : r;
}

static void sock_release(struct file *f)
{
	struct socket *s = f->priv;

	/* The inode is the socket's own: file_put must not drop it. */
	f->inode = NULL;
	f->priv = NULL;
	sock_free(s);
}

static const struct file_ops sock_file_ops = {
	.read = sock_read,
	.write = sock_write,
	.poll = sock_poll,
	.waitq = sock_waitq,
	.ioctl = sock_ioctl,
	.release = sock_release,
};

/* ------------------------------------------------------------- creation */

/* A zeroed socket with the generic defaults, or NULL. */
static struct socket *sock_new(int family, int type, int protocol)
{
	static uint64_t next_ino = 1;
	struct socket *s = kzalloc(sizeof(*s));

	if (!s)
		return NULL;
	s->family = family;
	s->type = type;
	s->protocol = protocol;
	waitq_init(&s->wq);
	s->sndbuf = s->rcvbuf = SOCK_BUF_DEFAULT;
	s->inode.ino = next_ino++;
	s->inode.mode = S_IFSOCK | SOCK_MODE;
	cred_new_owner(&s->inode.uid, &s->inode.gid);
	s->inode.nlink = 1;
	s->inode.atime = s->inode.mtime = s->inode.ctime = vfs_now();
	return s;
}

struct socket *sock_alloc(const struct socket *like)
{
	struct socket *s = sock_new(like->family, like->type, like->protocol);

	if (s) {
		s->ops = like->ops;
		s->sndbuf = like->sndbuf;
		s->rcvbuf = like->rcvbuf;
	}
	return s;
}

void sock_free(struct socket *s)
{
	if (s->ops && s->ops->release)
		s->ops->release(s);
	kfree(s);
}

struct file *sock_file(struct socket *s, unsigned flags)
{
	struct file *f = kzalloc(sizeof(*f));

	if (!f)
		return NULL;
	f->refs = 1;
	f->flags = O_RDWR | (flags & O_NONBLOCK);
	f->inode = &s->inode;
	f->ops = &sock_file_ops;
	f->stream = -1; /* not a console file */
	f->priv = s;
	return f;
}

/* A socket of `family` made by its create operation, or an ERR_PTR. */
static struct socket *sock_make(int family, int type, int protocol)
{
	const struct sock_family *fam;
	struct socket *s;
	int err;

	if (family < 0 || family >= AF_MAX || !(fam = families[family]))
		return ERR_PTR(-EAFNOSUPPORT);
	if (type <= 0 || type >= SOCK_MAX)
		return ERR_PTR(-EINVAL);
	if (!(s = sock_new(family, type, protocol)))
		return ERR_PTR(-ENOMEM);
	if ((err = fam->create(s, protocol))) {
		kfree(s); /* no ops yet: nothing to release */
		return ERR_PTR(err);
	}
	return s;
}

struct file *sock_create(int family, int type, int protocol)
{
	struct socket *s = sock_make(family, type & SOCK_TYPE_MASK, protocol);
	struct file *f;

	if (IS_ERR(s))
		return (struct file *)s;
	if (!(f = sock_file(s, type))) {
		sock_free(s);
		return ERR_PTR(-ENOMEM);
	}
	return f;
}

int sock_create_pair(int family, int type, int protocol, struct file *files[2])
{
	struct socket *s[2] = { NULL, NULL };
	int err;

	for (int i = 0; i < 2; i++) {
		s[i] = sock_make(family, type & SOCK_TYPE_MASK, protocol);
		if (IS_ERR(s[i])) {
			err = PTR_ERR(s[i]);
			s[i] = NULL;
			goto out_free;
		}
	}
	err = families[family]->pair ? families[family]->pair(s[0], s[1]) : -EOPNOTSUPP;
	if (err)
		goto out_free;
	files[0] = sock_file(s[0], type);
	files[1] = files[0] ? sock_file(s[1], type) : NULL;
	if (files[1])
		return 0;
	kfree(files[0]);
	err = -ENOMEM;
out_free:
	for (int i = 0; i < 2; i++)
		if (s[i])
			sock_free(s[i]);
	return err;
}

/* --------------------------------------------------------------- waiting */

long sock_wait(struct socket *s, bool send, bool (*cond)(void *arg), void *arg)
{
	struct waitq *wq = family_waitq(s);

	return sock_wait_on(s, wq ? wq : &s->wq, send, cond, arg);
}

void sock_wake(struct socket *s)
{
	waitq_wake(&s->wq);
}

long sock_wait_on(struct socket *s, struct waitq *wq, bool send, bool (*cond)(void *arg), void *arg)
{
	uint64_t timeo = send ? s->sndtimeo : s->rcvtimeo;
	uint64_t deadline = timeo ? time_monotonic_ns() + timeo : 0;
	long r = waitq_wait(wq, cond, arg, deadline);

	if (r == -ETIMEDOUT)
		return -EAGAIN;
	if (r == -ERESTARTSYS && timeo)
		return -EINTR;
	return r;
}

/* ------------------------------------------------------- SOL_SOCKET options */

struct timeval_k {
	int64_t sec, usec;
};
struct linger_k {
	int onoff, linger;
};

/* SO_SNDBUF and SO_RCVBUF: Linux clamps to the maximum and doubles the value
 * to allow for its bookkeeping (man 7 socket). */
static int buf_size(int val, int min)
{
	if (val < 0 || val > SOCK_BUF_MAX)
		val = SOCK_BUF_MAX;
	return MAX(val * 2, min);
}

static int set_timeout(uint64_t *ns, const void *val, size_t len)
{
	struct timeval_k tv;

	if (len < sizeof(tv))
		return -EINVAL;
	memcpy(&tv, val, sizeof(tv));
	if (tv.usec < 0 || tv.usec >= 1000000)
		return -EDOM;
	if (tv.sec < 0)
		*ns = 0; /* Linux: a negative timeout means "don't wait"... as none */
	else
		*ns = tv.sec * NSEC_PER_SEC + tv.usec * NSEC_PER_USEC;
	return 0;
}

/* The boolean options, by name; NULL when `name` is none of them. */
static bool *flag_option(struct socket *s, int name)
{
	switch (name) {
	case SO_REUSEADDR:
		return &s->reuseaddr;
	case SO_REUSEPORT:
		return &s->reuseport;
	case SO_KEEPALIVE:
		return &s->keepalive;
	case SO_PASSCRED:
		return &s->passcred;
	case SO_BROADCAST:
		return &s->broadcast;
	case SO_OOBINLINE:
		return &s->oobinline;
	}
	return NULL;
}

int sock_setsockopt(struct socket *s, int level, int name, const void *val, size_t len)
{
	struct linger_k lg;
	bool *flag;
	int v;

	if (level != SOL_SOCKET)
		return s->ops->setsockopt ? s->ops->setsockopt(s, level, name, val, len)
					  : -EOPNOTSUPP;
	if (name == SO_RCVTIMEO || name == SO_SNDTIMEO)
		return set_timeout(name == SO_RCVTIMEO ? &s->rcvtimeo : &s->sndtimeo, val, len);
	if (name == SO_LINGER) {
		if (len < sizeof(lg))
			return -EINVAL;
		memcpy(&lg, val, sizeof(lg));
		s->linger_on = !!lg.onoff;
		s->linger_secs = lg.linger;
		return 0;
	}
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(&v, val, sizeof(v));
	if ((flag = flag_option(s, name))) {
		*flag = v != 0;
		return 0;
	}
	switch (name) {
	case SO_SNDBUF:
		s->sndbuf = buf_size(v, SOCK_MIN_SNDBUF);
		break;
	case SO_RCVBUF:
		s->rcvbuf = buf_size(v, SOCK_MIN_RCVBUF);
		break;
	case SO_DEBUG:
	case SO_DONTROUTE:
	case SO_RCVLOWAT:
		break; /* accepted, without effect here */
	default:
		return -ENOPROTOOPT;
	}
	return 0;
}

/* The value of an int-sized SOL_SOCKET option, or -ENOPROTOOPT. */
static int int_option(struct socket *s, int name, int *v)
{
	bool *flag = flag_option(s, name);

	if (flag) {
		*v = *flag;
		return 0;
	}
	switch (name) {
	case SO_TYPE:
		*v = s->type;
		break;
	case SO_PROTOCOL:
		*v = s->protocol;
		break;
	case SO_DOMAIN:
		*v = s->family;
		break;
	case SO_ERROR:
		*v = s->err; /* reading it clears it */
		s->err = 0;
		break;
	case SO_SNDBUF:
		*v = s->sndbuf;
		break;
	case SO_RCVBUF:
		*v = s->rcvbuf;
		break;
	case SO_RCVLOWAT:
	case SO_SNDLOWAT:
		*v = 1;
		break;
	case SO_DEBUG:
	case SO_DONTROUTE:
		*v = 0;
		break;
	default:
		return -ENOPROTOOPT;
	}
	return 0;
}

int sock_getsockopt(struct socket *s, int level, int name, void *val, size_t *len)
{
	struct timeval_k tv;
	struct linger_k lg;
	const void *src = NULL;
	size_t n = sizeof(int);
	int v, err;

	/* SO_ACCEPTCONN is the family's: only it knows who listens. */
	if (level != SOL_SOCKET || name == SO_ACCEPTCONN)
		return s->ops->getsockopt ? s->ops->getsockopt(s, level, name, val, len)
					  : (level == SOL_SOCKET ? -ENOPROTOOPT : -EOPNOTSUPP);
	if (name == SO_RCVTIMEO || name == SO_SNDTIMEO) {
		uint64_t ns = name == SO_RCVTIMEO ? s->rcvtimeo : s->sndtimeo;
		tv.sec = ns / NSEC_PER_SEC;
		tv.usec = ns % NSEC_PER_SEC / NSEC_PER_USEC;
		src = &tv, n = sizeof(tv);
	} else if (name == SO_LINGER) {
		lg.onoff = s->linger_on;
		lg.linger = s->linger_secs;
		src = &lg, n = sizeof(lg);
	} else {
		if ((err = int_option(s, name, &v)))
			return err;
		src = &v;
	}
	/* Linux copies at most the option's size and reports what it copied. */
	n = MIN(n, *len);
	memcpy(val, src, n);
	*len = n;
	return 0;
}
