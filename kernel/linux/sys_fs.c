/*
 * System calls that change files and the tree: open with O_CREAT, mkdir,
 * unlink, rmdir, rename, link, symlink, truncate, fallocate, fadvise, sync, times,
 * modes and owners, umask, statfs.  The checks of the tree itself are in
 * fs/namei.c; file data in fs/tmpfs.c; who may do what in fs/perm.c.  A
 * read-only filesystem (the image) gives EROFS before any permission check.
 */
#include "linux/syscall.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/mem.h"
#include "core/uaccess.h"
#include "fs/vfs.h"
#include "fs/perm.h"
#include "fs/mount.h"

#define FALLOC_FL_KEEP_SIZE 1
#define POSIX_FADV_NOREUSE  5 /* the last advice on x86-64 (uapi/linux/fadvise.h) */
#define UTIME_NOW	    ((1l << 30) - 1)
#define UTIME_OMIT	    ((1l << 30) - 2)
#define NSEC		    1000000000ull
#define ST_RDONLY	    1
#define ST_VALID	    0x20 /* f_flags is meaningful (Linux's ST_VALID) */
#define ST_NOSUID	    2
#define ST_NODEV	    4
#define MODE_BITS	    07777

/* sync_file_range's flags (include/uapi/linux/fs.h) */
#define SYNC_FILE_RANGE_WAIT_BEFORE 1
#define SYNC_FILE_RANGE_WRITE	    2
#define SYNC_FILE_RANGE_WAIT_AFTER  4

/* A created file's mode, as open(2) and mkdir(2) compute it. */
static uint32_t new_mode(long mode, uint32_t type)
{
	return type | (mode & MODE_BITS & ~vfs_umask());
}

/* The inode O_CREAT opens: the existing entry or a new empty file
 * (*created set: no permission is checked on it, as Linux). */
static struct inode *open_create(long dirfd, uint64_t upath, long flags, long mode, bool *created)
{
	struct path_last pl;
	struct inode *ino;
	long r = path_at_parent(dirfd, upath, &pl);

	if (r) {
		ino = ERR_PTR(r);
	} else if (pl.slash) {
		ino = ERR_PTR(-EISDIR);
	} else if (vfs_child(pl.dir, pl.name, pl.len) || !strcmp(pl.name, ".") ||
		   !strcmp(pl.name, "..")) {
		if (flags & O_EXCL)
			ino = ERR_PTR(-EEXIST);
		else /* exists: resolve it as a plain open would */
			ino = path_at_lookup(dirfd, upath,
					     (flags & O_NOFOLLOW) ? AT_SYMLINK_NOFOLLOW : 0);
		if (!IS_ERR(ino) && S_ISDIR(ino->mode))
			ino = ERR_PTR(-EISDIR);
	} else {
		ino = vfs_create(pl.dir, pl.name, pl.len, new_mode(mode, S_IFREG));
		*created = !IS_ERR(ino);
	}
	path_last_free(&pl);
	return ino;
}

/* Linux's may_open order: ENOTDIR, EISDIR and EROFS (which vfs_open
 * reports) come before the permission check. */
static bool open_denied(struct inode *ino, long flags)
{
	bool wr = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);

	if ((flags & O_DIRECTORY) && !S_ISDIR(ino->mode))
		return false;
	if (wr && (S_ISDIR(ino->mode) || vfs_data_rdonly(ino)))
		return false;
	return perm_may_open(ino, flags) != 0;
}

long fs_openat(long dirfd, uint64_t upath, long flags, long mode)
{
	struct inode *ino;
	struct file *f;
	bool created = false;

	if ((flags & O_CREAT) && !(flags & O_PATH))
		ino = open_create(dirfd, upath, flags, mode, &created);
	else
		ino = path_at_lookup(dirfd, upath, (flags & O_NOFOLLOW) ? AT_SYMLINK_NOFOLLOW : 0);
	if (IS_ERR(ino))
		return PTR_ERR(ino);
	if (S_ISLNK(ino->mode) && (flags & O_NOFOLLOW) && !(flags & O_PATH))
		return -ELOOP;
	if (!created && open_denied(ino, flags))
		return -EACCES;
	f = vfs_open(ino, flags);
	if (IS_ERR(f))
		return PTR_ERR(f);
	return fd_install_new(f, flags & O_CLOEXEC);
}

