/*
 * Pseudo-terminals, as Linux's Unix 98 ptys (drivers/tty/pty.c, fs/devpts):
 * opening /dev/ptmx makes a pair and its slave node /dev/pts/N in the devpts
 * directory; the slave is a terminal with the shared line discipline
 * (fs/tty.c), the master the other end of its wire.  What the master writes
 * is typed at the slave's terminal; what the slave writes (after OPOST) and
 * the echoes go to the master's read queue, here.
 *
 * A pair is created locked (TIOCSPTLCK; unlockpt clears it) and the slave
 * cannot be opened until it is unlocked.  The slave's last close makes the
 * master read EIO once its queue is empty (POLLHUP); the master's close
 * hangs the slave up (read 0, write EIO, SIGHUP to a session it
 * controls) and removes /dev/pts/N.  The pair is freed with its last file.
 *
 * Locking: one lock per pair guards both ends (the slave's tty uses it as
 * its own), the queue and the counts below; waits use sched_wait.
 */
#include "fs/pty.h"
#include "core/cred.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "fs/n_tty.h"
#include "fs/tty.h"
#include "fs/vfs.h"
#include <lib/fmt.h>
#include "linux/uapi.h"

#define PTY_MAX		   256	 /* pairs at once: minors fit stat's old encoding */
#define PTY_OUT_SIZE	   16384 /* the master's read queue, bytes */
#define PTS_MAJOR	   136	 /* UNIX98_PTY_SLAVE_MAJOR (devices.txt) */
#define TTYAUX_MAJOR	   5	 /* /dev/ptmx is (5, 2) (devices.txt) */
#define PTMX_MINOR	   2
#define DEVPTS_SUPER_MAGIC 0x1cd1	    /* include/uapi/linux/magic.h */
#define DEVPTS_DEV	   0x0017	    /* an anonymous device number, as Linux gives */
#define PTS_MODE	   (S_IFCHR | 0620) /* Debian mounts devpts gid=5,mode=620 */
#define TTY_GID		   5		    /* the "tty" group */

/* ioctls (include/uapi/asm-generic/ioctls.h). */
#define TIOCGPTN    0x80045430
#define TIOCSPTLCK  0x40045431
#define TIOCGPTLCK  0x80045439
#define TIOCGPTPEER 0x5441

struct pty {
	struct spinlock lock; /* guards everything below and `tty` */
	struct tty tty;	      /* the slave's terminal */
	uint8_t *out;	      /* the master's read queue: [out_tail, out_head) */
	unsigned out_head, out_tail;
	unsigned index;	    /* N of /dev/pts/N */
	bool locked;	    /* TIOCSPTLCK: opening the slave gives EIO */
	bool master_open;   /* the master's file is still open */
	unsigned slaves;    /* open files of the slave */
	bool slave_closed;  /* the slave was open and its last file closed */
	struct inode *node; /* /dev/pts/N (out of the tree once the master closed) */
};

struct vfs_sb devpts_sb = { .name = "devpts", .magic = DEVPTS_SUPER_MAGIC, .dev = DEVPTS_DEV };
static struct inode *pts_dir;
/* The pairs by index; slots are taken and freed only by system calls, which
 * do not run concurrently (the big kernel lock of the syscall path). */
static struct pty *ptys[PTY_MAX];
static struct inode *pts_nodes[PTY_MAX]; /* /dev/pts/N, kept once made */
static char pts_names[PTY_MAX][4];	 /* their names, "0" to "255" */
static unsigned first_index;		 /* 1 once the console holds /dev/pts/0 */

static const struct file_ops master_ops, slave_ops, pts_node_ops;

/* ---------------------------------------------- the slave's driver */

static unsigned out_used(struct pty *p)
{
	return p->out_head - p->out_tail;
}

/* Copy between a flat buffer and the ring at free-running position `pos`
 * (at most two pieces: to the ring's end, then from its start). */
static void ring_copy(uint8_t *ring, unsigned pos, uint8_t *flat, size_t n, bool into_ring)
{
	while (n) {
		unsigned at = pos % PTY_OUT_SIZE;
		size_t k = MIN(n, (size_t)(PTY_OUT_SIZE - at));
		if (into_ring)
			memcpy(ring + at, flat, k);
		else
			memcpy(flat, ring + at, k);
		pos += k, flat += k, n -= k;
	}
}

static size_t pty_out_write(struct tty *t, const uint8_t *src, size_t n)
{
	struct pty *p = t->priv;

	n = MIN(n, (size_t)(PTY_OUT_SIZE - out_used(p)));
	ring_copy(p->out, p->out_head, (uint8_t *)src, n, true);
	p->out_head += n;
	return n;
}

