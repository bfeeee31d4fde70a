/*
 * The files behind the program's fds 0, 1 and 2: stdin from the host
 * channel, stdout and stderr to it (core/console.c).  Whether each looks like
 * a terminal follows the host side (per-run data "tty").
 *
 * When one does, it is a terminal of the shared tty layer (fs/tty.c), the
 * node /dev/pts/0 (so ttyname finds it, as after a remote login): its
 * termios, window size and terminal ioctls are the same code as a pty's,
 * and it is the program's controlling terminal from the start, as the
 * terminal a shell started it from would be.  Its line discipline is the
 * host's: the CLI leaves the user's terminal in its own mode, so the host
 * edits lines, echoes, and turns Ctrl-C into a signal frame; the kernel
 * only keeps the state programs set and read.  The window size is the
 * host terminal's (at start, then each resize, which raises SIGWINCH).
 */
#include "fs/vfs.h"
#include "core/console.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/uaccess.h"
#include "fs/pty.h"
#include "fs/n_tty.h"
#include "fs/tty.h"
#include "linux/uapi.h"

#define SIGWINCH	 28 /* include/uapi/asm-generic/signal.h */
#define CONSOLE_TERMINAL 3  /* stream of /dev/tty: reads stdin, writes stdout */

static const unsigned stream_type[3] = { MONOS_CHAN_STDIN, MONOS_CHAN_STDOUT, MONOS_CHAN_STDERR };

static struct inode console_inode[3]; /* the streams that are no terminal */
static struct inode *terminal_node;   /* /dev/pts/0: the streams that are */
static bool console_tty[3];

static struct spinlock console_tty_lock;
static struct tty console_terminal;	       /* guarded by console_tty_lock */
static struct monos_chan_winsize host_winsize; /* the host's, last seen; that lock */

static bool reads_stdin(struct file *f)
{
	return f->stream == 0 || f->stream == CONSOLE_TERMINAL;
}

/* A read of the terminal by a background group (tty_job_control); the
 * terminal is the caller's only when the console is a host terminal. */
static long console_may_read(void)
{
	return tty_job_control(&console_terminal, SIGTTIN);
}

/* A write, with TOSTOP set, likewise. */
static long console_may_write(void)
{
	return (console_terminal.termios.lflag & TOSTOP)
		       ? tty_job_control(&console_terminal, SIGTTOU)
		       : 0;
}

static long console_read(struct file *f, void *kbuf, size_t n, uint64_t off)
{
	long r;

	if (!reads_stdin(f))
		return -EBADF; /* stdout and stderr are write-only here */
	if ((r = console_may_read()))
		return r;
	return console_read_stdin(kbuf, n, f->flags & O_NONBLOCK);
}

static long console_read_to_user(struct file *f, uint64_t ubuf, size_t n, uint64_t off)
{
	long r;

	if (!reads_stdin(f))
		return -EBADF;
	if ((r = console_may_read()))
		return r;
	return console_read_stdin_user(ubuf, n, f->flags & O_NONBLOCK);
}

/* The channel stream a file writes: /dev/tty writes stdout. */
static unsigned write_type(struct file *f)
{
	return stream_type[f->stream == CONSOLE_TERMINAL ? 1 : f->stream];
}

static long console_fwrite(struct file *f, const void *kbuf, size_t n, uint64_t off)
{
	long r;

	if (f->stream == 0)
		return -EBADF;
	if ((r = console_may_write()))
		return r;
	return console_write_wait(write_type(f), kbuf, n);
}

static long console_write_from_user(struct file *f, uint64_t ubuf, size_t n, uint64_t off)
{
	long r;

	if (f->stream == 0)
		return -EBADF;
	if ((r = console_may_write()))
		return r;
	return console_write_user(write_type(f), ubuf, n);
}

static unsigned console_poll(struct file *f, uint64_t *gen)
{
	uint64_t g = 0;
	unsigned mask = f->stream ? POLLOUT | POLLWRNORM : 0;

	if (reads_stdin(f)) {
		bool ended = console_stdin_ended(&g);
		mask |= console_stdin_avail() || ended ? POLLIN | POLLRDNORM : 0;
		if (ended && !console_stdin_avail())
			mask |= POLLHUP; /* as a pipe whose writer closed */
	}
	if (gen)
		*gen = g;
	return mask;
}

bool console_file_is_tty(struct file *f);

/* FIONREAD counts stdin's buffer; a terminal answers the tty ioctls. */
static long console_ioctl(struct file *f, unsigned cmd, uint64_t arg)
{
	if (cmd == FIONREAD && reads_stdin(f)) {
		int avail = console_stdin_avail();
		return copy_to_user(arg, &avail, sizeof(avail));
	}
	if (console_file_is_tty(f))
		return tty_ioctl(&console_terminal, cmd, arg, false);
	return -ENOTTY;
}