long sys_creat(uint64_t path, long mode)
{
	return fs_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

long sys_mkdirat(long dirfd, uint64_t path, long mode)
{
	struct path_last pl;
	long r = path_at_parent(dirfd, path, &pl);

	if (!r) {
		struct inode *ino = vfs_create(pl.dir, pl.name, pl.len, new_mode(mode, S_IFDIR));
		r = IS_ERR(ino) ? PTR_ERR(ino) : 0;
	}
	path_last_free(&pl);
	return r;
}

long sys_mkdir(uint64_t path, long mode)
{
	return sys_mkdirat(AT_FDCWD, path, mode);
}

long sys_unlinkat(long dirfd, uint64_t path, long flags)
{
	struct path_last pl;
	long r;

	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	r = path_at_parent(dirfd, path, &pl);
	if (!r && pl.slash && !(flags & AT_REMOVEDIR)) {
		/* "file/": the slash asks for a directory */
		struct dentry *e = vfs_child(pl.dir, pl.name, pl.len);
		r = !e ? -ENOENT : S_ISDIR(e->inode->mode) ? -EISDIR : -ENOTDIR;
	} else if (!r) {
		r = vfs_remove(pl.dir, pl.name, pl.len, flags & AT_REMOVEDIR);
	}
	path_last_free(&pl);
	return r;
}

long sys_unlink(uint64_t path)
{
	return sys_unlinkat(AT_FDCWD, path, 0);
}

long sys_rmdir(uint64_t path)
{
	return sys_unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
}

/* A trailing slash on either side of a rename needs a directory there. */
static long slash_check(struct path_last *pl)
{
	struct dentry *e = pl->slash ? vfs_child(pl->dir, pl->name, pl->len) : NULL;

	return e && !S_ISDIR(e->inode->mode) ? -ENOTDIR : 0;
}

long sys_renameat2(long odfd, uint64_t opath, long ndfd, uint64_t npath, unsigned flags)
{
	struct path_last o, n;
	long r = path_at_parent(odfd, opath, &o);

	if (!r)
		r = path_at_parent(ndfd, npath, &n);
	else
		memset(&n, 0, sizeof(n));
	if (!r && !(r = slash_check(&o)) && !(r = slash_check(&n)))
		r = vfs_rename(o.dir, o.name, o.len, n.dir, n.name, n.len, flags);
	path_last_free(&o);
	path_last_free(&n);
	return r;
}

long sys_renameat(long odfd, uint64_t opath, long ndfd, uint64_t npath)
{
	return sys_renameat2(odfd, opath, ndfd, npath, 0);
}

long sys_rename(uint64_t opath, uint64_t npath)
{
	return sys_renameat2(AT_FDCWD, opath, AT_FDCWD, npath, 0);
}

long sys_linkat(long odfd, uint64_t opath, long ndfd, uint64_t npath, long flags)
{
	struct inode *target;
	struct path_last pl;
	long r;

	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	target = path_at_lookup(odfd, opath,
				(flags & AT_EMPTY_PATH) |
					(flags & AT_SYMLINK_FOLLOW ? 0 : AT_SYMLINK_NOFOLLOW));
	if (IS_ERR(target))
		return PTR_ERR(target);
	r = path_at_parent(ndfd, npath, &pl);
	if (!r)
		r = pl.slash ? -ENOENT : vfs_link(target, pl.dir, pl.name, pl.len);
	path_last_free(&pl);
	return r;
}

long sys_link(uint64_t opath, uint64_t npath)
{
	return sys_linkat(AT_FDCWD, opath, AT_FDCWD, npath, 0);
}

long sys_symlinkat(uint64_t utarget, long dirfd, uint64_t path)
{
	char *target = kmalloc(PATH_MAX);
	struct path_last pl = { 0 };
	long r, len;

	if (!target)
		return -ENOMEM;
	len = strncpy_from_user(target, utarget, PATH_MAX);
	r = len < 0 ? len : len == 0 ? -ENOENT : len >= PATH_MAX ? -ENAMETOOLONG : 0;
	if (!r)
		r = path_at_parent(dirfd, path, &pl);
	if (!r)
		r = vfs_symlink(pl.dir, pl.name, pl.len, target, len);
	path_last_free(&pl);
	kfree(target);
	return r;
}

long sys_symlink(uint64_t target, uint64_t path)
{
	return sys_symlinkat(target, AT_FDCWD, path);
}

/* truncate and ftruncate, once checked: the filesystem sets the size (and
 * with it mtime and ctime). */
static long set_size(struct inode *ino, uint64_t len)
{
	struct vfs_iattr a = { .valid = VFS_ATTR_SIZE, .size = len };

	return vfs_setattr(ino, &a);
}

long sys_truncate(uint64_t path, int64_t len)
{
	struct inode *ino = path_at_lookup(AT_FDCWD, path, 0);

	if (IS_ERR(ino))
		return PTR_ERR(ino);
	if (len < 0)
		return -EINVAL;
	/* Linux's vfs_truncate: the type, a read-only filesystem, then the
	 * right to write. */
	if (S_ISREG(ino->mode) && !(ino->sb && ino->sb->rdonly) && perm_inode(ino, MAY_WRITE))
		return -EACCES;
	return set_size(ino, len);
}

long sys_ftruncate(long fd, int64_t len)
{
	struct file *f = fd_get(fd);

	if (!f)
		return -EBADF;
	if (len < 0 || !S_ISREG(f->inode->mode) || !file_writable(f) || (f->flags & O_PATH))
		return (f->flags & O_PATH) ? -EBADF : -EINVAL;
	return set_size(f->inode, len);
}

/* Memory is the medium, except for files that say otherwise (a block
 * device flushes its cache): held, since that may sleep. */
long sys_fsync(long fd)
{
	struct file *f = fd_hold(fd);

	if (!f)
		return -EBADF;
	if (f->ops->fsync)
		return f->ops->fsync(f);
	return f->ops->seekable || S_ISDIR(f->inode->mode) ? 0 : -EINVAL;
}

long sys_fdatasync(long fd)
{
	struct file *f = fd_hold(fd);

	if (f && f->ops->fdatasync)
		return f->ops->fdatasync(f);
	return sys_fsync(fd);
}

/* Linux's sync_file_range starts (WRITE) or waits for (WAIT_*) writeback of
 * a range.  monos writes back only through fsync, synchronously, so a flag
 * asking for the data to move does a whole fsync: more than asked, never
 * less.  The checks come in Linux's order (fs/sync.c): the fd, the flags
 * and the range, then the file's type. */
long sys_sync_file_range(long fd, int64_t off, int64_t len, unsigned int flags)
{
	unsigned int valid =
		SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;
	struct file *f = fd_get(fd);
	uint32_t mode;

	if (!f)
		return -EBADF;
	if ((flags & ~valid) || off < 0 || len < 0 || len > INT64_MAX - off)
		return -EINVAL;
	mode = f->inode->mode;
	if (!S_ISREG(mode) && !S_ISBLK(mode) && !S_ISDIR(mode) && !S_ISLNK(mode))
		return -ESPIPE;
	if (!(flags & (SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER)))
		return 0;
	return sys_fsync(fd);
}

/* A hint about how a file will be read: memory is the medium, so there is
 * nothing to do, but Linux's errors come in its order (generic_fadvise):
 * a pipe before the arguments. */
long sys_fadvise64(long fd, int64_t off, int64_t len, long advice)
{
	struct file *f = fd_get(fd);

	if (!f || (f->flags & O_PATH))
		return -EBADF;
	if ((f->inode->mode & S_IFMT) == S_IFIFO)
		return -ESPIPE;
	if (len < 0 || advice < 0 || advice > POSIX_FADV_NOREUSE)
		return -EINVAL;
	return 0;
}

/* Every filesystem that caches (a volume) writes back and flushes.  Linux's
 * sync(2) reports no error; the volume's is in the kernel log. */
long sys_sync(void)
{
	vfs_sync_all();
	return 0;
}

/* The filesystem of `fd` only: its error, as Linux's syncfs gives. */
long sys_syncfs(long fd)
{
	struct file *f = fd_hold(fd);
	struct vfs_sb *sb;

	if (!f)
		return -EBADF;
	sb = f->inode ? f->inode->sb : NULL;
	return sb && sb->sync ? sb->sync(sb) : 0;
}

long sys_fallocate(long fd, long mode, int64_t off, int64_t len)
{
	struct file *f = fd_get(fd);

	if (!f)
		return -EBADF;
	if (mode & ~FALLOC_FL_KEEP_SIZE)
		return -EOPNOTSUPP;
	if (off < 0 || len <= 0)
		return -EINVAL;
	if (!file_writable(f))
		return -EBADF;
	if (S_ISDIR(f->inode->mode))
		return -EISDIR;
	if (!f->ops->seekable)
		return -ESPIPE;
	if (f->ops->fallocate)
		return f->ops->fallocate(f, off, len, mode & FALLOC_FL_KEEP_SIZE);
	return tmpfs_allocate(f->inode, off, len, mode & FALLOC_FL_KEEP_SIZE);
}

/* The inode a metadata call changes; -EROFS on a read-only filesystem.
 * `upath` 0 with a real fd: the fd's own file (futimens). */
static struct inode *meta_target(long dirfd, uint64_t upath, long flags)
{
	struct inode *ino;

	if (!upath) {
		struct file *f = (int)dirfd == AT_FDCWD ? NULL : fd_get(dirfd);
		ino = f ? f->inode : ERR_PTR(-EBADF);
	} else {
		ino = path_at_lookup(dirfd, upath, flags);
	}
	if (!IS_ERR(ino) && ino->sb && ino->sb->rdonly)
		return ERR_PTR(-EROFS);
	return ino;
}

struct timespec_k {
	int64_t sec, nsec;
};

/* One timestamp from a struct timespec of utimensat; false if invalid. */
static bool set_time(uint64_t *t, const struct timespec_k *ts, uint64_t now)
{
	if (ts->nsec == UTIME_OMIT)
		return true;
	if (ts->nsec == UTIME_NOW) {
		*t = now;
		return true;
	}
	if (ts->nsec < 0 || ts->nsec >= (int64_t)NSEC || ts->sec < 0)
		return false;
	*t = ts->sec * NSEC + ts->nsec;
	return true;
}

/* Is either time of `ts` an explicit one (not UTIME_NOW or UTIME_OMIT)? */
static bool explicit_time(const struct timespec_k ts[2])
{
	for (int i = 0; ts && i < 2; i++)
		if (ts[i].nsec != UTIME_NOW && ts[i].nsec != UTIME_OMIT)
			return true;
	return false;
}

/* Set atime and mtime from `ts` (NULL: now); ctime becomes now. */
static long set_times(struct inode *ino, const struct timespec_k ts[2])
{
	uint64_t now = vfs_now();
	struct vfs_iattr at = { .valid = VFS_ATTR_ATIME | VFS_ATTR_MTIME | VFS_ATTR_CTIME };
	int err;

	if (IS_ERR(ino))
		return PTR_ERR(ino);
	if ((err = perm_utimes(ino, explicit_time(ts))))
		return err;
	at.atime = ino->atime, at.mtime = ino->mtime, at.ctime = now;
	if (!ts) {
		at.atime = at.mtime = now;
	} else if (!set_time(&at.atime, &ts[0], now) || !set_time(&at.mtime, &ts[1], now)) {
		return -EINVAL;
	}
	return vfs_setattr(ino, &at);
}

long sys_utimensat(long dirfd, uint64_t path, uint64_t utimes, long flags)
{
	struct timespec_k ts[2];
	struct inode *ino;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (utimes && copy_from_user(ts, utimes, sizeof(ts)))
		return -EFAULT;
	if (utimes && ts[0].nsec == UTIME_OMIT && ts[1].nsec == UTIME_OMIT)
		return 0; /* Linux returns before even looking the path up */
	ino = meta_target(dirfd, path, flags);
	return set_times(ino, utimes ? ts : NULL);
}

long sys_futimesat(long dirfd, uint64_t path, uint64_t utv)
{
	struct {
		int64_t sec, usec;
	} tv[2];
	struct timespec_k ts[2];
	struct inode *ino;

	if (utv && copy_from_user(tv, utv, sizeof(tv)))
		return -EFAULT;
	for (int i = 0; utv && i < 2; i++) {
		if (tv[i].usec < 0 || tv[i].usec >= 1000000)
			return -EINVAL;
		ts[i].sec = tv[i].sec;
		ts[i].nsec = tv[i].usec * 1000;
	}
	ino = meta_target(dirfd, path, 0);
	return set_times(ino, utv ? ts : NULL);
}

long sys_utimes(uint64_t path, uint64_t tv)
{
	return sys_futimesat(AT_FDCWD, path, tv);
}

long sys_utime(uint64_t path, uint64_t ubuf)
{
	int64_t buf[2] = { 0 }; /* struct utimbuf: actime, modtime */
	struct timespec_k ts[2];
	struct inode *ino;

	if (ubuf && copy_from_user(buf, ubuf, sizeof(buf)))
		return -EFAULT;
	ts[0] = (struct timespec_k){ buf[0], 0 };
	ts[1] = (struct timespec_k){ buf[1], 0 };
	ino = meta_target(AT_FDCWD, path, 0);
	return set_times(ino, ubuf ? ts : NULL);
}

static long do_chmod(struct inode *ino, long mode)
{
	if (IS_ERR(ino))
		return PTR_ERR(ino);
	struct vfs_iattr a = { .valid = VFS_ATTR_MODE | VFS_ATTR_CTIME, .ctime = vfs_now() };

	mode = perm_chmod(ino, mode & MODE_BITS);
	if (mode < 0)
		return mode;
	a.mode = mode;
	return vfs_setattr(ino, &a);
}

long sys_fchmodat(long dirfd, uint64_t path, long mode)
{
	if (!path) /* 0 would mean "the fd itself" to meta_target */
		return -EFAULT;
	return do_chmod(meta_target(dirfd, path, 0), mode);
}

long sys_chmod(uint64_t path, long mode)
{
	return sys_fchmodat(AT_FDCWD, path, mode);
}

long sys_fchmod(long fd, long mode)
{
	if ((int)fd == AT_FDCWD)
		return -EBADF;
	return do_chmod(meta_target(fd, 0, 0), mode);
}

/* uid or gid (uint32_t)-1 leaves that one as it is. */
static long do_chown(struct inode *ino, long uid, long gid)
{
	struct vfs_iattr a = { .valid = VFS_ATTR_CTIME, .uid = uid, .gid = gid };
	int err;

	if (IS_ERR(ino))
		return PTR_ERR(ino);
	if ((err = perm_chown(ino, uid, gid)))
		return err;
	a.valid |= ((uint32_t)uid != (uint32_t)-1 ? VFS_ATTR_UID : 0) |
		   ((uint32_t)gid != (uint32_t)-1 ? VFS_ATTR_GID : 0);
	/* A non-root-owned executable would lose set-id bits; root keeps them
	 * only for directories.  As Linux: chown clears S_ISUID/S_ISGID(x). */
	if (!S_ISDIR(ino->mode) && (a.valid & (VFS_ATTR_UID | VFS_ATTR_GID))) {
		a.valid |= VFS_ATTR_MODE;
		a.mode = ino->mode & ~(04000 | ((ino->mode & 010) ? 02000 : 0));
	}
	a.ctime = vfs_now();
	return vfs_setattr(ino, &a);
}

long sys_fchownat(long dirfd, uint64_t path, long uid, long gid, long flags)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (!path)
		return -EFAULT;
	return do_chown(meta_target(dirfd, path, flags), uid, gid);
}

