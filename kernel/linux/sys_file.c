/*
 * File system calls: descriptors, reading and writing, paths, stat and
 * directories.  Files come from the image (read-only) and the console.
 */
#include "linux/syscall.h"
#include "core/console.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/uaccess.h"
#include "fs/vfs.h"

#define CHUNK 4096
#define IOV_MAX 1024
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define X_OK 1
#define W_OK 2
#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
#define TCGETS 0x5401
#define TCSETS 0x5402
#define TCSETSW 0x5403
#define TCSETSF 0x5404
#define TIOCGWINSZ 0x5413
#define FIONREAD 0x541b
#define FIONBIO 0x5421
#define DT_DIR 4
#define DT_REG 8
#define DT_LNK 10
#define DT_CHR 2
#define DT_FIFO 1
#define IMAGE_DEV 0x0801 /* a made-up, stable device number for the image */
#define BLKSIZE 4096

struct iovec_k {
	uint64_t base, len;
};

/* The kernel's struct termios (asm-generic/termbits.h, NCCS 19) with the
 * settings of a fresh Linux pty. */
struct termios_k {
	uint32_t iflag, oflag, cflag, lflag;
	uint8_t line, cc[19];
};
static const struct termios_k default_termios = {
	.iflag = 0x4500, /* ICRNL IXON IUTF8 */
	.oflag = 0x5,	 /* OPOST ONLCR */
	.cflag = 0xbf,	 /* B38400 CS8 CREAD */
	.lflag = 0x8a3b, /* ISIG ICANON ECHO ECHOE ECHOK IEXTEN ECHOCTL ECHOKE */
	.cc = {3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0xf, 0x17, 0x16, 0},
};

/* Read or write up to `n` bytes at `off` through the file's operations,
 * a chunk at a time; a short chunk ends the transfer. */
