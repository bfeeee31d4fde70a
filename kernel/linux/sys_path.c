/*
 * Path and metadata system calls: stat and statx, directory listing,
 * symlinks, access checks and the working directory; and the one helper that
 * resolves a path argument of a *at() call.
 */
#include "linux/syscall.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/uaccess.h"
#include "fs/vfs.h"
#include "fs/perm.h"

#define W_OK	2
#define DT_FIFO 1
#define DT_CHR	2
#define DT_DIR	4
#define DT_REG	8
#define DT_LNK	10
#define BLKSIZE 4096
#define NSEC	1000000000ull

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

struct inode *path_at_lookup(long dirfd, uint64_t upath, long flags)
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

/* Copy a user path into a new PATH_MAX buffer; ERR_PTR on failure. */
static char *get_path(uint64_t upath)
{
	char *path = kmalloc(PATH_MAX);
	long r;

	if (!path)
		return ERR_PTR(-ENOMEM);
	r = strncpy_from_user(path, upath, PATH_MAX);
	if (r >= 0 && r < PATH_MAX)
		return path;
	kfree(path);
	return ERR_PTR(r < 0 ? r : -ENAMETOOLONG);
}

/* Split off the last component of `path` (trailing slashes dropped, noted
 * in pl->slash) and resolve the rest as the parent directory. */
long path_at_parent(long dirfd, uint64_t upath, struct path_last *pl)
{
	char *path = get_path(upath), *end, *last;
	struct inode *dir;
	long r;

	memset(pl, 0, sizeof(*pl));
	if (IS_ERR(path))
		return PTR_ERR(path);
	pl->buf = path;
	if (!*path)
		return -ENOENT;
	end = path + strlen(path);
	while (end > path + 1 && end[-1] == '/')
		*--end = 0, pl->slash = true;
	last = strrchr(path, '/');
	dir = at_dir(dirfd, path);
	if (!IS_ERR(dir) && last) {
		*last = 0;
		dir = last == path ? vfs_root() : vfs_lookup(dir, path, true);
		last++;
	} else {
		last = path;
	}
	if (IS_ERR(dir))
		return PTR_ERR(dir);
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	if (!*last) /* the root itself: no component, nothing searched */
		last = ".";
	else if ((r = perm_inode(dir, MAY_EXEC)))
		return r; /* the last component is looked up in it */
	pl->dir = dir;
	pl->name = last;
	pl->len = strlen(last);
	return pl->len > NAME_MAX ? -ENAMETOOLONG : 0;
}

