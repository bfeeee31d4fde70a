/*
 * Pipes: a ring of page buffers between a read-end file and a write-end file,
 * laid out as Linux lays out its own (fs/pipe.c there), because programs can
 * observe the layout: a pipe holds 16 buffers of one page each (64 KiB,
 * F_GETPIPE_SZ), a small write is merged into the last buffer while it fits,
 * and a write that does not merge needs a whole free buffer.  So a program
 * filling a non-blocking pipe gets EAGAIN after exactly as many bytes as on
 * Linux.  Writes of at most PIPE_BUF (4096) bytes are atomic because they either
 * merge whole or take one buffer whole.  O_DIRECT makes a "packet" pipe:
 * every write is its own buffer and a read takes at most one.
 *
 * Pages are allocated as data arrives and given back as it is read, so an
 * idle pipe costs one small allocation.  Everything of a pipe is guarded by
 * its lock; waiters sleep on its wait queue, which pollers and epoll items
 * join too, and every state change that one may wait for wakes that queue
 * (after the lock is dropped) and no one else.
 */
#include "fs/vfs.h"
#include "core/cred.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/mem.h"
#include "core/sched.h"
#include "core/spinlock.h"
#include "core/uaccess.h"
#include "core/waitq.h"
#include "linux/uapi.h"

#define PIPE_DEF_BUFFERS 16	    /* default capacity: 16 pages (64 KiB) */
#define PIPE_SIZE_LIMIT	 (1u << 31) /* F_SETPIPE_SZ above this: EINVAL (round_pipe_size) */
#define PIPE_MODE	 (S_IFIFO | 0600)

/* One page of data; [off, off + len) is still unread. */
struct pipe_buffer {
	uint8_t *page;
	uint32_t off, len;
	bool packet; /* written in packet mode: never merged, read whole */
};

struct pipe {
	struct spinlock lock;
	struct inode inode; /* what fstat shows: S_IFIFO, one per pipe */
	/* The ring: slots [tail, head) hold data; the counters run freely and
	 * index the ring modulo nslots, a power of two. */
	struct pipe_buffer *bufs;
	unsigned nslots, head, tail;
	unsigned readers, writers; /* open end files (a dup shares one) */
	void (*broken)(void);	   /* a write found no reader (SIGPIPE) */
	uint64_t gen;		   /* bumped on data, room, or an end closing (epoll) */
	struct waitq wq;	   /* readers, writers and pollers of either end */
};

static const struct file_ops pipe_ops;

/* The pipe behind a file of either end. */
static struct pipe *pipe_of(struct file *f)
{
	return f->priv;
}

static bool pipe_empty(const struct pipe *p)
{
	return p->head == p->tail;
}

static bool pipe_full(const struct pipe *p)
{
	return p->head - p->tail >= p->nslots;
}

static struct pipe_buffer *pipe_slot(struct pipe *p, unsigned i)
{
	return &p->bufs[i & (p->nslots - 1)];
}

/* Bytes waiting to be read.  Caller holds the lock. */
static unsigned pipe_unread(struct pipe *p)
{
	unsigned n = 0;

	for (unsigned i = p->tail; i != p->head; i++)
		n += pipe_slot(p, i)->len;
	return n;
}

/* waitq_wait conditions: read without the lock, then re-checked under it. */
static bool pipe_readable(void *arg)
{
	struct pipe *p = arg;
	return !pipe_empty(p) || !p->writers;
}

static bool pipe_writable(void *arg)
{
	struct pipe *p = arg;
	return !pipe_full(p) || !p->readers;
}

/* Copy out of the buffers at the tail, freeing each one read empty.  A
 * packet buffer ends the read, and what the reader had no room for is
 * dropped, as Linux drops it.  Caller holds the lock. */
static size_t pipe_take(struct pipe *p, uint8_t *dst, size_t n)
{
	size_t done = 0;

	while (done < n && !pipe_empty(p)) {
		struct pipe_buffer *b = pipe_slot(p, p->tail);
		size_t k = MIN(n - done, (size_t)b->len);
		bool packet = b->packet;

		memcpy(dst + done, b->page + b->off, k);
		done += k;
		b->off += k;
		b->len = packet ? 0 : b->len - k;
		if (!b->len) {
			mem_free_frame(virt_to_phys(b->page));
			b->page = NULL;
			p->tail++;
		}
		if (packet)
			break;
	}
	return done;
}

