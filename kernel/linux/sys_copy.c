/*
 * In-kernel copies between files: sendfile (any readable file to any
 * writable one, the console included) and copy_file_range (regular files of
 * one filesystem).  Both move the bytes through a kernel buffer with the
 * files' own read and write operations, so the data never visits the
 * program.  splice, vmsplice and tee stay ENOSYS.
 */
#include "linux/syscall.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/uaccess.h"
#include "fs/vfs.h"

#define COPY_CHUNK   (64u << 10)  /* bytes per read and write */
#define MAX_RW_COUNT 0x7ffff000ul /* Linux's cap on one transfer (INT_MAX & PAGE_MASK) */
#define LOFF_MAX     ((uint64_t)INT64_MAX)

/* Whether `f` was opened for reading (`wr` false) or writing. */
static bool may(const struct file *f, bool wr)
{
	if (f->flags & O_PATH)
		return false;
	return wr ? file_writable(f) && f->ops->write : file_readable(f) && f->ops->read;
}

/* Write all `n` bytes of `buf` to `out` at *pos; how many went, or -errno
 * if none did.  *pos advances when `out` is seekable. */
static long write_all(struct file *out, const char *buf, size_t n, uint64_t *pos)
{
	size_t done = 0;

	while (done < n) {
		long w = out->ops->write(out, buf + done, n - done, *pos);

		if (w <= 0)
			return done ? (long)done : (w ? w : -EIO);
		done += w;
		if (out->ops->seekable)
			*pos += w;
	}
	return done;
}

/*
 * Copy up to `count` bytes from `in` at *in_pos to `out` at *out_pos, a
 * chunk at a time.  A short read ends it (so does any read from a stream,
 * which returns what is there); a short write too.  Only bytes written count
 * and advance *in_pos.  Returns the count, or -errno when nothing moved.
 */
static long transfer(struct file *in, uint64_t *in_pos, struct file *out, uint64_t *out_pos,
		     size_t count)
{
	char *buf = kmalloc(MIN(count, (size_t)COPY_CHUNK));
	size_t done = 0;
	long err = 0;

	if (!buf && count)
		return -ENOMEM;
	while (done < count) {
		size_t want = MIN(count - done, (size_t)COPY_CHUNK);
		long r = in->ops->read(in, buf, want, *in_pos), w;

		if (r <= 0) {
			err = r;
			break;
		}
		w = write_all(out, buf, r, out_pos);
		if (w < 0) {
			err = w;
			break;
		}
		done += w;
		*in_pos += w;
		if (w < r || (size_t)r < want || !in->ops->seekable)
			break;
	}
	kfree(buf);
	return done ? (long)done : err;
}

/* Read a user loff_t into *pos: 0, -EFAULT, or -EINVAL if negative. */
static int get_off(uint64_t uoff, uint64_t *pos)
{
	if (copy_from_user(pos, uoff, sizeof(*pos)))
		return -EFAULT;
	return *pos > LOFF_MAX ? -EINVAL : 0;
}

long sys_sendfile(long out_fd, long in_fd, uint64_t uoff, size_t count)
{
	struct file *in = fd_hold(in_fd), *out = fd_hold(out_fd);
	uint64_t pos, opos;
	long r;
	int err;

	if (!in || !out || !may(in, false) || !may(out, true))
		return -EBADF;
	if (S_ISDIR(in->inode->mode) || (out->flags & O_APPEND))
		return -EINVAL;
	if (uoff && !in->ops->seekable)
		return -ESPIPE;
	pos = in->off;
	if (uoff && (err = get_off(uoff, &pos)))
		return err;
	count = MIN(count, (size_t)MAX_RW_COUNT);
	opos = out->off;
	r = transfer(in, &pos, out, &opos, count);
	if (out->ops->seekable)
		out->off = opos;
	/* With an offset pointer the file position stays; the pointer moves. */
	if (uoff && copy_to_user(uoff, &pos, sizeof(pos)))
		return -EFAULT;
	if (!uoff && in->ops->seekable)
		in->off = pos;
	return r;
}

/* copy_file_range's checks on the two files, in Linux's order
 * (generic_copy_file_checks). */
static int cfr_check(struct file *in, struct file *out)
{
	if (S_ISDIR(in->inode->mode) || S_ISDIR(out->inode->mode))
		return -EISDIR;
	if (!S_ISREG(in->inode->mode) || !S_ISREG(out->inode->mode))
		return -EINVAL;
	if (!may(in, false) || !may(out, true) || (out->flags & O_APPEND))
		return -EBADF;
	/* No filesystem here copies across superblocks (Linux 5.19+). */
	if (in->inode->sb != out->inode->sb)
		return -EXDEV;
	return 0;
}

/* The copy's offsets: from the user pointers, or the files' positions. */
static int cfr_offsets(struct file *in, uint64_t uin, struct file *out, uint64_t uout,
		       uint64_t *pin, uint64_t *pout)
{
	int err;

	*pin = in->off;
	*pout = out->off;
	if ((uin && !in->ops->seekable) || (uout && !out->ops->seekable))
		return -ESPIPE;
	if (uin && (err = get_off(uin, pin)))
		return err;
	if (uout && (err = get_off(uout, pout)))
		return err;
	return 0;
}

long sys_copy_file_range(long fd_in, uint64_t uoff_in, long fd_out, uint64_t uoff_out, size_t len,
			 unsigned long flags)
{
	struct file *in = fd_hold(fd_in), *out = fd_hold(fd_out);
	uint64_t pin, pout, size;
	long r;
	int err;

	if (flags)
		return -EINVAL;
	if (!in || !out)
		return -EBADF;
	if ((err = cfr_check(in, out)) ||
	    (err = cfr_offsets(in, uoff_in, out, uoff_out, &pin, &pout)))
		return err;
	if (len > LOFF_MAX - pin || len > LOFF_MAX - pout)
		return -EINVAL;
	/* The same file: the ranges must not overlap. */
	if (in->inode == out->inode && pin < pout + len && pout < pin + len)
		return -EINVAL;
	size = in->inode->size;
	len = MIN(len, pin < size ? size - pin : 0);
	len = MIN(len, (size_t)MAX_RW_COUNT);
	if (!len)
		return 0;
	r = transfer(in, &pin, out, &pout, len);
	if (r <= 0)
		return r;
	if ((uoff_in && copy_to_user(uoff_in, &pin, sizeof(pin))) ||
	    (uoff_out && copy_to_user(uoff_out, &pout, sizeof(pout))))
		return -EFAULT;
	if (!uoff_in)
		in->off = pin;
	if (!uoff_out)
		out->off = pout;
	return r;
}
