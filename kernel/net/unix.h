/*
 * AF_UNIX internals shared by net/unix.c (sockets, names, connections) and
 * net/unix_msg.c (moving data: the receive queues, send and receive).  Not
 * for use outside net/: others see AF_UNIX through net/socket.h only.
 *
 * Semantics are Linux's (net/unix/af_unix.c): a connect makes the server's
 * end at once (an "embryo" queued on the listener until accept takes it),
 * so a client may write before it is accepted; each end's receive queue
 * holds what its peer sent; a datagram carries its sender's name.
 *
 * Locking: one spinlock, unix_lock, guards every AF_UNIX socket's state, the
 * queues and the table of bound names.  Data is copied to and from the
 * program with the lock dropped: a queued buffer (struct unix_skb) is
 * reference counted so it outlives the lock, and a receive reserves its
 * bytes under the lock before copying them.
 */
#ifndef NET_UNIX_H
#define NET_UNIX_H

#include "net/socket.h"
#include "core/spinlock.h"
#include "core/waitq.h"
#include <lib/list.h>

#define UNIX_PATH_MAX	    108			/* sun_path */
#define UNIX_ADDR_MAX	    (2 + UNIX_PATH_MAX) /* sizeof(struct sockaddr_un) */
#define UNIX_MAX_DGRAM_QLEN 10			/* net.unix.max_dgram_qlen */
#define UNIX_SKB_MAX	    65536		/* the largest piece a stream send queues */
#define UNIX_DGRAM_OVERHEAD 32			/* a datagram above sndbuf - this: EMSGSIZE */

enum unix_state {
	UNIX_UNCONNECTED,
	UNIX_LISTENING,
	UNIX_CONNECTED,
};

/* A socket's name as sockaddr_un bytes (family included); len 0: none. */
struct unix_name {
	size_t len;
	uint8_t addr[UNIX_ADDR_MAX + 1]; /* room for the NUL a path gets */
};

/* One buffer in a receive queue: a datagram, or a piece of a stream. */
struct unix_skb {
	struct list_head node; /* in the receiver's queue */
	unsigned refs;	       /* the queue's and each copier's (unix_lock) */
	size_t len, off;       /* data[off, len) is unread (streams) */
	struct unix_name from; /* datagrams: the sender's name */
	struct file **files;   /* SCM_RIGHTS: files in flight */
	int nfiles;
	uint8_t data[];
};

struct unix_sock {
	struct socket *sock; /* NULL once released */
	unsigned refs;	     /* its socket's, each peer pointer's */
	enum unix_state state;
	bool dead;		 /* released: sends to it fail */
	bool dgram;		 /* SOCK_DGRAM (kept when the socket goes) */
	bool embryo;		 /* queued on a listener, not yet accepted */
	unsigned shutdown;	 /* RCV_SHUTDOWN, SEND_SHUTDOWN */
	struct unix_sock *peer;	 /* connected to (holds a reference) */
	struct list_head queue;	 /* unix_skb; a listener: unix_sock.accept */
	size_t qbytes;		 /* unread bytes in `queue` */
	unsigned qlen;		 /* entries in `queue` */
	unsigned backlog;	 /* listen(2) */
	struct unix_name name;	 /* bound (or, accepted: the listener's) */
	struct inode *ino;	 /* a filesystem name: its inode (a reference) */
	struct list_head bound;	 /* in the table of bound names */
	struct list_head accept; /* in the listener's queue (embryo) */
	uint64_t gen;		 /* poll generation (epoll's edge trigger) */
	/* A connection's blocked calls and pollers, and, on a listener, the
	 * connects waiting for room (unix_wake).  Datagram sockets' changes
	 * wake everyone instead: see unix_wake. */
	struct waitq wq;
};

extern struct spinlock unix_lock;

static inline struct unix_sock *unix_sk(struct socket *s)
{
	return s->priv;
}

/* Is the socket's type a connection (stream or seqpacket)? */
static inline bool unix_connection(const struct socket *s)
{
	return s->type != SOCK_DGRAM;
}

/* Something of `u` changed that a poller of it or its peer may want: bump
 * both generations.  Caller holds unix_lock, then calls unix_wake(). */
void unix_touch(struct unix_sock *u);

/*
 * unix_wake - wake what waits on `u` and on its peer: their queues (a
 * connection's two ends know each other), and for a datagram socket every
 * waiter (sched_wake_all): a datagram's senders and receiver do not know
 * each other, so the room one read makes cannot be aimed (Linux keeps a
 * peer_wait queue for it; here datagram sockets stay on the global wake,
 * and poll and epoll re-check them at every wake-up: their file has no
 * queue).  Takes unix_lock (before the queues' locks), so not under it.
 */
void unix_wake(struct unix_sock *u);

/* Drop a reference to `u` (the last frees it).  Takes unix_lock. */
void unix_put(struct unix_sock *u);

/* Check a sockaddr_un of `len` bytes and copy it into `n`, cutting a path at
 * its NUL as Linux does.  0 or -EINVAL. */
int unix_mkname(const void *addr, size_t len, struct unix_name *n);

/* The bound socket named `n` of `type`, with a reference, or an ERR_PTR:
 * -ECONNREFUSED (nobody there), -EPROTOTYPE (another type), the path's
 * lookup errors.  Process context, no lock held. */
struct unix_sock *unix_find(const struct unix_name *n, int type);

/* unix_msg.c: send and receive, for unix_ops. */
long unix_sendmsg(struct socket *s, struct sock_msg *m, int flags, bool nonblock);
long unix_recvmsg(struct socket *s, struct sock_msg *m, int flags, bool nonblock);
/* Drop a reference to a buffer (the last frees it and its files).  No lock
 * held: freeing files may release sockets. */
void unix_skb_put(struct unix_skb *skb);

#endif
