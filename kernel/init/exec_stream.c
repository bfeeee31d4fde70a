/*
 * The files behind the fds 0, 1 and 2 of a process the host started
 * (init/exec.c): fd 0 reads the slot's ring of XSTDIN bytes (and tells the
 * host with XACK how much was read, so that it sends no more than the
 * ring holds); fds 1 and 2 write XSTDOUT and XSTDERR frames, each at most
 * one wire buffer with the stream id first.  They look like pipes (FIFO
 * inodes, POLLHUP at the end of input).  With -t the three are one
 * terminal of the shared tty layer instead (fs/tty.h): the line discipline
 * is the guest's (the client's terminal is raw, as docker's), its output
 * goes out as XSTDOUT, host bytes are typed at it, and it is the process's
 * controlling terminal.  Not done: reopening a stream through
 * /proc/PID/fd, a window size change after the start.
 */
#include "init/exec_internal.h"
#include "core/console.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/uaccess.h"
#include "fs/tty.h"
#include "fs/vfs.h"
#include "linux/uapi.h"
#include <lib/errno.h>

static struct inode stream_inode[4]; /* fds 0-2, and a terminal (-t) */

static bool input_ready(void *arg)
{
	struct exec_slot *s = arg;

	return s->in_count || s->in_eof;
}

/* Tell the host that `n` more bytes were read, once enough have been (or
 * the ring is empty): it may send as many again. */
static void ack_input(struct exec_slot *s, size_t n)
{
	uint8_t b[5];

	s->in_unacked += (uint32_t)n;
	if (!s->in_unacked || (s->in_unacked < EXEC_ACK_EVERY && s->in_count))
		return;
	b[0] = s->id;
	memcpy(b + 1, &s->in_unacked, 4);
	console_write(MONOS_CHAN_XACK, b, sizeof(b));
	s->in_unacked = 0;
}

static long stream_read(struct exec_slot *s, uint8_t *kbuf, uint64_t ubuf, size_t n, bool nonblock)
{
	size_t done = 0;
	long err;

	while (!input_ready(s)) {
		if (nonblock)
			return -EAGAIN;
		if ((err = waitq_wait(&s->wq, input_ready, s, 0)))
			return err;
	}
	while (done < n && s->in_count) {
		size_t k = MIN(MIN(n - done, s->in_count), EXEC_STDIN_SIZE - s->in_head);
		if (kbuf)
			memcpy(kbuf + done, s->in + s->in_head, k);
		else if (copy_to_user(ubuf + done, s->in + s->in_head, k))
			return done ? (long)done : -EFAULT;
		s->in_head = (s->in_head + k) % EXEC_STDIN_SIZE;
		s->in_count -= k;
		done += k;
	}
	ack_input(s, done);
	return (long)done;
}

static long stream_fread(struct file *f, void *kbuf, size_t n, uint64_t off)
{
	return f->stream ? -EBADF : stream_read(f->priv, kbuf, 0, n, f->flags & O_NONBLOCK);
}

static long stream_read_user(struct file *f, uint64_t ubuf, size_t n, uint64_t off)
{
	return f->stream ? -EBADF : stream_read(f->priv, NULL, ubuf, n, f->flags & O_NONBLOCK);
}

/* Frames of at most one wire buffer each, so that every one carries the
 * stream id first; a fault or signal part-way gives what went before it. */
static long stream_write(struct file *f, const uint8_t *kbuf, uint64_t ubuf, size_t n)
{
	struct exec_slot *s = f->priv;
	unsigned type = f->stream == 1 ? MONOS_CHAN_XSTDOUT : MONOS_CHAN_XSTDERR;
	size_t max = console_frame_max() - 1, done = 0;
	uint8_t chunk[MONOS_CHAN_MAX];
	long r;

	if (!f->stream)
		return -EBADF;
	chunk[0] = s->id;
	while (done < n) {
		size_t len = MIN(n - done, max);
		if (kbuf)
			memcpy(chunk + 1, kbuf + done, len);
		else if (copy_from_user(chunk + 1, ubuf + done, len))
			return done ? (long)done : -EFAULT;
		if ((r = console_write_wait(type, chunk, len + 1)) < 0)
			return done ? (long)done : r;
		done += len;
	}
	return (long)done;
}