static size_t pty_out_room(struct tty *t)
{
	return PTY_OUT_SIZE - out_used(t->priv);
}

static void pty_out_flush(struct tty *t)
{
	struct pty *p = t->priv;
	p->out_tail = p->out_head;
}

static struct file *slave_file(struct pty *p, unsigned flags);

/* /dev/tty when this slave is the controlling terminal. */
static struct file *pty_reopen(struct tty *t, unsigned flags)
{
	struct pty *p = t->priv;

	if (t->hungup)
		return ERR_PTR(-EIO);
	return slave_file(p, flags);
}

static const struct tty_driver pty_driver = {
	.write = pty_out_write,
	.write_room = pty_out_room,
	.flush_output = pty_out_flush,
	.open = pty_reopen,
};

/* ----------------------------------------------------- pairs */

static struct pty *pty_of(struct file *f)
{
	return f->priv;
}

/* The node of a slave: /dev/pts/`index`, owned by the tty group.  A node
 * is made once per index and linked in again when the index is reused: an
 * O_PATH file may still hold it after its pair went. */
static struct inode *pts_node(unsigned index, const struct file_ops *ops)
{
	struct inode *ino = pts_nodes[index];

	if (ino) {
		list_add_tail(&ino->dentry->sibling, &pts_dir->dentry->children);
		ino->dentry->parent = pts_dir->dentry;
		ino->uid = cred_current()->fsuid;
		ino->atime = ino->mtime = ino->ctime = vfs_now();
		return ino;
	}
	fmt_snprintf(pts_names[index], sizeof(pts_names[index]), "%u", index);
	ino = vfs_new_inode(pts_dir, pts_names[index], strlen(pts_names[index]), PTS_MODE);
	if (!ino)
		return NULL;
	ino->rdev = (PTS_MAJOR << 8) | index;
	ino->uid = cred_current()->fsuid; /* devpts: the opener of ptmx */
	ino->gid = TTY_GID;
	ino->fops = ops;
	ino->atime = ino->mtime = ino->ctime = vfs_now();
	pts_nodes[index] = ino;
	return ino;
}

/* A new pair with the lowest free index and its node; ERR_PTR on failure. */
static struct pty *pty_create(void)
{
	unsigned i = first_index;
	struct pty *p;

	while (i < PTY_MAX && ptys[i])
		i++;
	if (i == PTY_MAX)
		return ERR_PTR(-ENOSPC); /* as Linux past kernel.pty.max */
	p = kzalloc(sizeof(*p));
	if (!p || !(p->out = kmalloc(PTY_OUT_SIZE)))
		goto nomem;
	p->index = i;
	p->node = pts_node(i, &pts_node_ops);
	if (!p->node)
		goto nomem;
	tty_init(&p->tty, &p->lock, &pty_driver, p);
	p->locked = true;
	p->master_open = true;
	ptys[i] = p;
	return p;
nomem:
	if (p)
		kfree(p->out);
	kfree(p);
	return ERR_PTR(-ENOMEM);
}

/* The node leaves /dev/pts (the master closed); it lives on for open
 * slave files until the pair goes. */
static void pty_unlink(struct pty *p)
{
	if (!vfs_parent(p->node))
		return;
	list_del(&p->node->dentry->sibling);
	p->node->dentry->parent = NULL;
}

static void pty_free(struct pty *p)
{
	tty_release(&p->tty);
	pty_unlink(p);
	ptys[p->index] = NULL;
	kfree(p->out);
	kfree(p);
}

/* A file of one end of `p`, holding a reference on `ino`. */
static struct file *end_file(struct pty *p, struct inode *ino, const struct file_ops *ops,
			     unsigned flags)
{
	struct file *f = file_alloc(ino, ops, flags);

	if (!IS_ERR(f)) {
		f->stream = -1; /* not a console file */
		f->priv = p;
	}
	return f;
}

/* Opening /dev/ptmx: a new pair, and the master's file on that inode. */
static struct file *ptmx_open(struct inode *ino, unsigned flags)
{
	struct pty *p;
	struct file *f;

	if ((flags & O_ACCMODE) == O_ACCMODE)
		return ERR_PTR(-EINVAL);
	p = pty_create();
	if (IS_ERR(p))
		return (struct file *)p;
	f = end_file(p, ino, &master_ops, flags);
	if (IS_ERR(f)) {
		p->master_open = false;
		pty_free(p);
	}
	return f;
}