long sys_chown(uint64_t path, long uid, long gid)
{
	return sys_fchownat(AT_FDCWD, path, uid, gid, 0);
}

long sys_lchown(uint64_t path, long uid, long gid)
{
	return sys_fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}

long sys_fchown(long fd, long uid, long gid)
{
	if ((int)fd == AT_FDCWD)
		return -EBADF;
	return do_chown(meta_target(fd, 0, 0), uid, gid);
}

long sys_umask(long mask)
{
	return vfs_set_umask((unsigned)mask);
}

/* struct statfs on x86-64 (include/uapi/asm-generic/statfs.h). */
struct statfs_k {
	int64_t type, bsize;
	uint64_t blocks, bfree, bavail, files, ffree;
	int32_t fsid[2];
	int64_t namelen, frsize, flags, spare[4];
};

/* The pseudo filesystems of files in no tree (include/uapi/linux/magic.h);
 * Linux reports them as simple_statfs does: a type and no size. */
#define PIPEFS_MAGIC	    0x50495045
#define SOCKFS_MAGIC	    0x534f434b
#define ANON_INODE_FS_MAGIC 0x09041934

static struct vfs_sb pipefs_sb = { .name = "pipefs", .magic = PIPEFS_MAGIC };
static struct vfs_sb sockfs_sb = { .name = "sockfs", .magic = SOCKFS_MAGIC };
static struct vfs_sb anon_sb = { .name = "anon_inodefs", .magic = ANON_INODE_FS_MAGIC };

