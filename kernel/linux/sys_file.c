/*
 * File-descriptor system calls: open and close, reading and writing, seek,
 * ioctl, fcntl and dup.  Files come from the image (read-only) and the
 * console; paths and metadata are in sys_path.c.
 */
#include "linux/syscall.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/uaccess.h"
#include "fs/vfs.h"
#include "net/socket.h"
#include "linux/uapi.h"
#include "linux/process.h"

#define CHUNK		4096
#define F_DUPFD		0
#define F_GETFD		1
#define F_SETFD		2
#define F_GETFL		3
#define F_SETFL		4
#define F_DUPFD_CLOEXEC 1030
#define F_SETOWN	8
#define F_GETOWN	9
#define F_SETOWN_EX	15
#define F_GETOWN_EX	16 /* glibc's fcntl(F_GETOWN) asks this */
#define F_OWNER_TID	0
#define F_OWNER_PID	1
#define F_OWNER_PGRP	2
#define FIONBIO		0x5421
#define FIOASYNC	0x5452 /* include/uapi/asm-generic/ioctls.h */

struct iovec_k {
	uint64_t base, len;
};

/* Read or write up to `n` bytes at `off` through the file's operations:
 * straight to or from the program's buffer when the file can, otherwise a
 * chunk at a time through a kernel buffer; a short chunk ends the transfer. */
static long file_rw(struct file *f, uint64_t ubuf, size_t n, uint64_t off, bool wr)
{
	char kbuf[CHUNK];
	size_t done = 0;

	if (wr ? !f->ops->write && !f->ops->write_user : !f->ops->read && !f->ops->read_user)
		return -EINVAL;
	if (!(wr ? file_writable(f) : file_readable(f)) && !S_ISDIR(f->inode->mode))
		return -EBADF;
	if (wr && f->ops->write_user)
		return f->ops->write_user(f, ubuf, n, off);
	if (!wr && f->ops->read_user)
		return f->ops->read_user(f, ubuf, n, off);
	while (done < n) {
		size_t want = MIN(n - done, (size_t)CHUNK);
		long r;
		if (wr && copy_from_user(kbuf, ubuf + done, want))
			return done ? (long)done : -EFAULT;
		r = wr ? f->ops->write(f, kbuf, want, off + done)
		       : f->ops->read(f, kbuf, want, off + done);
		if (r < 0)
			return done ? (long)done : r;
		if (!wr && r && copy_to_user(ubuf + done, kbuf, r))
			return done ? (long)done : -EFAULT;
		done += r;
		/* A short transfer ends it; so does any read from a stream (it
		 * returns what is there), but a write to a stream goes on. */
		if ((size_t)r < want || (!wr && !f->ops->seekable))
			break;
	}
	return done;
}

/* A socket moves all its buffers in one send or receive, so a datagram
 * keeps its boundaries through read, write, readv and writev. */
static long sock_rw(struct file *f, const struct sock_iov *iov, size_t cnt, bool wr)
{
	struct sock_msg m = { 0 };

	sock_iter_user(&m.data, iov, cnt);
	return wr ? sock_sendmsg(f, &m, 0) : sock_recvmsg(f, &m, 0);
}

/* fd_hold for reading and writing: an O_PATH descriptor is none (EBADF), as
 * Linux's fdget skips it.  Its file has the inode's operations but was never
 * opened through them: a read of an O_PATH /proc file followed a NULL text. */
static struct file *fd_hold_io(long fd)
{
	struct file *f = fd_hold(fd);

	return f && !(f->flags & O_PATH) ? f : NULL;
}

static long rw_at_pos(long fd, uint64_t buf, size_t n, bool wr)
{
	struct file *f = fd_hold_io(fd);
	long r;

	if (!f)
		return -EBADF;
	if (sock_from_file(f)) {
		struct sock_iov one = { buf, n };
		return sock_rw(f, &one, 1, wr);
	}
	if (wr && (f->flags & O_APPEND) && f->ops->seekable)
		f->off = f->inode->size; /* O_APPEND: every write starts at the end */
	r = file_rw(f, buf, n, f->off, wr);
	if (r > 0 && f->ops->seekable)
		f->off += r;
	return r;
}

long sys_read(long fd, uint64_t buf, size_t n)
{
	return rw_at_pos(fd, buf, n, false);
}

long sys_write(long fd, uint64_t buf, size_t n)
{
	return rw_at_pos(fd, buf, n, true);
}

/* One buffer of a vector at `off`, or at the file position when off < 0. */
static long rw_one(struct file *f, long fd, uint64_t buf, size_t n, int64_t off, bool wr)
{
	return off < 0 ? rw_at_pos(fd, buf, n, wr) : file_rw(f, buf, n, off, wr);
}

/* readv/writev (off < 0: at the file position) and preadv/pwritev (at
 * `off`, the position untouched): buffer after buffer until one is short. */