static long pipe_read(struct file *f, void *kbuf, size_t n, uint64_t off)
{
	struct pipe *p = pipe_of(f);
	uint64_t flags;
	long r;

	if (!n)
		return 0;
	for (;;) {
		flags = spin_lock_irqsave(&p->lock);
		if (!pipe_empty(p) || !p->writers) {
			r = pipe_take(p, kbuf, n); /* 0: every writer has gone, EOF */
			spin_unlock_irqrestore(&p->lock, flags);
			if (r) {
				p->gen++;
				waitq_wake(&p->wq); /* room for blocked writers */
			}
			return r;
		}
		spin_unlock_irqrestore(&p->lock, flags);
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		r = waitq_wait(&p->wq, pipe_readable, p, 0);
		if (r)
			return r; /* -EINTR */
	}
}

/* Merge the first `n` bytes of a write into the last buffer when Linux
 * would: the pipe is not empty, that buffer takes merges and has room after
 * its data.  Returns the bytes merged (0 or n).  Caller holds the lock. */
static size_t pipe_merge(struct pipe *p, const uint8_t *src, size_t n)
{
	struct pipe_buffer *b;

	if (!n || pipe_empty(p))
		return 0;
	b = pipe_slot(p, p->head - 1);
	if (b->packet || b->off + b->len + n > PAGE_SIZE)
		return 0;
	memcpy(b->page + b->off + b->len, src, n);
	b->len += n;
	return n;
}

/* Put up to one page of `src` into a new buffer at the head.  Returns the
 * bytes stored, or -ENOMEM.  Caller holds the lock; the pipe is not full. */
static long pipe_put_page(struct pipe *p, const uint8_t *src, size_t n, bool packet)
{
	struct pipe_buffer *b = pipe_slot(p, p->head);
	uint64_t pa = mem_alloc_frame(0);

	if (!pa)
		return -ENOMEM;
	n = MIN(n, (size_t)PAGE_SIZE);
	b->page = phys_to_virt(pa);
	b->off = 0;
	b->len = n;
	b->packet = packet;
	memcpy(b->page, src, n);
	p->head++;
	return n;
}

/* A write that found no reader: tell the creator (it raises SIGPIPE) and
 * fail with EPIPE; `done` bytes went in before the reader left. */
static long pipe_broken(struct pipe *p, size_t done)
{
	if (p->broken)
		p->broken();
	return done ? (long)done : -EPIPE;
}

/* Store as much of `src` as fits now; merging is tried on the `first` round
 * only, as Linux tries it once per write.  Returns the bytes stored or
 * -ENOMEM; sets *gone when no reader is left.  Caller holds the lock. */
static long pipe_fill(struct pipe *p, const uint8_t *src, size_t n, bool packet, bool first,
		      bool *gone)
{
	size_t done = 0;
	long r;

	/* Linux merges the part of the write past its last whole page, taking
	 * it from the start, before it takes new buffers. */
	if (first && !packet)
		done = pipe_merge(p, src, n & (PAGE_SIZE - 1));
	while (done < n && !pipe_full(p)) {
		if (!p->readers) {
			*gone = true;
			break;
		}
		r = pipe_put_page(p, src + done, n - done, packet);
		if (r < 0)
			return done ? (long)done : r;
		done += r;
	}
	return done;
}

static long pipe_write(struct file *f, const void *kbuf, size_t n, uint64_t off)
{
	struct pipe *p = pipe_of(f);
	bool packet = f->flags & O_DIRECT, gone = !p->readers;
	size_t done = 0;
	uint64_t flags;
	long r;

	if (!n)
		return 0;
	while (!gone) {
		flags = spin_lock_irqsave(&p->lock);
		r = pipe_fill(p, (const uint8_t *)kbuf + done, n - done, packet, !done, &gone);
		spin_unlock_irqrestore(&p->lock, flags);
		if (r < 0)
			return done ? (long)done : r;
		if (r) {
			p->gen++;
			waitq_wake(&p->wq); /* data for blocked readers */
		}
		done += r;
		if (done == n || gone)
			break;
		if (f->flags & O_NONBLOCK)
			return done ? (long)done : -EAGAIN;
		r = waitq_wait(&p->wq, pipe_writable, p, 0);
		if (r)
			return done ? (long)done : r; /* -EINTR */
		gone = !p->readers;
	}
	return gone ? pipe_broken(p, done) : (long)done;
}