/* The filesystem `ino` belongs to, for statfs. */
static const struct vfs_sb *statfs_sb(const struct inode *ino)
{
	if (ino->sb)
		return ino->sb;
	switch (ino->mode & S_IFMT) {
	case S_IFIFO:
		return &pipefs_sb;
	case S_IFSOCK:
		return &sockfs_sb;
	case S_IFCHR:
		return &devfs_sb; /* fds 0-2 */
	default:
		return &anon_sb; /* eventfd, epoll, timerfd, signalfd */
	}
}

static long put_statfs(struct inode *ino, uint64_t ubuf)
{
	const struct vfs_sb *sb = statfs_sb(ino);
	struct vfs_space sp = { 0 };
	struct statfs_k st = {
		.type = sb->magic,
		.bsize = PAGE_SIZE,
		.frsize = PAGE_SIZE,
		.namelen = NAME_MAX,
		.fsid = { (int32_t)sb->dev, 0 },
		.flags = ST_VALID | (sb->rdonly ? ST_RDONLY : 0) | ST_NOSUID | ST_NODEV,
	};
	struct mount *m = mount_of(ino);

	if (m) /* in the tree: its mount's flags, as Linux */
		st.flags = mount_statfs_flags(m);
	if (sb->space)
		sb->space(sb, &sp);
	st.blocks = sp.blocks;
	st.bfree = st.bavail = sp.bfree;
	st.files = sp.files;
	st.ffree = sp.ffree;
	return copy_to_user(ubuf, &st, sizeof(st));
}

long sys_statfs(uint64_t path, uint64_t buf)
{
	struct inode *ino = path_at_lookup(AT_FDCWD, path, 0);

	return IS_ERR(ino) ? PTR_ERR(ino) : put_statfs(ino, buf);
}

long sys_fstatfs(long fd, uint64_t buf)
{
	struct file *f = fd_get(fd);

	return f ? put_statfs(f->inode, buf) : -EBADF;
}