static long file_rw(struct file *f, uint64_t ubuf, size_t n, uint64_t off, bool wr)
{
	char kbuf[CHUNK];
	size_t done = 0;

	if (wr ? !f->ops->write : !f->ops->read)
		return -EINVAL;
	if ((f->flags & O_ACCMODE) == (wr ? O_RDONLY : O_WRONLY) && !S_ISDIR(f->inode->mode))
		return -EBADF;
	while (done < n) {
		size_t want = MIN(n - done, (size_t)CHUNK);
		long r;
		if (wr && copy_from_user(kbuf, ubuf + done, want))
			return done ? (long)done : -EFAULT;
		r = wr ? f->ops->write(f, kbuf, want, off + done) : f->ops->read(f, kbuf, want, off + done);
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

static long rw_at_pos(long fd, uint64_t buf, size_t n, bool wr)
{
	struct file *f = fd_get(fd);
	long r;

	if (!f)
		return -EBADF;
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

static long rw_vec(long fd, uint64_t uiov, long cnt, bool wr)
{
	struct iovec_k iov;
	long total = 0;

	if (!fd_get(fd))
		return -EBADF;
	if (cnt < 0 || cnt > IOV_MAX)
		return -EINVAL;
	for (long i = 0; i < cnt; i++) {
		long r;
		if (copy_from_user(&iov, uiov + i * sizeof(iov), sizeof(iov)))
			return total ? total : -EFAULT;
		if (!iov.len)
			continue;
		r = rw_at_pos(fd, iov.base, iov.len, wr);
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
	return rw_vec(fd, iov, cnt, false);
}

long sys_writev(long fd, uint64_t iov, long cnt)
{
	return rw_vec(fd, iov, cnt, true);
}

static long rw_positioned(long fd, uint64_t buf, size_t n, int64_t off, bool wr)
{
	struct file *f = fd_get(fd);

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

/* The directory a *at() call starts from. */
static struct inode *at_dir(long dirfd, const char *path)
{
	struct file *f;

	if (path[0] == '/' || (int)dirfd == AT_FDCWD)
		return vfs_cwd();
	if (!(f = fd_get(dirfd)))
		return ERR_PTR(-EBADF);
	if (!S_ISDIR(f->inode->mode))
		return ERR_PTR(-ENOTDIR);
	return f->inode;
}

/* Resolve a user path for a *at() call.  AT_EMPTY_PATH with "" gives the
 * fd's own inode. */
static struct inode *at_lookup(long dirfd, uint64_t upath, long flags)
{
	char *path = kmalloc(PATH_MAX);
	struct inode *dir, *ino;
	long r;

	if (!path)
		return ERR_PTR(-ENOMEM);
	r = strncpy_from_user(path, upath, PATH_MAX);
	if (r < 0) {
		ino = ERR_PTR(r);
	} else if (r == 0 && (flags & AT_EMPTY_PATH)) {
		struct file *f = (int)dirfd == AT_FDCWD ? NULL : fd_get(dirfd);
		ino = (int)dirfd == AT_FDCWD ? vfs_cwd() : f ? f->inode : ERR_PTR(-EBADF);
	} else {
		dir = at_dir(dirfd, path);
		ino = IS_ERR(dir) ? dir : vfs_lookup(dir, path, !(flags & AT_SYMLINK_NOFOLLOW));
	}
	kfree(path);
	return ino;
}

long sys_openat(long dirfd, uint64_t upath, long flags, long mode)
{
	struct inode *ino = at_lookup(dirfd, upath, (flags & O_NOFOLLOW) ? AT_SYMLINK_NOFOLLOW : 0);
	struct file *f;
	int fd;

	if (IS_ERR(ino)) {
		/* Creating a file in the image: it exists read-only or not at all. */
		if (PTR_ERR(ino) == -ENOENT && (flags & O_CREAT))
			return -EROFS;
		return PTR_ERR(ino);
	}
	if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		return -EEXIST;
	if (S_ISLNK(ino->mode) && (flags & O_NOFOLLOW) && !(flags & O_PATH))
		return -ELOOP;
	f = vfs_open(ino, flags);
	if (IS_ERR(f))
		return PTR_ERR(f);
	fd = fd_install(f, 0, flags & O_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
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

	if (!f)
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
		base = f->inode->size;
		break;
	default:
		return -EINVAL;
	}
	if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
		return -EINVAL;
	f->off = base + off;
	return f->off;
}

/* Linux's struct stat on x86-64 (arch/x86/include/uapi/asm/stat.h). */
struct stat_k {
	uint64_t dev, ino, nlink;
	uint32_t mode, uid, gid, pad0;
	uint64_t rdev;
	int64_t size, blksize, blocks;
	uint64_t atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
	int64_t unused[3];
};

static long put_stat(struct inode *ino, uint64_t ust)
{
	struct stat_k st = {
		.dev = IMAGE_DEV,
		.ino = ino->ino,
		.nlink = ino->nlink,
		.mode = ino->mode,
		.uid = ino->uid,
		.gid = ino->gid,
		.size = ino->size,
		.blksize = BLKSIZE,
		.blocks = ALIGN_UP(ino->size, 512ul) / 512,
		.atime = ino->mtime,
		.mtime = ino->mtime,
		.ctime = ino->mtime,
	};
	if (S_ISDIR(ino->mode))
		st.size = BLKSIZE;
	return copy_to_user(ust, &st, sizeof(st));
}

long sys_fstat(long fd, uint64_t st)
{
	struct file *f = fd_get(fd);
	return f ? put_stat(f->inode, st) : -EBADF;
}

long sys_newfstatat(long dirfd, uint64_t path, uint64_t st, long flags)
{
	struct inode *ino;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800 /* AT_NO_AUTOMOUNT */))
		return -EINVAL;
	ino = at_lookup(dirfd, path, flags);
	return IS_ERR(ino) ? PTR_ERR(ino) : put_stat(ino, st);
}

long sys_stat(uint64_t path, uint64_t st)
{
	return sys_newfstatat(AT_FDCWD, path, st, 0);
}

long sys_lstat(uint64_t path, uint64_t st)
{
	return sys_newfstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

/* struct statx (include/uapi/linux/stat.h). */
struct statx_k {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, spare0;
	uint64_t ino, size, blocks, attributes_mask;
	struct {
		int64_t sec;
		uint32_t nsec;
		int32_t reserved;
	} atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t mnt_id;
	uint32_t dio_mem_align, dio_offset_align;
	uint64_t spare3[12];
};
_Static_assert(sizeof(struct statx_k) == 256, "struct statx is 256 bytes");
#define STATX_BASIC_STATS 0x7ff
#define AT_STATX_SYNC_TYPE 0x6000

long sys_statx(long dirfd, uint64_t path, long flags, unsigned mask, uint64_t buf)
{
	struct inode *ino;
	struct statx_k sx = {0};

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800 | AT_STATX_SYNC_TYPE))
		return -EINVAL;
	if (mask & 0x80000000u) /* STATX__RESERVED */
		return -EINVAL;
	ino = at_lookup(dirfd, path, flags);
	if (IS_ERR(ino))
		return PTR_ERR(ino);
	sx.mask = STATX_BASIC_STATS;
	sx.blksize = BLKSIZE;
	sx.nlink = ino->nlink;
	sx.uid = ino->uid;
	sx.gid = ino->gid;
	sx.mode = ino->mode;
	sx.ino = ino->ino;
	sx.size = S_ISDIR(ino->mode) ? BLKSIZE : ino->size;
	sx.blocks = ALIGN_UP(ino->size, 512ul) / 512;
	sx.atime.sec = sx.ctime.sec = sx.mtime.sec = ino->mtime;
	sx.dev_major = IMAGE_DEV >> 8;
	sx.dev_minor = IMAGE_DEV & 0xff;
	return copy_to_user(buf, &sx, sizeof(sx));
}

static unsigned dtype(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return DT_DIR;
	case S_IFLNK:
		return DT_LNK;
	case S_IFCHR:
		return DT_CHR;
	case S_IFIFO:
		return DT_FIFO;
	default:
		return DT_REG;
	}
}

/* Emit one struct linux_dirent64; 0 if it does not fit, else its size. */
static long put_dirent(uint64_t ubuf, size_t room, uint64_t ino, uint64_t next, unsigned type,
		       const char *name, size_t len)
{
	struct {
		uint64_t ino;
		int64_t off;
		uint16_t reclen;
		uint8_t type;
		char name[NAME_MAX + 1];
	} __attribute__((packed)) d;
	size_t reclen = ALIGN_UP(offsetof(__typeof__(d), name) + len + 1, 8ul);

	if (reclen > room)
		return 0;
	memset(&d, 0, sizeof(d));
	d.ino = ino;
	d.off = next;
	d.reclen = reclen;
	d.type = type;
	memcpy(d.name, name, len);
	return copy_to_user(ubuf, &d, reclen) ? -EFAULT : (long)reclen;
}

long sys_getdents64(long fd, uint64_t buf, size_t n)
{
	struct file *f = fd_get(fd);
	struct inode *dir, *c;
	size_t used = 0;
	uint64_t idx = 0;

	if (!f)
		return -EBADF;
	dir = f->inode;
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	/* Positions: 0 ".", 1 "..", then the children in order. */
	for (uint64_t pos = f->off; pos < 2; pos++) {
		struct inode *i = pos ? dir->parent : dir;
		long r = put_dirent(buf + used, n - used, i->ino, pos + 1, DT_DIR, "..", pos + 1);
		if (r <= 0)
			return used ? (long)used : (r ? r : -EINVAL);
		used += r;
		f->off = pos + 1;
	}
	list_for_each_entry(c, &dir->children, sibling) {
		if (idx++ + 2 < f->off)
			continue;
		long r = put_dirent(buf + used, n - used, c->ino, f->off + 1, dtype(c->mode), c->name,
				    c->namelen);
		if (r <= 0)
			return used ? (long)used : (r ? r : -EINVAL);
		used += r;
		f->off++;
	}
	return used;
}

long sys_readlinkat(long dirfd, uint64_t path, uint64_t buf, long n)
{
	struct inode *ino = at_lookup(dirfd, path, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH);

	if (IS_ERR(ino))
		return PTR_ERR(ino);
	if (!S_ISLNK(ino->mode))
		return -EINVAL;
	if (n <= 0)
		return -EINVAL;
	n = MIN((uint64_t)n, ino->size);
	return copy_to_user(buf, ino->data, n) ? -EFAULT : n;
}

long sys_readlink(uint64_t path, uint64_t buf, long n)
{
	return sys_readlinkat(AT_FDCWD, path, buf, n);
}

long sys_faccessat2(long dirfd, uint64_t path, long mode, long flags)
{
	struct inode *ino;

	if (mode & ~7)
		return -EINVAL;
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	ino = at_lookup(dirfd, path, flags);
	if (IS_ERR(ino))
		return PTR_ERR(ino);
	if (mode & W_OK)
		return -EROFS; /* the image is read-only */
	/* The program runs as root: only X_OK on a file with no x bit fails. */
	if ((mode & X_OK) && !S_ISDIR(ino->mode) && !(ino->mode & 0111))
		return -EACCES;
	return 0;
}

long sys_faccessat(long dirfd, uint64_t path, long mode)
{
	return sys_faccessat2(dirfd, path, mode, 0);
}

long sys_access(uint64_t path, long mode)
{
	return sys_faccessat2(AT_FDCWD, path, mode, 0);
}

long sys_getcwd(uint64_t buf, size_t n)
{
	char path[PATH_MAX];
	long len = vfs_path(vfs_cwd(), path, sizeof(path));

	if (len < 0)
		return len;
	if ((size_t)len + 1 > n)
		return -ERANGE;
	return copy_to_user(buf, path, len + 1) ? -EFAULT : len + 1;
}

long sys_chdir(uint64_t path)
{
	struct inode *ino = at_lookup(AT_FDCWD, path, 0);

	if (IS_ERR(ino))
		return PTR_ERR(ino);
	if (!S_ISDIR(ino->mode))
		return -ENOTDIR;
	vfs_set_cwd(ino);
	return 0;
}

long sys_fchdir(long fd)
{
	struct file *f = fd_get(fd);

	if (!f)
		return -EBADF;
	if (!S_ISDIR(f->inode->mode))
		return -ENOTDIR;
	vfs_set_cwd(f->inode);
	return 0;
}

static long tty_ioctl(unsigned long cmd, uint64_t arg)
{
	struct monos_chan_winsize ws;

	switch (cmd) {
	case TCGETS:
		return copy_to_user(arg, &default_termios, sizeof(default_termios));
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		return 0; /* the host's terminal stays as the host set it */
	case TIOCGWINSZ:
		ws = console_winsize();
		return copy_to_user(arg, &ws, sizeof(ws));
	default:
		return -ENOTTY;
	}
}

long sys_ioctl(long fd, unsigned long cmd, uint64_t arg)
{
	struct file *f = fd_get(fd);
	int on;

	if (!f)
		return -EBADF;
	switch (cmd) {
	case FIONBIO:
		if (copy_from_user(&on, arg, sizeof(on)))
			return -EFAULT;
		f->flags = on ? (f->flags | O_NONBLOCK) : (f->flags & ~O_NONBLOCK);
		return 0;
	case FIONREAD:
		if (f->ops->seekable) {
			int left = f->off < f->inode->size ? (int)MIN(f->inode->size - f->off, (uint64_t)INT32_MAX) : 0;
			return copy_to_user(arg, &left, sizeof(left));
		}
		if (f->stream == 0) {
			int avail = console_stdin_avail();
			return copy_to_user(arg, &avail, sizeof(avail));
		}
		return -ENOTTY;
	}
	if (console_file_is_tty(f))
		return tty_ioctl(cmd, arg);
	return -ENOTTY;
}

long sys_fcntl(long fd, long cmd, uint64_t arg)
{
	struct file *f = fd_get(fd);
	const unsigned settable = O_APPEND | O_NONBLOCK;

	if (!f)
		return -EBADF;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if (arg >= FD_MAX)
			return -EINVAL;
		f->refs++;
		long nfd = fd_install(f, arg, cmd == F_DUPFD_CLOEXEC);
		if (nfd < 0)
			f->refs--;
		return nfd;
	case F_GETFD:
		return fd_get_flags(fd);
	case F_SETFD:
		return fd_set_flags(fd, arg);
	case F_GETFL:
		return f->flags;
	case F_SETFL:
		f->flags = (f->flags & ~settable) | (arg & settable);
		return 0;
	default:
		return -EINVAL;
	}
}

long sys_dup(long fd)
{
	return fd_dup(fd, -1, false);
}

long sys_dup2(long oldfd, long newfd)
{
	if (oldfd == newfd)
		return fd_get(oldfd) ? newfd : -EBADF;
	return fd_dup(oldfd, newfd, false);
}

long sys_dup3(long oldfd, long newfd, long flags)
{
	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	if (oldfd == newfd)
		return -EINVAL;
	return fd_dup(oldfd, newfd, flags & O_CLOEXEC);
}
