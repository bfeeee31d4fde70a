/*
 * The files behind the program's fds 0, 1 and 2: stdin from the host
 * channel, stdout and stderr to it (core/console.c).  Whether each looks like
 * a terminal follows the host side (per-run data "tty").
 */
#include "fs/vfs.h"
#include "core/console.h"
#include "core/heap.h"
#include "core/kernel.h"

static const unsigned stream_type[3] = { MONOS_CHAN_STDIN, MONOS_CHAN_STDOUT, MONOS_CHAN_STDERR };

static struct inode console_inode[3];
static bool console_tty[3];

static long console_read(struct file *f, void *kbuf, size_t n, uint64_t off)
{
	if (f->stream != 0)
		return -EBADF; /* stdout and stderr are write-only here */
	return console_read_stdin(kbuf, n, f->flags & O_NONBLOCK);
}

static long console_fwrite(struct file *f, const void *kbuf, size_t n, uint64_t off)
{
	if (f->stream == 0)
		return -EBADF;
	return console_write_wait(stream_type[f->stream], kbuf, n);
}

static long console_write_from_user(struct file *f, uint64_t ubuf, size_t n, uint64_t off)
{
	if (f->stream == 0)
		return -EBADF;
	return console_write_user(stream_type[f->stream], ubuf, n);
}

static unsigned console_poll(struct file *f, uint64_t *gen)
{
	uint64_t g = 0;
	unsigned mask = POLLOUT | POLLWRNORM;

	if (f->stream == 0) {
		bool ended = console_stdin_ended(&g);
		mask = console_stdin_avail() || ended ? POLLIN | POLLRDNORM : 0;
		if (ended && !console_stdin_avail())
			mask |= POLLHUP; /* as a pipe whose writer closed */
	}
	if (gen)
		*gen = g;
	return mask;
}

static const struct file_ops console_ops = {
	.poll = console_poll,
	.read = console_read,
	.write = console_fwrite,
	.write_user = console_write_from_user, /* one device notification per write */
	.seekable = false,
};

bool console_file_is_tty(struct file *f)
{
	return f->ops == &console_ops && console_tty[f->stream];
}

void console_files_init(const bool tty[3])
{
	for (int i = 0; i < 3; i++) {
		struct file *f = kzalloc(sizeof(*f));
		if (!f)
			boot_out_of_memory("fds 0-2");
		console_tty[i] = tty[i];
		/* A terminal is a character device (Linux's /dev/pts: major 136);
		 * anything else looks like the pipe it most likely is. */
		console_inode[i].mode = tty[i] ? (S_IFCHR | 0620) : (S_IFIFO | 0600);
		console_inode[i].ino = 1000 + i;
		console_inode[i].nlink = 1;
		list_init(&console_inode[i].children);
		f->refs = 1;
		f->flags = i == 0 ? O_RDONLY : O_WRONLY;
		f->inode = &console_inode[i];
		f->ops = &console_ops;
		f->stream = i;
		fd_install(f, i, false);
	}
}