static long rw_vec(long fd, uint64_t uiov, long cnt, int64_t off, bool wr)
{
	struct iovec_k iov;
	long total = 0;
	struct file *f = fd_hold_io(fd);

	if (!f)
		return -EBADF;
	if (cnt < 0 || cnt > IOV_MAX)
		return -EINVAL;
	if (sock_from_file(f)) {
		if (off >= 0)
			return -ESPIPE;
		struct sock_iov *v = kmalloc((cnt ? cnt : 1) * sizeof(*v));
		long r = -ENOMEM;
		if (v)
			r = copy_from_user(v, uiov, cnt * sizeof(*v)) ? -EFAULT
								      : sock_rw(f, v, cnt, wr);
		kfree(v);
		return r;
	}
	if (off >= 0 && !f->ops->seekable)
		return -ESPIPE;
	for (long i = 0; i < cnt; i++) {
		long r;
		if (copy_from_user(&iov, uiov + i * sizeof(iov), sizeof(iov)))
			return total ? total : -EFAULT;
		if (!iov.len)
			continue;
		r = rw_one(f, fd, iov.base, iov.len, off < 0 ? off : off + total, wr);
		if (r < 0)
			return total ? total : r;
		total += r;
		if ((uint64_t)r < iov.len)
			break;
	}
	return total;
}

long sys_readv(long fd, uint64_t iov, long cnt)
{
	return rw_vec(fd, iov, cnt, -1, false);
}

long sys_writev(long fd, uint64_t iov, long cnt)
{
	return rw_vec(fd, iov, cnt, -1, true);
}

/* On x86-64 the whole offset travels in pos_l (pos_h is for 32-bit ABIs). */
long sys_preadv(long fd, uint64_t iov, long cnt, int64_t pos_l, int64_t pos_h)
{
	return pos_l < 0 ? -EINVAL : rw_vec(fd, iov, cnt, pos_l, false);
}

long sys_pwritev(long fd, uint64_t iov, long cnt, int64_t pos_l, int64_t pos_h)
{
	return pos_l < 0 ? -EINVAL : rw_vec(fd, iov, cnt, pos_l, true);
}

/* RWF_HIPRI, RWF_DSYNC and RWF_SYNC ask nothing of files that are always in
 * memory; a file with an fsync operation (a block device) is synced after a
 * write with RWF_DSYNC or RWF_SYNC, as an O_DSYNC file.  RWF_NOWAIT and
 * RWF_APPEND are not offered (EOPNOTSUPP, as Linux for a file that cannot
 * honour them).  Offset -1: the file position. */
#define RWF_DSYNC    0x2
#define RWF_SYNC     0x4
#define RWF_ACCEPTED (0x1 | RWF_DSYNC | RWF_SYNC) /* and HIPRI */

static long rw_vec2(long fd, uint64_t iov, long cnt, int64_t pos, long flags, bool wr)
{
	struct file *f;
	long r, err;

	if ((uint64_t)flags & ~(uint64_t)RWF_ACCEPTED)
		return -EOPNOTSUPP;
	if (pos < -1)
		return -EINVAL;
	r = rw_vec(fd, iov, cnt, pos, wr);
	if (r > 0 && wr && (flags & (RWF_DSYNC | RWF_SYNC)) && (f = fd_hold_io(fd)) &&
	    f->ops->fsync && (err = f->ops->fsync(f)))
		return err;
	return r;
}

long sys_preadv2(long fd, uint64_t iov, long cnt, int64_t pos_l, int64_t pos_h, long flags)
{
	return rw_vec2(fd, iov, cnt, pos_l, flags, false);
}

long sys_pwritev2(long fd, uint64_t iov, long cnt, int64_t pos_l, int64_t pos_h, long flags)
{
	return rw_vec2(fd, iov, cnt, pos_l, flags, true);
}

static long rw_positioned(long fd, uint64_t buf, size_t n, int64_t off, bool wr)
{
	struct file *f = fd_hold_io(fd);

	if (!f)
		return -EBADF;
	if (!f->ops->seekable)
		return -ESPIPE;
	if (off < 0)
		return -EINVAL;
	return file_rw(f, buf, n, off, wr);
}

long sys_pread64(long fd, uint64_t buf, size_t n, int64_t off)
{
	return rw_positioned(fd, buf, n, off, false);
}

long sys_pwrite64(long fd, uint64_t buf, size_t n, int64_t off)
{
	return rw_positioned(fd, buf, n, off, true);
}

long sys_openat(long dirfd, uint64_t upath, long flags, long mode)
{
	return fs_openat(dirfd, upath, flags, mode);
}

long sys_open(uint64_t path, long flags, long mode)
{
	return sys_openat(AT_FDCWD, path, flags, mode);
}

long sys_close(long fd)
{
	return fd_close(fd);
}

long sys_lseek(long fd, int64_t off, long whence)
{
	struct file *f = fd_get(fd);
	int64_t base;

	if (!f || (f->flags & O_PATH))
		return -EBADF;
	if (!f->ops->seekable)
		return -ESPIPE;
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = f->off;
		break;
	case SEEK_END:
		base = f->ops->size ? f->ops->size(f) : f->inode->size;
		break;
	default:
		return -EINVAL;
	}
	if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
		return -EINVAL;
	f->off = base + off;
	f->dir_run = 0;
	return f->off;
}

