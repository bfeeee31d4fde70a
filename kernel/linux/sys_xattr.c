/*
 * Extended attributes.  No monos filesystem stores any (the image carries
 * none, tmpfs keeps none): reading one finds nothing (ENODATA), listing finds
 * an empty list, and setting one is not supported (EOPNOTSUPP), as on a Linux
 * filesystem mounted without xattr support.  The path and fd are still
 * checked, so a missing file is ENOENT as on Linux.  man 2 getxattr.
 */
#include "linux/syscall.h"
#include "core/kernel.h"
#include "fs/vfs.h"

#define XATTR_NAME_MAX 255

static long check_path(uint64_t path, bool follow)
{
	struct inode *ino = path_at_lookup(AT_FDCWD, path, follow ? 0 : AT_SYMLINK_NOFOLLOW);
	return IS_ERR(ino) ? PTR_ERR(ino) : 0;
}

static long check_fd(long fd)
{
	return fd_get(fd) ? 0 : -EBADF;
}

long sys_getxattr(uint64_t path, uint64_t name, uint64_t value, size_t size)
{
	long r = check_path(path, true);
	return r ? r : -ENODATA;
}

long sys_lgetxattr(uint64_t path, uint64_t name, uint64_t value, size_t size)
{
	long r = check_path(path, false);
	return r ? r : -ENODATA;
}

long sys_fgetxattr(long fd, uint64_t name, uint64_t value, size_t size)
{
	long r = check_fd(fd);
	return r ? r : -ENODATA;
}

long sys_listxattr(uint64_t path, uint64_t list, size_t size)
{
	return check_path(path, true); /* 0: an empty list */
}

long sys_llistxattr(uint64_t path, uint64_t list, size_t size)
{
	return check_path(path, false);
}

long sys_flistxattr(long fd, uint64_t list, size_t size)
{
	return check_fd(fd);
}

long sys_setxattr(uint64_t path, uint64_t name, uint64_t value, size_t size, long flags)
{
	long r = check_path(path, true);
	return r ? r : -EOPNOTSUPP;
}

long sys_lsetxattr(uint64_t path, uint64_t name, uint64_t value, size_t size, long flags)
{
	long r = check_path(path, false);
	return r ? r : -EOPNOTSUPP;
}

long sys_fsetxattr(long fd, uint64_t name, uint64_t value, size_t size, long flags)
{
	long r = check_fd(fd);
	return r ? r : -EOPNOTSUPP;
}

long sys_removexattr(uint64_t path, uint64_t name)
{
	long r = check_path(path, true);
	return r ? r : -ENODATA;
}

long sys_lremovexattr(uint64_t path, uint64_t name)
{
	long r = check_path(path, false);
	return r ? r : -ENODATA;
}

long sys_fremovexattr(long fd, uint64_t name)
{
	long r = check_fd(fd);
	return r ? r : -ENODATA;
}
