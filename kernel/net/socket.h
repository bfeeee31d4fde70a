/*
 * The socket layer: a socket is an open file whose operations are those of
 * its address family.  socket.c holds what every family shares (the file
 * operations, SOL_SOCKET options, blocking with timeouts, the family table);
 * a family (AF_UNIX in net/unix.c, later AF_INET and AF_INET6 through lwIP)
 * supplies a struct sock_family to create its sockets and a struct sock_ops
 * table for them.  The system calls are in linux/sys_socket.c.
 *
 * Data moves between the program and a family through a struct sock_iter,
 * which walks either user buffers (the socket calls) or one kernel buffer
 * (read and write through the file operations), so a family copies once and
 * never needs to know which.
 *
 * Constants are Linux's (include/linux/socket.h, include/uapi/asm-generic/
 * socket.h, include/linux/net.h).
 */
#ifndef NET_SOCKET_H
#define NET_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/waitq.h"
#include "fs/vfs.h"

/* Address families. */
#define AF_UNSPEC 0
#define AF_UNIX	  1
#define AF_INET	  2
#define AF_INET6  10
#define AF_MAX	  46

/* Socket types and the flags socket(2) takes with them. */
#define SOCK_STREAM    0x1
#define SOCK_DGRAM     0x2
#define SOCK_RAW       0x3
#define SOCK_SEQPACKET 0x5
#define SOCK_TYPE_MASK 0xf
#define SOCK_MAX       11 /* types at or above this: EINVAL */
#define SOCK_NONBLOCK  O_NONBLOCK
#define SOCK_CLOEXEC   O_CLOEXEC

/* send/recv flags. */
#define MSG_OOB		 0x1
#define MSG_PEEK	 0x2
#define MSG_CTRUNC	 0x8
#define MSG_TRUNC	 0x20
#define MSG_DONTWAIT	 0x40
#define MSG_EOR		 0x80
#define MSG_WAITALL	 0x100
#define MSG_NOSIGNAL	 0x4000
#define MSG_CMSG_CLOEXEC 0x40000000

/* shutdown(2) and the per-socket shutdown bits (RCV_SHUTDOWN...). */
#define SHUT_RD	      0
#define SHUT_WR	      1
#define SHUT_RDWR     2
#define RCV_SHUTDOWN  1
#define SEND_SHUTDOWN 2
#define SHUTDOWN_MASK 3

/* Socket-level options (asm-generic/socket.h). */
#define SOL_SOCKET    1
#define SO_DEBUG      1
#define SO_REUSEADDR  2
#define SO_TYPE	      3
#define SO_ERROR      4
#define SO_DONTROUTE  5
#define SO_BROADCAST  6
#define SO_SNDBUF     7
#define SO_RCVBUF     8
#define SO_KEEPALIVE  9
#define SO_OOBINLINE  10
#define SO_LINGER     13
#define SO_REUSEPORT  15
#define SO_PASSCRED   16
#define SO_PEERCRED   17
#define SO_RCVLOWAT   18
#define SO_SNDLOWAT   19
#define SO_RCVTIMEO   20 /* SO_RCVTIMEO_OLD: a 64-bit struct timeval on x86-64 */
#define SO_SNDTIMEO   21
#define SO_ACCEPTCONN 30
#define SO_PROTOCOL   38
#define SO_DOMAIN     39

/* Ancillary data: fd passing (SCM_RIGHTS). */
#define SCM_RIGHTS 1
#define SCM_MAX_FD 253 /* files one message may carry (include/net/scm.h) */

/* Control messages a family writes on one receive (IP_PKTINFO, IP_TTL...:
 * a few dozen bytes each); sys_recvmsg gives the program at most this. */
#define SOCK_CMSG_MAX 256

/* The largest address any family takes (struct sockaddr_storage). */
#define SOCK_ADDR_MAX 128

/* Connections a listener queues for accept() (net.core.somaxconn): the
 * largest backlog.  AF_INET does not enforce a smaller listen() backlog (see
 * on_accept in inet.c). */
#define SOMAXCONN 4096

/* Buffer sizes: Linux's defaults and limits (net.core.[rw]mem_*). */
#define SOCK_BUF_DEFAULT 212992
#define SOCK_BUF_MAX	 212992
#define SOCK_MIN_SNDBUF	 4608
#define SOCK_MIN_RCVBUF	 2304

/* One user buffer of a scatter list (struct iovec). */
struct sock_iov {
	uint64_t base, len;
};

/*
 * A cursor over the data of one send or receive: a user iovec array, or a
 * single kernel buffer (`kbuf` set).  `left` is what remains in all.
 */