long sys_ioctl(long fd, unsigned long cmd, uint64_t arg)
{
	struct file *f = fd_get(fd);
	int on;

	if (!f || (f->flags & O_PATH))
		return -EBADF;
	switch (cmd) {
	case FIONBIO:
		if (copy_from_user(&on, arg, sizeof(on)))
			return -EFAULT;
		f->flags = on ? (f->flags | O_NONBLOCK) : (f->flags & ~O_NONBLOCK);
		return 0;
	case FIOASYNC:
		if (copy_from_user(&on, arg, sizeof(on)))
			return -EFAULT;
		f->flags = on ? (f->flags | O_ASYNC) : (f->flags & ~O_ASYNC);
		return 0;
	}
	/* Files with ioctls of their own answer the rest: pipes (FIONREAD),
	 * sockets, and terminals, whose ioctls are fs/tty.c's. */
	if (f->ops->ioctl)
		return f->ops->ioctl(f, cmd, arg);
	if (cmd == FIONREAD && f->ops->seekable) {
		int left = f->off < f->inode->size
				   ? (int)MIN(f->inode->size - f->off, (uint64_t)INT32_MAX)
				   : 0;
		return copy_to_user(arg, &left, sizeof(left));
	}
	return -ENOTTY;
}

/* F_SETOWN: the process (who > 0) or process group (who < 0) that O_ASYNC
 * would signal; as Linux's f_setown, a number no process or group uses is
 * ESRCH, and INT_MIN (no negation) EINVAL. */
static long set_owner(struct file *f, int who)
{
	int id = who < 0 ? -who : who;
	struct process *p = NULL;

	if (who == INT32_MIN)
		return -EINVAL;
	while (id && (p = process_next(p)))
		if (p->pid == id || (who < 0 && p->pgid == id))
			break;
	if (id && !p)
		return -ESRCH;
	f->owner = who;
	f->owner_tid = false;
	return 0;
}

struct f_owner_ex {
	int type, pid;
};

/* F_SETOWN_EX and F_GETOWN_EX: the owner with its kind spelled out.  A
 * thread (F_OWNER_TID) is found by its process's pid: monos looks threads
 * up no other way here, and only the first thread's id matches. */
static long owner_ex(struct file *f, long cmd, uint64_t arg)
{
	struct f_owner_ex o;
	long ret;

	if (cmd == F_GETOWN_EX) {
		o.type = f->owner_tid ? F_OWNER_TID : f->owner < 0 ? F_OWNER_PGRP : F_OWNER_PID;
		o.pid = f->owner < 0 ? -f->owner : f->owner;
		return copy_to_user(arg, &o, sizeof(o));
	}
	if (copy_from_user(&o, arg, sizeof(o)))
		return -EFAULT;
	if (o.type < F_OWNER_TID || o.type > F_OWNER_PGRP || o.pid < 0)
		return -EINVAL;
	ret = set_owner(f, o.type == F_OWNER_PGRP ? -o.pid : o.pid);
	if (!ret)
		f->owner_tid = o.type == F_OWNER_TID;
	return ret;
}

long sys_fcntl(long fd, long cmd, uint64_t arg)
{
	struct file *f = fd_get(fd);
	const unsigned settable = O_APPEND | O_NONBLOCK | O_ASYNC;

	if (!f)
		return -EBADF;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if (arg >= fd_limit())
			return -EINVAL;
		return fd_dup_min(fd, arg, cmd == F_DUPFD_CLOEXEC);
	case F_GETFD:
		return fd_get_flags(fd);
	case F_SETFD:
		return fd_set_flags(fd, arg);
	case F_GETFL:
		return f->flags;
	case F_SETFL:
		f->flags = (f->flags & ~settable) | (arg & settable);
		return 0;
	case F_SETOWN:
		return set_owner(f, (int)arg);
	case F_GETOWN:
		return f->owner;
	case F_SETOWN_EX:
	case F_GETOWN_EX:
		return owner_ex(f, cmd, arg);
	case F_SETPIPE_SZ:
	case F_GETPIPE_SZ:
		return pipe_fcntl(f, cmd, arg);
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		fd_hold(fd); /* F_SETLKW waits: keep the file through it */
		return lock_fcntl(fd, f, cmd, arg);
	default:
		return -EINVAL;
	}
}

long sys_dup(long fd)
{
	return fd_dup_min(fd, 0, false);
}

long sys_dup2(long oldfd, long newfd)
{
	if (oldfd == newfd)
		return fd_get(oldfd) ? newfd : -EBADF;
	return fd_dup(oldfd, (unsigned)newfd, false); /* Linux's unsigned int */
}

long sys_dup3(long oldfd, long newfd, long flags)
{
	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	if (oldfd == newfd)
		return -EINVAL;
	return fd_dup(oldfd, (unsigned)newfd, flags & O_CLOEXEC);
}