static const struct file_ops console_ops = {
	.poll = console_poll,
	.read = console_read,
	.read_user = console_read_to_user, /* a read takes all stdin holds */
	.write = console_fwrite,
	.write_user = console_write_from_user, /* one device notification per write */
	.ioctl = console_ioctl,
	.seekable = false,
};

bool console_file_is_tty(struct file *f)
{
	return f->ops == &console_ops && (f->stream == CONSOLE_TERMINAL || console_tty[f->stream]);
}

/* The window size is the host's, until the program sets one; a later
 * change on the host replaces it. */
static void console_refresh_winsize(struct tty *t)
{
	struct monos_chan_winsize ws = console_winsize();

	if (!memcmp(&ws, &host_winsize, sizeof(ws)))
		return;
	host_winsize = ws;
	t->winsize = (struct winsize_k){ ws.rows, ws.cols, ws.xpixel, ws.ypixel };
}

/* The size the host's terminal had when `monos run` started (per-run data
 * "winsize", little endian as the channel's frame), until one comes. */
static void console_start_winsize(struct tty *t)
{
	struct monos_chan_winsize ws;
	const uint8_t *data;
	size_t len;

	if (vfs_runfile("winsize", &data, &len) || len != sizeof(ws))
		return;
	memcpy(&ws, data, sizeof(ws));
	t->winsize = (struct winsize_k){ ws.rows, ws.cols, ws.xpixel, ws.ypixel };
}

static struct file *console_file(int stream, unsigned flags)
{
	struct file *f = kzalloc(sizeof(*f));
	bool tty = stream == CONSOLE_TERMINAL || console_tty[stream];

	if (!f)
		return ERR_PTR(-ENOMEM);
	f->refs = 1;
	f->flags = flags & (O_ACCMODE | O_NONBLOCK | O_APPEND);
	f->inode = tty ? terminal_node : &console_inode[stream];
	f->ops = &console_ops;
	f->stream = stream;
	vfs_iget(f->inode);
	return f;
}

/* /dev/tty while the console is the controlling terminal. */
static struct file *console_reopen(struct tty *t, unsigned flags)
{
	return console_file(CONSOLE_TERMINAL, flags);
}

/* Opening /dev/pts/0: the console's terminal. */
static struct file *terminal_open(struct inode *ino, unsigned flags)
{
	struct file *f = console_file(CONSOLE_TERMINAL, flags);

	if (!IS_ERR(f))
		tty_opened(&console_terminal, flags);
	return f;
}

static const struct file_ops terminal_node_ops = { .open = terminal_open };

/* A stream that is no terminal, opened again through /proc/PID/fd/N (or
 * /dev/fd/N): a new file of the same stream, as reopening the pipe it
 * stands for would give. */
static struct file *stream_open(struct inode *ino, unsigned flags)
{
	return console_file((int)(ino - console_inode), flags);
}

static const struct file_ops stream_node_ops = { .open = stream_open };

/* The host's terminal was resized: SIGWINCH to the foreground group, as
 * Linux's tty_do_resize sends it.  Interrupt context. */
static void console_resized(void)
{
	struct tty *t = &console_terminal;
	uint64_t flags = spin_lock_irqsave(t->lock);
	struct winsize_k old = t->winsize;
	bool changed;
	int pgrp;

	console_refresh_winsize(t);
	changed = memcmp(&old, &t->winsize, sizeof(old)) != 0;
	pgrp = t->pgrp;
	spin_unlock_irqrestore(t->lock, flags);
	if (changed)
		tty_signal_pgrp(pgrp, SIGWINCH);
}

static const struct tty_driver console_driver = {
	.refresh_winsize = console_refresh_winsize,
	.open = console_reopen,
};

void console_files_init(const bool tty[3])
{
	tty_init(&console_terminal, &console_tty_lock, &console_driver, NULL);
	/* What TCGETS said before the shared layer, and what terminal
	 * emulators set: the host's terminal takes UTF-8. */
	console_terminal.termios.iflag |= TTY_IUTF8;
	if (tty[0] || tty[1] || tty[2]) {
		terminal_node = pty_console_node(&terminal_node_ops);
		tty_claim_at_start(&console_terminal);
		console_start_winsize(&console_terminal);
		console_set_winsize_handler(console_resized);
	}
	for (int i = 0; i < 3; i++) {
		struct file *f;
		console_tty[i] = tty[i];
		/* What is no terminal looks like the pipe it most likely is. */
		console_inode[i].mode = S_IFIFO | 0600;
		console_inode[i].ino = 1000 + i;
		console_inode[i].nlink = 1;
		console_inode[i].fops = &stream_node_ops;
		f = console_file(i, i == 0 ? O_RDONLY : O_WRONLY);
		if (IS_ERR(f))
			boot_out_of_memory("fds 0-2");
		fd_install(f, i, false);
	}
}