/* Give back every page and the pipe itself.  No end is left. */
static void pipe_free(struct pipe *p)
{
	for (unsigned i = p->tail; i != p->head; i++)
		mem_free_frame(virt_to_phys(pipe_slot(p, i)->page));
	kfree(p->bufs);
	kfree(p);
}

/* An end file is closing for good (its last descriptor went): the pipe goes
 * with its last end; until then the other end sees EOF or EPIPE. */
static void pipe_release(struct file *f)
{
	struct pipe *p = pipe_of(f);
	uint64_t flags = spin_lock_irqsave(&p->lock);
	bool last;

	if (file_readable(f))
		p->readers--;
	if (file_writable(f))
		p->writers--;
	/* An O_PATH descriptor opened through /proc/PID/fd holds the inode
	 * (vfs_iget) but no end: the pipe must outlive it, and is then kept
	 * for good (it has no filesystem to evict it; a rare, small leak). */
	last = !p->readers && !p->writers && !p->inode.refs;
	spin_unlock_irqrestore(&p->lock, flags);
	/* The inode belongs to the pipe, not to a tree: file_put must not drop
	 * a reference on it once the pipe may be gone. */
	f->inode = NULL;
	f->priv = NULL;
	if (last)
		pipe_free(p);
	else {
		p->gen++;
		waitq_wake(&p->wq); /* readers see EOF, writers EPIPE */
	}
}

/* FIONREAD: the bytes a read would find now. */
static long pipe_ioctl(struct file *f, unsigned cmd, uint64_t arg)
{
	struct pipe *p = pipe_of(f);
	uint64_t flags;
	int n;

	if (cmd != FIONREAD)
		return -ENOTTY;
	flags = spin_lock_irqsave(&p->lock);
	n = pipe_unread(p);
	spin_unlock_irqrestore(&p->lock, flags);
	return copy_to_user(arg, &n, sizeof(n));
}

/* One set for both ends: the access mode (O_RDONLY, O_WRONLY) tells them
 * apart, and the read and write paths refuse the wrong end with EBADF. */
/* Linux's pipe_poll(): the read end is readable with data or once every
 * writer is gone (POLLHUP); the write end is writable with room, and gets
 * POLLERR once every reader is gone. */
static unsigned pipe_poll(struct file *f, uint64_t *gen)
{
	struct pipe *p = pipe_of(f);
	unsigned mask = 0;
	uint64_t flags = spin_lock_irqsave(&p->lock);

	if (!file_writable(f)) { /* the read end */
		if (!pipe_empty(p))
			mask |= POLLIN | POLLRDNORM;
		if (!p->writers)
			mask |= POLLHUP;
	} else {
		if (!pipe_full(p))
			mask |= POLLOUT | POLLWRNORM;
		if (!p->readers)
			mask |= POLLERR;
	}
	if (gen)
		*gen = p->gen;
	spin_unlock_irqrestore(&p->lock, flags);
	return mask;
}

static struct waitq *pipe_waitq(struct file *f)
{
	return &pipe_of(f)->wq;
}

static const struct file_ops pipe_ops = {
	.poll = pipe_poll,
	.waitq = pipe_waitq,
	.read = pipe_read,
	.write = pipe_write,
	.ioctl = pipe_ioctl,
	.release = pipe_release,
};

/* Linux's round_pipe_size: whole pages, a power of two of them; 0 when too
 * big. */
static unsigned pipe_round_slots(uint64_t size)
{
	unsigned slots = 1;

	if (size > PIPE_SIZE_LIMIT)
		return 0;
	while ((uint64_t)slots * PAGE_SIZE < size)
		slots <<= 1;
	return slots;
}