struct sock_iter {
	const struct sock_iov *iov; /* user buffers (kbuf == NULL) */
	size_t cnt, idx, off;	    /* iov[idx] is current, `off` into it */
	uint8_t *kbuf;		    /* or: one kernel buffer */
	size_t left;
};

/* Start a cursor over `cnt` user buffers, or one kernel buffer of `n`. */
void sock_iter_user(struct sock_iter *it, const struct sock_iov *iov, size_t cnt);
void sock_iter_kernel(struct sock_iter *it, void *kbuf, size_t n);

/* Move `n` bytes (at most it->left) from the cursor into `dst`, or from `src`
 * to the cursor, advancing it.  0 or -EFAULT.  Process context, no lock held
 * (a user page may need paging in). */
long sock_iter_from(struct sock_iter *it, void *dst, size_t n);
long sock_iter_to(struct sock_iter *it, const void *src, size_t n);

/*
 * One send or receive, as a family sees it.  The syscall layer copies the
 * address and the passed files in (send) and out (receive).
 */
struct sock_msg {
	struct sock_iter data;
	void *name;	     /* send: the destination (NULL: none); receive: a
			  * SOCK_ADDR_MAX buffer for the source */
	size_t namelen;	     /* its length; receive: set by the family (0: none) */
	struct file **files; /* send: files to pass (references; the family
			      * takes the array and sets nfiles 0 once it
			      * keeps them); receive: room for SCM_MAX_FD,
			      * filled with the files received */
	int nfiles;
	int flags_out;	  /* receive: MSG_TRUNC, MSG_CTRUNC */
	uint8_t *cmsg;	  /* receive: control messages, as the program's
			    * struct cmsghdr (sock_put_cmsg); NULL: none wanted */
	size_t cmsg_room; /* its size: the program's msg_controllen, at most
			    * SOCK_CMSG_MAX (0 when msg_control is NULL) */
	size_t cmsg_len;  /* bytes written */
};

/*
 * Append one control message (`level`, `type`, `len` bytes of `data`) to a
 * receive, as Linux's put_cmsg does: a message that does not fit whole is
 * cut to the room left and sets MSG_CTRUNC; no room for its header (or no
 * control buffer) drops it with MSG_CTRUNC.  Any context.
 */
void sock_put_cmsg(struct sock_msg *m, int level, int type, const void *data, size_t len);

struct socket;

/*
 * A family's operations on one socket.  All run in process context with no
 * lock held and return -errno on failure; `nonblock` says whether a call
 * that would wait must fail with -EAGAIN instead (O_NONBLOCK or
 * MSG_DONTWAIT).  Waiting goes through sock_wait so timeouts and signals act
 * the same in every family.
 */
struct sock_ops {
	/* `mode`: the permission bits of a name made in the filesystem. */
	int (*bind)(struct socket *s, const void *addr, size_t len, unsigned mode);
	int (*listen)(struct socket *s, int backlog);
	/* The next connection, a socket without a file, or an ERR_PTR. */
	struct socket *(*accept)(struct socket *s, bool nonblock);
	int (*connect)(struct socket *s, const void *addr, size_t len, bool nonblock);
	/* Bytes sent or received; -EPIPE makes the generic layer raise
	 * SIGPIPE unless MSG_NOSIGNAL. */
	long (*sendmsg)(struct socket *s, struct sock_msg *m, int flags, bool nonblock);
	long (*recvmsg)(struct socket *s, struct sock_msg *m, int flags, bool nonblock);
	int (*shutdown)(struct socket *s, int how);
	/* The local (or peer) address into `addr` (SOCK_ADDR_MAX bytes). */
	int (*getname)(struct socket *s, void *addr, size_t *len, bool peer);
	/* POLL* events ready now, and the generation (see file_ops.poll). */
	unsigned (*poll)(struct socket *s, uint64_t *gen);
	/* Family ioctls (FIONREAD); -ENOTTY for others. */
	long (*ioctl)(struct socket *s, unsigned cmd, uint64_t arg);
	/* Options at levels other than SOL_SOCKET (optional: -EOPNOTSUPP). */
	int (*setsockopt)(struct socket *s, int level, int name, const void *val, size_t len);
	int (*getsockopt)(struct socket *s, int level, int name, void *val, size_t *len);
	/* The socket is going: free s->priv. */
	void (*release)(struct socket *s);
	/* Optional: the queue the family wakes on every change its poll may
	 * see (s->wq through sock_wake, or its own), where sock_wait sleeps
	 * and poll and epoll register; NULL (or no op): its changes call
	 * sched_wake_all(), and sock_wait sleeps on s->wq. */
	struct waitq *(*waitq)(struct socket *s);
};

