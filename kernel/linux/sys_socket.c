/*
 * The socket system calls: socket, socketpair, bind, listen, accept,
 * accept4, connect, the send and receive family (sendto, recvfrom, sendmsg,
 * recvmsg with SCM_RIGHTS), shutdown, getsockname, getpeername, setsockopt
 * and getsockopt.  This file copies arguments between the program and the
 * kernel and checks them as Linux's net/socket.c does; the sockets
 * themselves are in net/ (socket.c dispatches to the address family).
 * read, write, poll, fstat and ioctl reach sockets through their file.
 */
#include "linux/syscall.h"
#include "linux/signal.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "fs/vfs.h"
#include "net/socket.h"
#include "linux/uapi.h"

#define SSIZE_MAX	INT64_MAX
#define SOCK_FLAGS	(SOCK_NONBLOCK | SOCK_CLOEXEC)
#define SCM_CREDENTIALS 2
#define OPT_MAX		128 /* the largest option value copied in or out */

/* struct msghdr and struct cmsghdr as x86-64 lays them out. */
struct msghdr_k {
	uint64_t name;
	uint32_t namelen, pad0;
	uint64_t iov, iovlen;
	uint64_t control, controllen;
	int32_t flags, pad1;
};
struct cmsghdr_k {
	uint64_t len;
	int32_t level, type;
};
#define CMSG_ALIGN(n) (((n) + 7) & ~7ul)
#define CMSG_HDR      sizeof(struct cmsghdr_k)

/* SIGPIPE for the writing thread, as Linux's send_sig does on EPIPE. */
static void sock_sigpipe(void)
{
	struct ksiginfo info = { .signo = SIGPIPE, .code = SI_USER, .pid = 1 };
	signal_send(sched_current(), &info);
}

/* The socket behind `fd` (and its file): -EBADF, -ENOTSOCK. */
static struct socket *fd_sock(long fd, struct file **fp)
{
	struct file *f = fd_hold(fd); /* accept, connect, recv... may block */
	struct socket *s = sock_from_file(f);

	if (fp)
		*fp = f;
	if (!f)
		return ERR_PTR(-EBADF);
	return s ? s : ERR_PTR(-ENOTSOCK);
}

/* Copy a user address of `len` bytes into `kaddr` (SOCK_ADDR_MAX). */
static long addr_in(void *kaddr, uint64_t uaddr, long len)
{
	if (len < 0 || len > SOCK_ADDR_MAX)
		return -EINVAL;
	return copy_from_user(kaddr, uaddr, len);
}

/* Linux's move_addr_to_user: copy at most *ulen bytes of the address and
 * store its whole length in *ulen.  accept and recvfrom skip it when
 * `uaddr` is NULL (`optional`). */
static long addr_out(const void *kaddr, size_t klen, uint64_t uaddr, uint64_t ulen, bool optional)
{
	int len;

	if (!uaddr && optional)
		return 0;
	if (copy_from_user(&len, ulen, sizeof(len)))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	if (copy_to_user(uaddr, kaddr, MIN((size_t)len, klen)))
		return -EFAULT;
	len = klen;
	return copy_to_user(ulen, &len, sizeof(len));
}

long sys_socket(long family, long type, long protocol)
{
	struct file *f;

	if (type & ~(SOCK_TYPE_MASK | SOCK_FLAGS))
		return -EINVAL;
	sock_set_sigpipe(sock_sigpipe);
	f = sock_create(family, type, protocol);
	if (IS_ERR(f))
		return PTR_ERR(f);
	return fd_install_new(f, type & SOCK_CLOEXEC);
}

long sys_socketpair(long family, long type, long protocol, uint64_t usv)
{
	struct file *f[2];
	int fds[2];
	long r;

	if (type & ~(SOCK_TYPE_MASK | SOCK_FLAGS))
		return -EINVAL;
	sock_set_sigpipe(sock_sigpipe);
	if ((r = sock_create_pair(family, type, protocol, f)))
		return r;
	fds[0] = fd_install_new(f[0], type & SOCK_CLOEXEC);
	if (fds[0] < 0) {
		file_put(f[1]);
		return fds[0];
	}
	fds[1] = fd_install_new(f[1], type & SOCK_CLOEXEC);
	if (fds[1] < 0) {
		fd_close(fds[0]);
		return fds[1];
	}
	if (copy_to_user(usv, fds, sizeof(fds))) {
		fd_close(fds[0]);
		fd_close(fds[1]);
		return -EFAULT;
	}
	return 0;
}

/* The permission bits for a name bind makes: 0777 less the umask, which
 * sys_fs.c keeps (read through umask(2) itself). */
static unsigned bind_mode(void)
{
	long old = sys_umask(0);

	sys_umask(old);
	return 0777 & ~old;
}