void path_last_free(struct path_last *pl)
{
	kfree(pl->buf);
	pl->buf = NULL;
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

static uint32_t dev_of(struct inode *ino)
{
	return ino->sb ? ino->sb->dev : 0;
}

/* Blocks of 512 bytes the file takes: tmpfs counts its pages. */
static uint64_t blocks_of(struct inode *ino)
{
	uint64_t n = 0;

	if (ino->own_blocks)
		return ino->blocks;
	if (!ino->pages)
		return ALIGN_UP(ino->size, 512ul) / 512;
	for (uint64_t i = 0; i < ino->npages; i++)
		n += ino->pages[i] != 0;
	return n * (BLKSIZE / 512);
}

/* dir_size's listener: counts the entries. */
static bool count_entry(struct vfs_dir_ctx *ctx, const char *name, size_t len, uint64_t ino,
			uint32_t mode, uint64_t next)
{
	ctx->pos = next;
	return true;
}

/* A directory's st_size: tmpfs, as Linux's, counts 20 bytes an entry
 * (BOGO_DIRENT_SIZE) plus 40 for "." and ".."; other directories one block.
 * tmpfs positions count entries (fs/libfs.c). */
static uint64_t dir_size(struct inode *dir)
{
	struct vfs_dir_ctx ctx = { .emit = count_entry };

	if (!tmpfs_is(dir->sb))
		return BLKSIZE;
	vfs_iops(dir)->iterate(dir, &ctx);
	return 40 + 20 * ctx.pos;
}

static long put_stat(struct inode *ino, uint64_t ust)
{
	struct stat_k st = {
		.dev = dev_of(ino),
		.ino = ino->ino,
		.nlink = ino->nlink,
		.mode = ino->mode,
		.uid = ino->uid,
		.gid = ino->gid,
		.size = ino->size,
		.rdev = ino->rdev,
		.blksize = BLKSIZE,
		.blocks = blocks_of(ino),
		.atime = ino->atime / NSEC,
		.atime_ns = ino->atime % NSEC,
		.mtime = ino->mtime / NSEC,
		.mtime_ns = ino->mtime % NSEC,
		.ctime = ino->ctime / NSEC,
		.ctime_ns = ino->ctime % NSEC,
	};
	if (S_ISDIR(ino->mode))
		st.size = dir_size(ino);
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
	ino = path_at_lookup(dirfd, path, flags);
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
#define STATX_BASIC_STATS  0x7ff
#define AT_STATX_SYNC_TYPE 0x6000

long sys_statx(long dirfd, uint64_t path, long flags, unsigned mask, uint64_t buf)
{
	struct inode *ino;
	struct statx_k sx = { 0 };

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800 | AT_STATX_SYNC_TYPE))
		return -EINVAL;
	if (mask & 0x80000000u) /* STATX__RESERVED */
		return -EINVAL;
	ino = path_at_lookup(dirfd, path, flags);
	if (IS_ERR(ino))
		return PTR_ERR(ino);
	sx.mask = STATX_BASIC_STATS;
	sx.blksize = BLKSIZE;
	sx.nlink = ino->nlink;
	sx.uid = ino->uid;
	sx.gid = ino->gid;
	sx.mode = ino->mode;
	sx.ino = ino->ino;
	sx.size = S_ISDIR(ino->mode) ? dir_size(ino) : ino->size;
	sx.blocks = blocks_of(ino);
	sx.atime.sec = ino->atime / NSEC, sx.atime.nsec = ino->atime % NSEC;
	sx.mtime.sec = ino->mtime / NSEC, sx.mtime.nsec = ino->mtime % NSEC;
	sx.ctime.sec = ino->ctime / NSEC, sx.ctime.nsec = ino->ctime % NSEC;
	sx.rdev_major = ino->rdev >> 8;
	sx.rdev_minor = ino->rdev & 0xff;
	sx.dev_major = dev_of(ino) >> 8;
	sx.dev_minor = dev_of(ino) & 0xff;
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

/* A getdents64 in progress: the user buffer and what is in it. */
struct dirent_buf {
	struct vfs_dir_ctx ctx;
	uint64_t ubuf;
	size_t room, used;
	long err; /* -EFAULT; or -EINVAL when not even one entry fits */
};

/* Positions of an open directory: 0 ".", 1 "..", then the filesystem's
 * own positions from 2 on (struct vfs_dir_ctx). */
#define DOTS 2

static bool emit_dirent(struct vfs_dir_ctx *ctx, const char *name, size_t len, uint64_t ino,
			uint32_t mode, uint64_t next)
{
	struct dirent_buf *d = (struct dirent_buf *)ctx;
	long r = put_dirent(d->ubuf + d->used, d->room - d->used, ino, next + DOTS, dtype(mode),
			    name, len);

	if (r <= 0) {
		d->err = r ? r : -EINVAL;
		return false;
	}
	d->used += r;
	return true;
}

long sys_getdents64(long fd, uint64_t buf, size_t n)
{
	struct file *f = fd_get(fd);
	struct dirent_buf d = { .ctx.emit = emit_dirent, .ubuf = buf, .room = n };
	struct inode *dir;

	if (!f)
		return -EBADF;
	dir = f->inode;
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	if (!vfs_parent(dir))
		return 0; /* a removed directory lists nothing */
	for (uint64_t pos = f->off; pos < DOTS; pos++) {
		struct inode *i = pos ? vfs_parent(dir) : dir;
		if (!emit_dirent(&d.ctx, "..", pos + 1, i->ino, S_IFDIR, pos + 1 - DOTS))
			return d.used ? (long)d.used : d.err;
		f->off = pos + 1;
	}
	d.ctx.pos = f->off - DOTS;
	d.ctx.run = f->dir_run;
	vfs_iops(dir)->iterate(dir, &d.ctx);
	f->off = d.ctx.pos + DOTS;
	f->dir_run = d.ctx.run;
	return d.used || !d.err ? (long)d.used : d.err;
}

long sys_readlinkat(long dirfd, uint64_t path, uint64_t buf, long n)
{
	struct inode *ino = path_at_lookup(dirfd, path, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH);

	char *target;

	if (IS_ERR(ino))
		return PTR_ERR(ino);
	if (!S_ISLNK(ino->mode))
		return -EINVAL;
	if (n <= 0)
		return -EINVAL;
	if (IS_ERR(target = vfs_readlink(ino)))
		return PTR_ERR(target);
	n = MIN((size_t)n, strlen(target));
	if (copy_to_user(buf, target, n))
		n = -EFAULT;
	kfree(target);
	return n;
}

long sys_readlink(uint64_t path, uint64_t buf, long n)
{
	return sys_readlinkat(AT_FDCWD, path, buf, n);
}

/* The checks of access(2) once the path is found: a read-only filesystem
 * refuses writing, then the permission bits decide. */
static long access_check(struct inode *ino, long mode)
{
	if ((mode & W_OK) && vfs_data_rdonly(ino))
		return -EROFS; /* the image is read-only */
	return perm_inode(ino, mode) ? -EACCES : 0;
}

/*
 * access(2) asks with the real ids unless AT_EACCESS (Linux's
 * access_override_creds): the fs ids become the real ones, and the
 * effective capabilities are root's permitted set for a real root, none
 * for anyone else.  The path is looked up with them too.
 */
long sys_faccessat2(long dirfd, uint64_t path, long mode, long flags)
{
	struct cred real = *cred_current();
	struct inode *ino;
	long r;

	if (mode & ~7)
		return -EINVAL;
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (!(flags & AT_EACCESS)) {
		real.fsuid = real.uid;
		real.fsgid = real.gid;
		real.cap_eff = real.uid ? 0 : real.cap_prm;
		cred_override(&real);
	}
	ino = path_at_lookup(dirfd, path, flags);
	r = IS_ERR(ino) ? PTR_ERR(ino) : access_check(ino, mode);
	if (!(flags & AT_EACCESS))
		cred_revert();
	return r;
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

/* chdir and fchdir: a directory the caller may search. */
static long set_cwd(struct inode *ino)
{
	if (IS_ERR(ino))
		return PTR_ERR(ino);
	if (!S_ISDIR(ino->mode))
		return -ENOTDIR;
	if (perm_inode(ino, MAY_EXEC))
		return -EACCES;
	vfs_set_cwd(ino);
	return 0;
}

long sys_chdir(uint64_t path)
{
	return set_cwd(path_at_lookup(AT_FDCWD, path, 0));
}

long sys_fchdir(long fd)
{
	struct file *f = fd_get(fd);

	return f ? set_cwd(f->inode) : -EBADF;
}