/* An address family: what socket(2) and socketpair(2) dispatch to. */
struct sock_family {
	int family;
	/* Make `s` (type and protocol set) a socket of this family: set
	 * s->ops and s->priv.  -ESOCKTNOSUPPORT, -EPROTONOSUPPORT, -ENOMEM. */
	int (*create)(struct socket *s, int protocol);
	/* Connect two fresh sockets to each other (optional: -EOPNOTSUPP). */
	int (*pair)(struct socket *a, struct socket *b);
};

/* The families (one line each in socket.c's table). */
extern const struct sock_family unix_family;
extern const struct sock_family inet_family, inet6_family; /* net/inet.c, over lwIP */

/*
 * A socket.  The generic fields are set by socket.c; the options are read by
 * the families (buffer sizes, timeouts).  One CPU runs the kernel at a time
 * today; a family guards its own state with its lock.
 */
struct socket {
	int family, type, protocol;
	const struct sock_ops *ops;
	void *priv;	    /* the family's state */
	struct inode inode; /* what fstat shows: S_IFSOCK */
	int err;	    /* pending error (SO_ERROR; ECONNRESET...) */
	int sndbuf, rcvbuf; /* SO_SNDBUF, SO_RCVBUF (doubled, as Linux does) */
	uint64_t rcvtimeo;  /* SO_RCVTIMEO in ns (0: none) */
	uint64_t sndtimeo;
	bool reuseaddr, reuseport, keepalive, passcred, broadcast, oobinline;
	int linger_on, linger_secs;
	/* Its blocked calls (sock_wait) and its pollers: woken by sock_wake
	 * (the families' lock may be held, see core/waitq.h's order). */
	struct waitq wq;
};

/*
 * Create a socket of `family` and `type` (SOCK_* with SOCK_NONBLOCK and
 * SOCK_CLOEXEC ignored here) and its file.  The file or an ERR_PTR:
 * -EAFNOSUPPORT (no such family, AF_INET until lwIP), -EINVAL (bad type),
 * what the family's create gives.  Process context.
 */
struct file *sock_create(int family, int type, int protocol);

/* socketpair(2): two connected sockets' files in `files`.  0 or -errno
 * (-EOPNOTSUPP when the family has no pairs). */
int sock_create_pair(int family, int type, int protocol, struct file *files[2]);

/* A new socket without a file (a family's accepted connection), of the
 * family and type of `like`; NULL when out of memory. */
struct socket *sock_alloc(const struct socket *like);
/* Free a socket that never got a file (release runs first). */
void sock_free(struct socket *s);
/* A file for socket `s` (which it then owns), with O_* `flags` (only
 * O_NONBLOCK kept); NULL when out of memory. */
struct file *sock_file(struct socket *s, unsigned flags);

/* The socket behind file `f`, or NULL if it is no socket. */
struct socket *sock_from_file(struct file *f);

/* send and receive through the family, raising SIGPIPE on EPIPE unless
 * MSG_NOSIGNAL; O_NONBLOCK of `f` or MSG_DONTWAIT makes them non-blocking.
 * Bytes moved or -errno. */
long sock_sendmsg(struct file *f, struct sock_msg *m, int flags);
long sock_recvmsg(struct file *f, struct sock_msg *m, int flags);

/* setsockopt/getsockopt: SOL_SOCKET here, other levels to the family.
 * `val` is a kernel copy; *len in: its room, out: the length written.
 * -ENOPROTOOPT for an unknown option, -EINVAL for a short value, -EDOM for
 * a bad timeout. */
int sock_setsockopt(struct socket *s, int level, int name, const void *val, size_t len);
int sock_getsockopt(struct socket *s, int level, int name, void *val, size_t *len);

/*
 * Block until `cond(arg)`, for a send (`send`) or a receive, honouring the
 * socket's SO_SNDTIMEO or SO_RCVTIMEO.  0 when the condition may hold,
 * -EAGAIN when the timeout passed, -ERESTARTSYS for a signal (-EINTR when a
 * timeout is set, as Linux answers: such a call is not restarted).  Process
 * context, no lock held.
 */
long sock_wait(struct socket *s, bool send, bool (*cond)(void *arg), void *arg);

/* sock_wait on another socket's queue `wq` (a unix connect waits on the
 * listener's), with `s`'s timeouts. */
long sock_wait_on(struct socket *s, struct waitq *wq, bool send, bool (*cond)(void *arg),
		  void *arg);

/* Wake what waits on `s`: its blocked calls, pollers and epoll items.  Any
 * context; the family's lock may be held (never a wait queue's). */
void sock_wake(struct socket *s);

/* Register the function that raises SIGPIPE for the current thread (the
 * Linux layer owns signals).  Any time; the last one wins. */
void sock_set_sigpipe(void (*fn)(void));

#endif