long sys_bind(long fd, uint64_t uaddr, long len)
{
	struct socket *s = fd_sock(fd, NULL);
	uint8_t kaddr[SOCK_ADDR_MAX];
	long r;

	if (IS_ERR(s))
		return PTR_ERR(s);
	if ((r = addr_in(kaddr, uaddr, len)))
		return r;
	return s->ops->bind ? s->ops->bind(s, kaddr, len, bind_mode()) : -EOPNOTSUPP;
}

long sys_listen(long fd, long backlog)
{
	struct socket *s = fd_sock(fd, NULL);

	if (IS_ERR(s))
		return PTR_ERR(s);
	return s->ops->listen ? s->ops->listen(s, backlog) : -EOPNOTSUPP;
}

long sys_accept4(long fd, uint64_t uaddr, uint64_t ulen, long flags)
{
	struct file *f, *nf;
	struct socket *s = fd_sock(fd, &f), *ns;
	uint8_t kaddr[SOCK_ADDR_MAX];
	size_t klen = 0;
	long r;

	if (IS_ERR(s))
		return PTR_ERR(s);
	if (flags & ~SOCK_FLAGS)
		return -EINVAL;
	if (!s->ops->accept)
		return -EOPNOTSUPP;
	ns = s->ops->accept(s, f->flags & O_NONBLOCK);
	if (IS_ERR(ns))
		return PTR_ERR(ns);
	if (!(nf = sock_file(ns, flags))) {
		sock_free(ns);
		return -ENOMEM;
	}
	if (uaddr && (r = ns->ops->getname(ns, kaddr, &klen, true)) == 0)
		r = addr_out(kaddr, klen, uaddr, ulen, true);
	else
		r = 0;
	if (r) { /* Linux drops the connection when the address cannot go out */
		file_put(nf);
		return r;
	}
	return fd_install_new(nf, flags & SOCK_CLOEXEC);
}

long sys_accept(long fd, uint64_t uaddr, uint64_t ulen)
{
	return sys_accept4(fd, uaddr, ulen, 0);
}

long sys_connect(long fd, uint64_t uaddr, long len)
{
	struct file *f;
	struct socket *s = fd_sock(fd, &f);
	uint8_t kaddr[SOCK_ADDR_MAX];
	long r;

	if (IS_ERR(s))
		return PTR_ERR(s);
	if ((r = addr_in(kaddr, uaddr, len)))
		return r;
	return s->ops->connect(s, kaddr, len, f->flags & O_NONBLOCK);
}

long sys_shutdown(long fd, long how)
{
	struct socket *s = fd_sock(fd, NULL);

	if (IS_ERR(s))
		return PTR_ERR(s);
	return s->ops->shutdown ? s->ops->shutdown(s, how) : -EOPNOTSUPP;
}

static long get_name(long fd, uint64_t uaddr, uint64_t ulen, bool peer)
{
	struct socket *s = fd_sock(fd, NULL);
	uint8_t kaddr[SOCK_ADDR_MAX];
	size_t klen = 0;
	long r;

	if (IS_ERR(s))
		return PTR_ERR(s);
	if ((r = s->ops->getname(s, kaddr, &klen, peer)))
		return r;
	return addr_out(kaddr, klen, uaddr, ulen, false);
}

long sys_getsockname(long fd, uint64_t uaddr, uint64_t ulen)
{
	return get_name(fd, uaddr, ulen, false);
}

long sys_getpeername(long fd, uint64_t uaddr, uint64_t ulen)
{
	return get_name(fd, uaddr, ulen, true);
}

long sys_setsockopt(long fd, long level, long name, uint64_t uval, long len)
{
	struct socket *s = fd_sock(fd, NULL);
	uint8_t kval[OPT_MAX];
	size_t n;

	if (IS_ERR(s))
		return PTR_ERR(s);
	if (len < 0)
		return -EINVAL;
	n = MIN((size_t)len, sizeof(kval));
	if (copy_from_user(kval, uval, n))
		return -EFAULT;
	return sock_setsockopt(s, level, name, kval, n);
}

long sys_getsockopt(long fd, long level, long name, uint64_t uval, uint64_t ulen)
{
	struct socket *s = fd_sock(fd, NULL);
	uint8_t kval[OPT_MAX];
	size_t n;
	int len;
	long r;

	if (IS_ERR(s))
		return PTR_ERR(s);
	if (copy_from_user(&len, ulen, sizeof(len)))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	n = MIN((size_t)len, sizeof(kval));
	if ((r = sock_getsockopt(s, level, name, kval, &n)))
		return r;
	if (copy_to_user(uval, kval, n))
		return -EFAULT;
	len = n;
	return copy_to_user(ulen, &len, sizeof(len));
}