/* A new file of the slave: EIO while locked or once hung up (pty_open). */
static struct file *slave_file(struct pty *p, unsigned flags)
{
	uint64_t irq = spin_lock_irqsave(&p->lock);
	bool closed = p->locked || !p->master_open;
	struct file *f;

	spin_unlock_irqrestore(&p->lock, irq);
	if (closed)
		return ERR_PTR(-EIO);
	f = end_file(p, p->node, &slave_ops, flags);
	if (IS_ERR(f))
		return f;
	irq = spin_lock_irqsave(&p->lock);
	p->slaves++;
	p->slave_closed = false;
	p->tty.gen++;
	spin_unlock_irqrestore(&p->lock, irq);
	tty_opened(&p->tty, flags);
	return f;
}

/* Opening /dev/pts/N. */
static struct file *pts_open(struct inode *ino, unsigned flags)
{
	unsigned i = ino->rdev & 0xff;

	if (!ptys[i] || ptys[i]->node != ino)
		return ERR_PTR(-EIO);
	return slave_file(ptys[i], flags);
}

/* ---------------------------------------------------- the master */

static bool master_readable(void *arg)
{
	struct pty *p = arg;
	return out_used(p) || p->slave_closed;
}

static long master_read(struct file *f, void *kbuf, size_t n, uint64_t off)
{
	struct pty *p = pty_of(f);
	uint8_t *dst = kbuf;
	long r;

	for (;;) {
		uint64_t irq = spin_lock_irqsave(&p->lock);
		size_t got = MIN(n, (size_t)out_used(p));
		bool closed = p->slave_closed;
		ring_copy(p->out, p->out_tail, dst, got, false);
		p->out_tail += got;
		if (got)
			p->tty.gen++;
		spin_unlock_irqrestore(&p->lock, irq);
		if (got) {
			sched_wake_all(); /* room for the slave's writers */
			return got;
		}
		if (closed)
			return -EIO; /* the slave hung up (n_tty_read) */
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if ((r = sched_wait(master_readable, p, 0)))
			return r;
	}
}

static long master_write(struct file *f, const void *kbuf, size_t n, uint64_t off)
{
	return n_tty_input(&pty_of(f)->tty, kbuf, n, f->flags & O_NONBLOCK);
}

/* Linux's n_tty_poll on the master: POLLHUP once the slave closed. */
static unsigned master_poll(struct file *f, uint64_t *gen)
{
	struct pty *p = pty_of(f);
	uint64_t irq = spin_lock_irqsave(&p->lock);
	unsigned mask = 0;

	if (out_used(p))
		mask |= POLLIN | POLLRDNORM;
	if (p->slave_closed)
		mask |= POLLHUP;
	if (n_tty_input_room(&p->tty))
		mask |= POLLOUT | POLLWRNORM;
	if (gen)
		*gen = p->tty.gen;
	spin_unlock_irqrestore(&p->lock, irq);
	return mask;
}

/* TIOCGPTPEER: the slave opened from the master, with `flags`. */
static long open_peer(struct pty *p, unsigned flags)
{
	struct file *f;

	f = slave_file(p, flags);
	if (IS_ERR(f))
		return PTR_ERR(f);
	return fd_install_new(f, flags & O_CLOEXEC);
}

/* The master's own queue: FIONREAD counts it, TCFLSH's input side
 * empties it (what it wrote is in the slave's line discipline already). */
static long master_queue_ioctl(struct pty *p, unsigned cmd, uint64_t arg)
{
	uint64_t irq = spin_lock_irqsave(&p->lock);
	int n = out_used(p);

	if (cmd == TCFLSH && (arg == TCIFLUSH || arg == TCIOFLUSH))
		p->out_tail = p->out_head;
	spin_unlock_irqrestore(&p->lock, irq);
	if (cmd == TCFLSH) {
		sched_wake_all(); /* room for the slave's writers */
		return arg > TCIOFLUSH ? -EINVAL : 0;
	}
	return copy_to_user(arg, &n, sizeof(n));
}

static long master_ioctl(struct file *f, unsigned cmd, uint64_t arg)
{
	struct pty *p = pty_of(f);
	uint64_t irq;
	int v;

	switch (cmd) {
	case TIOCGPTN:
		v = p->index;
		return copy_to_user(arg, &v, sizeof(v));
	case TIOCSPTLCK:
		if (copy_from_user(&v, arg, sizeof(v)))
			return -EFAULT;
		irq = spin_lock_irqsave(&p->lock);
		p->locked = v != 0;
		spin_unlock_irqrestore(&p->lock, irq);
		return 0;
	case TIOCGPTLCK:
		v = p->locked;
		return copy_to_user(arg, &v, sizeof(v));
	case TIOCGPTPEER:
		return open_peer(p, arg);
	case FIONREAD:
	case TCFLSH:
		return master_queue_ioctl(p, cmd, arg);
	default: /* termios, window size, the foreground group: the slave's */
		return tty_ioctl(&p->tty, cmd, arg, true);
	}
}