static long stream_fwrite(struct file *f, const void *kbuf, size_t n, uint64_t off)
{
	return stream_write(f, kbuf, 0, n);
}

static long stream_write_user(struct file *f, uint64_t ubuf, size_t n, uint64_t off)
{
	return stream_write(f, NULL, ubuf, n);
}

static unsigned stream_poll(struct file *f, uint64_t *gen)
{
	struct exec_slot *s = f->priv;
	unsigned mask = f->stream ? POLLOUT | POLLWRNORM : 0;

	if (!f->stream) {
		mask |= input_ready(s) ? POLLIN | POLLRDNORM : 0;
		if (s->in_eof && !s->in_count)
			mask |= POLLHUP; /* as a pipe whose writer closed */
	}
	if (gen)
		*gen = s->in_gen;
	return mask;
}

static struct waitq *stream_waitq(struct file *f)
{
	return &((struct exec_slot *)f->priv)->wq;
}

static long stream_ioctl(struct file *f, unsigned cmd, uint64_t arg)
{
	struct exec_slot *s = f->priv;
	int avail = (int)s->in_count;

	if (cmd == FIONREAD && !f->stream)
		return copy_to_user(arg, &avail, sizeof(avail));
	return -ENOTTY;
}

/* The last file of an ended process's streams frees its slot. */
static void stream_release(struct file *f)
{
	struct exec_slot *s = f->priv;

	if (--s->files == 0 && s->state == SLOT_DRAINING)
		exec_slot_release(s);
}

static const struct file_ops tty_ops; /* -t's, below */

static const struct file_ops stream_ops = {
	.read = stream_fread,
	.read_user = stream_read_user,
	.write = stream_fwrite,
	.write_user = stream_write_user,
	.poll = stream_poll,
	.waitq = stream_waitq,
	.ioctl = stream_ioctl,
	.release = stream_release,
	.seekable = false,
};

/* fds 0, 1 and 2 of slot `s` in the current thread's (new) table: 0 or
 * -ENOMEM. */
long exec_stream_install(struct exec_slot *s)
{
	for (int i = 0; i < 3; i++) {
		struct file *f = kzalloc(sizeof(*f));

		if (!f)
			return -ENOMEM;
		f->refs = 1;
		f->flags = s->tty ? O_RDWR : i ? O_WRONLY : O_RDONLY;
		f->inode = &stream_inode[s->tty ? 3 : i];
		f->ops = s->tty ? &tty_ops : &stream_ops;
		f->stream = i;
		f->priv = s;
		vfs_iget(f->inode);
		s->files++;
		if (fd_install(f, i, false) != i) {
			file_put(f);
			return -ENOMEM;
		}
	}
	return 0;
}

/* ---- -t: one terminal ---- */

#define EXEC_TTY_CHUNK 512 /* output bytes framed at once (kernel stack) */

/* The driver's write (tty lock held, any context): frames now, so the
 * terminal never waits for room. */
static size_t tty_drv_write(struct tty *t, const uint8_t *p, size_t n)
{
	struct exec_slot *s = t->priv;
	uint8_t chunk[1 + EXEC_TTY_CHUNK];

	chunk[0] = s->id;
	for (size_t done = 0; done < n;) {
		size_t len = MIN(n - done, sizeof(chunk) - 1);
		memcpy(chunk + 1, p + done, len);
		console_write(MONOS_CHAN_XSTDOUT, chunk, len + 1);
		done += len;
	}
	return n;
}

static size_t tty_drv_room(struct tty *t)
{
	return EXEC_TTY_CHUNK;
}

static void tty_drv_flush(struct tty *t)
{
}

static struct file *tty_file(struct exec_slot *s, unsigned flags);