/* --------------------------------------------------------- send and receive */

/* A kernel copy of the user's iovec array: `one` serves a single buffer.
 * -EMSGSIZE for too many buffers, -EINVAL for a total past SSIZE_MAX. */
static long iov_in(uint64_t uiov, uint64_t cnt, struct sock_iov *one, struct sock_iov **out)
{
	struct sock_iov *iov = one;
	uint64_t total = 0;

	if (cnt > IOV_MAX)
		return -EMSGSIZE;
	if (cnt > 1 && !(iov = kmalloc(cnt * sizeof(*iov))))
		return -ENOMEM;
	*out = iov;
	if (copy_from_user(iov, uiov, cnt * sizeof(*iov)))
		return -EFAULT;
	for (uint64_t i = 0; i < cnt; i++) {
		if (iov[i].len > SSIZE_MAX - total)
			return -EINVAL;
		total += iov[i].len;
	}
	return 0;
}

/* Add the files of one SCM_RIGHTS message (`n` fds at `ufds`) to `m`, taking
 * a reference on each.  -EBADF, -EINVAL (too many), -ENOMEM. */
static long rights_in(struct sock_msg *m, uint64_t ufds, size_t n)
{
	int fd;

	if (m->nfiles + n > SCM_MAX_FD)
		return -EINVAL;
	if (!m->files && !(m->files = kmalloc(SCM_MAX_FD * sizeof(*m->files))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct file *f;
		if (copy_from_user(&fd, ufds + i * sizeof(fd), sizeof(fd)))
			return -EFAULT;
		if (!(f = fd_get(fd)))
			return -EBADF;
		f->refs++;
		m->files[m->nfiles++] = f;
	}
	return 0;
}

/* Walk the ancillary data of a send (Linux's __scm_send): SCM_RIGHTS gives
 * files, SCM_CREDENTIALS is accepted, other SOL_SOCKET types are EINVAL and
 * other levels are left to the protocol (none here). */
static long control_in(struct sock_msg *m, uint64_t uctl, uint64_t len)
{
	struct cmsghdr_k c;
	uint64_t at = 0;
	long r;

	while (len - at >= CMSG_HDR) {
		if (copy_from_user(&c, uctl + at, sizeof(c)))
			return -EFAULT;
		if (c.len < CMSG_HDR || c.len > len - at)
			return -EINVAL;
		if (c.level == SOL_SOCKET) {
			if (c.type == SCM_RIGHTS)
				r = rights_in(m, uctl + at + CMSG_HDR,
					      (c.len - CMSG_HDR) / sizeof(int));
			else
				r = c.type == SCM_CREDENTIALS ? 0 : -EINVAL;
			if (r)
				return r;
		}
		at += CMSG_ALIGN(c.len);
		if (at > len)
			break;
	}
	return 0;
}

/* Drop the files a message still holds, and their array. */
static void msg_files_put(struct sock_msg *m, int from)
{
	for (int i = from; i < m->nfiles; i++)
		file_put(m->files[i]);
	kfree(m->files);
	m->files = NULL;
	m->nfiles = 0;
}

long sys_sendto(long fd, uint64_t buf, size_t len, long flags, uint64_t uaddr, long alen)
{
	struct file *f;
	struct socket *s = fd_sock(fd, &f);
	struct sock_iov iov = { buf, len };
	uint8_t kaddr[SOCK_ADDR_MAX];
	struct sock_msg m = { 0 };
	long r;

	if (IS_ERR(s))
		return PTR_ERR(s);
	if (uaddr) {
		if ((r = addr_in(kaddr, uaddr, alen)))
			return r;
		m.name = kaddr;
		m.namelen = alen;
	}
	sock_iter_user(&m.data, &iov, 1);
	return sock_sendmsg(f, &m, flags);
}

long sys_recvfrom(long fd, uint64_t buf, size_t len, long flags, uint64_t uaddr, uint64_t ualen)
{
	struct file *f;
	struct socket *s = fd_sock(fd, &f);
	struct sock_iov iov = { buf, len };
	uint8_t kaddr[SOCK_ADDR_MAX];
	struct sock_msg m = { .name = kaddr };
	long r, r2;

	if (IS_ERR(s))
		return PTR_ERR(s);
	sock_iter_user(&m.data, &iov, 1); /* no room for files: they are dropped */
	r = sock_recvmsg(f, &m, flags);
	if (r >= 0 && (r2 = addr_out(kaddr, m.namelen, uaddr, ualen, true)))
		r = r2;
	return r;
}

long sys_sendmsg(long fd, uint64_t umsg, long flags)
{
	struct file *f;
	struct socket *s = fd_sock(fd, &f);
	struct sock_iov one, *iov = NULL;
	uint8_t kaddr[SOCK_ADDR_MAX];
	struct sock_msg m = { 0 };
	struct msghdr_k mh;
	long r;

	if (IS_ERR(s))
		return PTR_ERR(s);
	if (copy_from_user(&mh, umsg, sizeof(mh)))
		return -EFAULT;
	if (mh.name && mh.namelen) {
		if ((r = addr_in(kaddr, mh.name, mh.namelen)))
			return r;
		m.name = kaddr;
		m.namelen = mh.namelen;
	}
	if ((r = iov_in(mh.iov, mh.iovlen, &one, &iov)))
		goto out;
	if (mh.controllen && (r = control_in(&m, mh.control, mh.controllen)))
		goto out;
	sock_iter_user(&m.data, iov, mh.iovlen);
	r = sock_sendmsg(f, &m, flags);
out:
	msg_files_put(&m, 0);
	if (iov != &one)
		kfree(iov);
	return r;
}

/*
 * Deliver received files as one SCM_RIGHTS message in the user's control
 * buffer of `room` bytes at `uctl`: as many as fit become descriptors, the
 * rest are dropped with MSG_CTRUNC (Linux's scm_detach_fds).  Returns the
 * bytes of control data written.
 */
static uint64_t rights_out(struct sock_msg *m, uint64_t uctl, uint64_t room, bool cloexec,
			   int *flags)
{
	struct cmsghdr_k c = { .level = SOL_SOCKET, .type = SCM_RIGHTS };
	int k = 0, fit = room > CMSG_HDR ? (room - CMSG_HDR) / sizeof(int) : 0;

	while (k < m->nfiles && k < fit) {
		int fd = fd_install(m->files[k], 0, cloexec);
		if (fd < 0 || copy_to_user(uctl + CMSG_HDR + k * sizeof(int), &fd, sizeof(fd))) {
			if (fd >= 0)
				fd_close(fd);
			break;
		}
		k++;
	}
	if (k < m->nfiles)
		*flags |= MSG_CTRUNC;
	msg_files_put(m, k); /* the installed ones belong to the table now */
	if (!k)
		return 0;
	c.len = CMSG_HDR + k * sizeof(int);
	if (copy_to_user(uctl, &c, sizeof(c)))
		return 0;
	return MIN(CMSG_ALIGN(c.len), room);
}

long sys_recvmsg(long fd, uint64_t umsg, long flags)
{
	struct file *f;
	struct socket *s = fd_sock(fd, &f);
	struct sock_iov one, *iov = NULL;
	uint8_t kaddr[SOCK_ADDR_MAX], kctl[SOCK_CMSG_MAX];
	struct sock_msg m = { .name = kaddr, .cmsg = kctl };
	struct msghdr_k mh;
	uint64_t ctl = 0;
	long r;

	if (IS_ERR(s))
		return PTR_ERR(s);
	if (copy_from_user(&mh, umsg, sizeof(mh)))
		return -EFAULT;
	m.cmsg_room = mh.control ? MIN(mh.controllen, (uint64_t)SOCK_CMSG_MAX) : 0;
	if ((r = iov_in(mh.iov, mh.iovlen, &one, &iov)))
		goto out;
	if (!(m.files = kmalloc(SCM_MAX_FD * sizeof(*m.files)))) {
		r = -ENOMEM;
		goto out;
	}
	sock_iter_user(&m.data, iov, mh.iovlen);
	r = sock_recvmsg(f, &m, flags & ~MSG_CMSG_CLOEXEC);
	if (r < 0)
		goto out;
	/* the family's messages first (IP_PKTINFO...), as Linux's recvmsg */
	if (m.cmsg_len && copy_to_user(mh.control, kctl, m.cmsg_len))
		r = -EFAULT;
	ctl = m.cmsg_len;
	if (m.nfiles)
		ctl += rights_out(&m, mh.control + ctl, mh.control ? mh.controllen - ctl : 0,
				  flags & MSG_CMSG_CLOEXEC, &m.flags_out);
	if (mh.name &&
	    addr_out(kaddr, m.namelen, mh.name, umsg + offsetof(struct msghdr_k, namelen), false))
		r = -EFAULT;
	mh.controllen = ctl;
	mh.flags = m.flags_out;
	if (copy_to_user(umsg + offsetof(struct msghdr_k, controllen), &mh.controllen,
			 sizeof(mh.controllen)) ||
	    copy_to_user(umsg + offsetof(struct msghdr_k, flags), &mh.flags, sizeof(mh.flags)))
		r = -EFAULT;
out:
	msg_files_put(&m, 0);
	if (iov != &one)
		kfree(iov);
	return r;
}