/* The master's close hangs the slave up and removes /dev/pts/N. */
static void master_release(struct file *f)
{
	struct pty *p = pty_of(f);
	uint64_t irq = spin_lock_irqsave(&p->lock);
	bool last = !p->slaves;

	p->master_open = false;
	spin_unlock_irqrestore(&p->lock, irq);
	vfs_iput(f->inode);
	f->inode = NULL;
	pty_unlink(p);
	if (last)
		pty_free(p);
	else
		tty_hangup(&p->tty);
}

static const struct file_ops master_ops = {
	.read = master_read,
	.write = master_write,
	.ioctl = master_ioctl,
	.poll = master_poll,
	.release = master_release,
	.seekable = false,
};

/* ----------------------------------------------------- the slave */

static long slave_read(struct file *f, void *kbuf, size_t n, uint64_t off)
{
	struct tty *t = &pty_of(f)->tty;
	long r = tty_job_control(t, SIGTTIN);

	return r ? r : n_tty_read(t, kbuf, n, f->flags & O_NONBLOCK);
}

static long slave_write(struct file *f, const void *kbuf, size_t n, uint64_t off)
{
	struct tty *t = &pty_of(f)->tty;
	long r = (t->termios.lflag & TOSTOP) ? tty_job_control(t, SIGTTOU) : 0;

	return r ? r : n_tty_out_write(t, kbuf, n, f->flags & O_NONBLOCK);
}

static unsigned slave_poll(struct file *f, uint64_t *gen)
{
	return n_tty_poll(&pty_of(f)->tty, gen);
}

/* After a hang-up Linux's hung_up_tty_ioctl answers EIO (ENOTTY for
 * TIOCSPGRP). */
static long slave_ioctl(struct file *f, unsigned cmd, uint64_t arg)
{
	struct pty *p = pty_of(f);

	if (p->tty.hungup)
		return cmd == TIOCSPGRP ? -ENOTTY : -EIO;
	return tty_ioctl(&p->tty, cmd, arg, false);
}

/* The slave's last close: the master reads EIO once its queue is empty. */
static void slave_release(struct file *f)
{
	struct pty *p = pty_of(f);
	uint64_t irq = spin_lock_irqsave(&p->lock);
	bool gone;

	p->slaves--;
	p->slave_closed = !p->slaves;
	p->tty.gen++;
	gone = !p->slaves && !p->master_open;
	spin_unlock_irqrestore(&p->lock, irq);
	vfs_iput(f->inode);
	f->inode = NULL; /* the node may go with the pair */
	if (gone)
		pty_free(p);
	else
		sched_wake_all(); /* the master's reader sees EIO */
}

/* The node's operations only open it: an O_PATH file of the node gets
 * these, and has no pair to read, write or release. */
static const struct file_ops pts_node_ops = { .open = pts_open };

static const struct file_ops slave_ops = {
	.read = slave_read,
	.write = slave_write,
	.ioctl = slave_ioctl,
	.poll = slave_poll,
	.release = slave_release,
	.seekable = false,
};

const struct file_ops pty_ptmx_ops = { .open = ptmx_open };

struct inode *pty_console_node(const struct file_ops *ops)
{
	struct inode *ino = pts_node(0, ops);

	if (!ino)
		boot_out_of_memory("/dev/pts/0");
	first_index = 1;
	return ino;
}

/* Opening /dev/pts/ptmx works as /dev/ptmx does (its mode keeps most out,
 * as Linux's ptmxmode=000). */
void pty_init(struct inode *dev)
{
	struct inode *ptmx;

	pts_dir = vfs_mknode(dev, "pts", S_IFDIR | 0755);
	if (!pts_dir)
		boot_out_of_memory("/dev/pts");
	pts_dir->sb = &devpts_sb;
	ptmx = vfs_mknode(pts_dir, "ptmx", S_IFCHR);
	if (!ptmx)
		boot_out_of_memory("/dev/pts/ptmx");
	ptmx->rdev = (TTYAUX_MAJOR << 8) | PTMX_MINOR;
	ptmx->fops = &pty_ptmx_ops;
	ptmx->sb = &devpts_sb;
}