static struct file *tty_drv_open(struct tty *t, unsigned flags)
{
	return tty_file(t->priv, flags);
}

static const struct tty_driver tty_driver = {
	.write = tty_drv_write,
	.write_room = tty_drv_room,
	.flush_output = tty_drv_flush,
	.open = tty_drv_open,
};

static long tty_fread(struct file *f, void *kbuf, size_t n, uint64_t off)
{
	struct exec_slot *s = f->priv;

	return n_tty_read(s->tty, kbuf, n, f->flags & O_NONBLOCK);
}

static long tty_fwrite(struct file *f, const void *kbuf, size_t n, uint64_t off)
{
	struct exec_slot *s = f->priv;

	return n_tty_out_write(s->tty, kbuf, n, f->flags & O_NONBLOCK);
}

static unsigned tty_fpoll(struct file *f, uint64_t *gen)
{
	return n_tty_poll(((struct exec_slot *)f->priv)->tty, gen);
}

static long tty_fioctl(struct file *f, unsigned cmd, uint64_t arg)
{
	return tty_ioctl(((struct exec_slot *)f->priv)->tty, cmd, arg, false);
}

static const struct file_ops tty_ops = {
	.read = tty_fread,
	.write = tty_fwrite,
	.poll = tty_fpoll,
	.ioctl = tty_fioctl,
	.release = stream_release,
	.seekable = false,
};

/* /dev/tty opened by the process: another file of its terminal. */
static struct file *tty_file(struct exec_slot *s, unsigned flags)
{
	struct file *f = kzalloc(sizeof(*f));

	if (!f)
		return ERR_PTR(-ENOMEM);
	f->refs = 1;
	f->flags = flags & (O_ACCMODE | O_NONBLOCK | O_APPEND);
	f->inode = &stream_inode[3];
	f->ops = &tty_ops;
	f->priv = s;
	vfs_iget(f->inode);
	s->files++;
	return f;
}

long exec_stream_tty(struct exec_slot *s, uint16_t rows, uint16_t cols)
{
	if (!(s->tty = kmalloc(sizeof(*s->tty))))
		return -ENOMEM;
	tty_init(s->tty, &s->tty_lock, &tty_driver, s);
	s->tty->winsize = (struct winsize_k){ rows, cols, 0, 0 };
	return 0;
}

void exec_stream_tty_own(struct exec_slot *s, int sid, int pgrp)
{
	uint64_t flags = spin_lock_irqsave(&s->tty_lock);

	s->tty->session = sid;
	s->tty->pgrp = pgrp;
	spin_unlock_irqrestore(&s->tty_lock, flags);
}

void exec_stream_tty_free(struct exec_slot *s)
{
	if (!s->tty)
		return;
	tty_hangup(s->tty);
	tty_release(s->tty);
	kfree(s->tty);
	s->tty = NULL;
}

/* Bytes for a slot's fd 0: as many as its ring holds, the rest counted. */
void exec_stream_input(struct exec_slot *s, const uint8_t *p, size_t n)
{
	if (s->tty) { /* typed at the terminal: what its buffer has no room for is lost */
		n_tty_input(s->tty, p, n, true);
		ack_input(s, n);
		return;
	}
	if (!s->in || s->in_eof) {
		s->in_dropped += n;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (s->in_count == EXEC_STDIN_SIZE) {
			s->in_dropped += n - i;
			break;
		}
		s->in[(s->in_head + s->in_count++) % EXEC_STDIN_SIZE] = p[i];
	}
	s->in_gen++;
}

void exec_stream_init(void)
{
	for (int i = 0; i < 3; i++) { /* what the streams look like: pipes */
		stream_inode[i].mode = S_IFIFO | 0600;
		stream_inode[i].ino = 1100 + i;
		stream_inode[i].nlink = 1;
	}
	stream_inode[3].mode = S_IFCHR | 0620; /* a terminal, as /dev/pts/N */
	stream_inode[3].ino = 1103;
	stream_inode[3].nlink = 1;
}