/* Move the ring into `nslots` new slots, keeping the data in order. */
static long pipe_resize(struct pipe *p, unsigned nslots)
{
	struct pipe_buffer *bufs = kzalloc(nslots * sizeof(*bufs));
	unsigned used;
	uint64_t flags;

	if (!bufs)
		return -ENOMEM;
	flags = spin_lock_irqsave(&p->lock);
	used = p->head - p->tail;
	if (used > nslots) {
		spin_unlock_irqrestore(&p->lock, flags);
		kfree(bufs);
		return -EBUSY; /* the data would not fit */
	}
	for (unsigned i = 0; i < used; i++)
		bufs[i] = *pipe_slot(p, p->tail + i);
	kfree(p->bufs);
	p->bufs = bufs;
	p->nslots = nslots;
	p->tail = 0;
	p->head = used;
	spin_unlock_irqrestore(&p->lock, flags);
	p->gen++;
	waitq_wake(&p->wq); /* a bigger pipe has room for blocked writers */
	return 0;
}

long pipe_fcntl(struct file *f, long cmd, uint64_t arg)
{
	struct pipe *p = f->ops == &pipe_ops ? pipe_of(f) : NULL;
	unsigned nslots;
	long r;

	if (!p)
		return -EBADF; /* as Linux answers for a file that is no pipe */
	if (cmd == F_GETPIPE_SZ)
		return p->nslots * PAGE_SIZE;
	if (cmd != F_SETPIPE_SZ)
		return -EINVAL;
	/* Linux takes the size as an unsigned int.  The one user is root, so
	 * /proc/sys/fs/pipe-max-size does not apply (CAP_SYS_RESOURCE). */
	nslots = pipe_round_slots((uint32_t)arg);
	if (!nslots)
		return -EINVAL;
	if (nslots != p->nslots && (r = pipe_resize(p, nslots)))
		return r;
	return nslots * PAGE_SIZE;
}

/* A file for one end of `p`. */
static struct file *pipe_end(struct pipe *p, unsigned flags)
{
	struct file *f = kzalloc(sizeof(*f));

	if (!f)
		return NULL;
	f->refs = 1;
	f->flags = flags;
	f->inode = &p->inode;
	f->ops = &pipe_ops;
	f->stream = -1; /* not a console file */
	f->priv = p;
	return f;
}

/*
 * The pipe opened again through its inode (/proc/PID/fd/N, Linux's
 * fifo_open): a new end file that counts as a reader, a writer or, with
 * O_RDWR, both.  Unlike a FIFO's open it never waits for the other end:
 * the pipe had both when it was made.  Called with a descriptor on the
 * pipe held, so the pipe is alive.
 */
static struct file *pipe_reopen(struct inode *ino, unsigned flags)
{
	struct pipe *p = container_of(ino, struct pipe, inode);
	struct file *f;
	uint64_t irq;

	if ((flags & O_ACCMODE) == O_ACCMODE)
		return ERR_PTR(-EINVAL);
	if (!(f = pipe_end(p, flags & (O_ACCMODE | O_NONBLOCK | O_DIRECT))))
		return ERR_PTR(-ENOMEM);
	irq = spin_lock_irqsave(&p->lock);
	if (file_readable(f))
		p->readers++;
	if (file_writable(f))
		p->writers++;
	spin_unlock_irqrestore(&p->lock, irq);
	return f;
}

static const struct file_ops pipe_inode_ops = { .open = pipe_reopen };

int pipe_create(struct file *ends[2], unsigned flags, void (*broken)(void))
{
	static uint64_t next_ino = 1;
	unsigned keep = flags & (O_NONBLOCK | O_DIRECT);
	struct pipe *p = kzalloc(sizeof(*p));

	if (!p)
		return -ENOMEM;
	waitq_init(&p->wq);
	p->nslots = PIPE_DEF_BUFFERS;
	p->bufs = kzalloc(p->nslots * sizeof(*p->bufs));
	p->inode.ino = next_ino++;
	p->inode.mode = PIPE_MODE;
	p->inode.fops = &pipe_inode_ops;
	cred_new_owner(&p->inode.uid, &p->inode.gid);
	p->inode.nlink = 1;
	p->inode.atime = p->inode.mtime = p->inode.ctime = vfs_now();
	p->readers = p->writers = 1;
	p->broken = broken;
	ends[0] = p->bufs ? pipe_end(p, O_RDONLY | keep) : NULL;
	ends[1] = ends[0] ? pipe_end(p, O_WRONLY | keep) : NULL;
	if (!ends[1]) {
		kfree(ends[0]);
		kfree(p->bufs);
		kfree(p);
		return -ENOMEM;
	}
	return 0;
}
