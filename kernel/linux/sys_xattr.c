/*
 * Extended attributes (man 2 getxattr, man 7 xattr).  A filesystem that
 * keeps them (host directory shares: fs/v9fs.c) gives the inode
 * operations getxattr, listxattr and setxattr; on the others (the image,
 * tmpfs, ext4 here) reading one finds nothing (ENODATA), listing finds an
 * empty list, and setting one is not supported (EOPNOTSUPP), as on a Linux
 * filesystem mounted without xattr support.  The path and fd are checked
 * first either way, so a missing file is ENOENT as on Linux.  Here: the
 * checks Linux's fs/xattr.c makes (name length, value size, flags, the
 * user namespace's permission and file types, read-only), the copies.
 */
#include "linux/syscall.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/uaccess.h"
#include "fs/perm.h"
#include "fs/vfs.h"

#define XATTR_NAME_MAX 255
#define XATTR_SIZE_MAX 65536 /* include/uapi/linux/limits.h */
#define XATTR_LIST_MAX 65536
#define XATTR_CREATE   0x1 /* include/uapi/linux/xattr.h */
#define XATTR_REPLACE  0x2
#define XATTR_USER     "user."

/* The inode a path (or an fd: path 0) names, or ERR_PTR. */
static struct inode *target(uint64_t path, bool follow, long fd)
{
	struct file *f;

	if (path)
		return path_at_lookup(AT_FDCWD, path, follow ? 0 : AT_SYMLINK_NOFOLLOW);
	f = fd_get((int)fd);
	return f ? f->inode : ERR_PTR(-EBADF);
}

/* Copy attribute name `uname` into `name` (XATTR_NAME_MAX + 1 bytes). */
static long get_name(char *name, uint64_t uname)
{
	long n = strncpy_from_user(name, uname, XATTR_NAME_MAX + 1);

	if (n == -ENAMETOOLONG)
		return -ERANGE;
	return n < 0 ? n : n == 0 ? -ERANGE : 0;
}

/* Linux's xattr_permission for the user namespace: only regular files
 * and directories carry user.* attributes, read or written as the file. */
static long may_access(struct inode *ino, const char *name, int mask)
{
	if (strncmp(name, XATTR_USER, strlen(XATTR_USER)))
		return 0; /* the other namespaces are the filesystem's to refuse */
	if (!S_ISREG(ino->mode) && !S_ISDIR(ino->mode))
		return mask == MAY_WRITE ? -EPERM : -ENODATA;
	return perm_inode(ino, mask);
}

static long do_getxattr(struct inode *ino, uint64_t uname, uint64_t value, size_t size)
{
	const struct inode_operations *ops;
	char name[XATTR_NAME_MAX + 1];
	void *buf = NULL;
	long r;

	if (IS_ERR(ino))
		return PTR_ERR(ino);
	if ((r = get_name(name, uname)) || (r = may_access(ino, name, MAY_READ)))
		return r;
	ops = vfs_iops(ino);
	if (!ops->getxattr)
		return -ENODATA;
	size = MIN(size, (size_t)XATTR_SIZE_MAX);
	if (size && !(buf = kmalloc(size)))
		return -ENOMEM;
	r = ops->getxattr(ino, name, buf, size);
	if (r > 0 && size && copy_to_user(value, buf, (size_t)r))
		r = -EFAULT;
	kfree(buf);
	return r;
}

static long do_listxattr(struct inode *ino, uint64_t list, size_t size)
{
	const struct inode_operations *ops;
	char *buf = NULL;
	long r;

	if (IS_ERR(ino))
		return PTR_ERR(ino);
	ops = vfs_iops(ino);
	if (!ops->listxattr)
		return 0;
	size = MIN(size, (size_t)XATTR_LIST_MAX);
	if (size && !(buf = kmalloc(size)))
		return -ENOMEM;
	r = ops->listxattr(ino, buf, size);
	if (r > 0 && size && copy_to_user(list, buf, (size_t)r))
		r = -EFAULT;
	kfree(buf);
	return r;
}

/* setxattr (`remove` false) or removexattr. */
static long do_setxattr(struct inode *ino, uint64_t uname, uint64_t value, size_t size, long flags,
			bool remove)
{
	const struct inode_operations *ops;
	char name[XATTR_NAME_MAX + 1];
	void *buf = NULL;
	long r;

	if (IS_ERR(ino))
		return PTR_ERR(ino);
	if (flags & ~(long)(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	if ((r = get_name(name, uname)))
		return r;
	if (size > XATTR_SIZE_MAX)
		return -E2BIG;
	if (ino->sb && ino->sb->rdonly)
		return -EROFS;
	if ((r = may_access(ino, name, MAY_WRITE)))
		return r;
	ops = vfs_iops(ino);
	if (!ops->setxattr)
		return remove ? -ENODATA : -EOPNOTSUPP;
	if (!remove && !(buf = kmalloc(size ? size : 1)))
		return -ENOMEM;
	if (buf && size && copy_from_user(buf, value, size))
		r = -EFAULT;
	else
		r = ops->setxattr(ino, name, buf, size, (int)flags);
	kfree(buf);
	return r;
}

long sys_getxattr(uint64_t path, uint64_t name, uint64_t value, size_t size)
{
	return do_getxattr(target(path, true, 0), name, value, size);
}

long sys_lgetxattr(uint64_t path, uint64_t name, uint64_t value, size_t size)
{
	return do_getxattr(target(path, false, 0), name, value, size);
}

long sys_fgetxattr(long fd, uint64_t name, uint64_t value, size_t size)
{
	return do_getxattr(target(0, true, fd), name, value, size);
}

long sys_listxattr(uint64_t path, uint64_t list, size_t size)
{
	return do_listxattr(target(path, true, 0), list, size);
}

long sys_llistxattr(uint64_t path, uint64_t list, size_t size)
{
	return do_listxattr(target(path, false, 0), list, size);
}

long sys_flistxattr(long fd, uint64_t list, size_t size)
{
	return do_listxattr(target(0, true, fd), list, size);
}

long sys_setxattr(uint64_t path, uint64_t name, uint64_t value, size_t size, long flags)
{
	return do_setxattr(target(path, true, 0), name, value, size, flags, false);
}

long sys_lsetxattr(uint64_t path, uint64_t name, uint64_t value, size_t size, long flags)
{
	return do_setxattr(target(path, false, 0), name, value, size, flags, false);
}

long sys_fsetxattr(long fd, uint64_t name, uint64_t value, size_t size, long flags)
{
	return do_setxattr(target(0, true, fd), name, value, size, flags, false);
}

long sys_removexattr(uint64_t path, uint64_t name)
{
	return do_setxattr(target(path, true, 0), name, 0, 0, 0, true);
}

long sys_lremovexattr(uint64_t path, uint64_t name)
{
	return do_setxattr(target(path, false, 0), name, 0, 0, 0, true);
}

long sys_fremovexattr(long fd, uint64_t name)
{
	return do_setxattr(target(0, true, fd), name, 0, 0, 0, true);
}
