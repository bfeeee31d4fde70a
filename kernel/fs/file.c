/*
 * Open files and the descriptor table.  One process, so one table; a file
 * description is shared by dup'ed descriptors and counted by reference.
 */
#include "fs/vfs.h"
#include "core/heap.h"
#include "core/kernel.h"

struct fd_slot {
	struct file *file;
	int flags; /* FD_CLOEXEC */
};

static struct fd_slot fds[FD_MAX];

/* Regular files and symlinks of the image: reads copy from the initrd. */
static long image_read(struct file *f, void *kbuf, size_t n, uint64_t off)
{
	struct inode *ino = f->inode;

	if (S_ISDIR(ino->mode))
		return -EISDIR;
	if (off >= ino->size)
		return 0;
	n = MIN(n, ino->size - off);
	memcpy(kbuf, ino->data + off, n);
	return n;
}

static long image_write(struct file *f, const void *kbuf, size_t n, uint64_t off)
{
	return S_ISDIR(f->inode->mode) ? -EISDIR : -EBADF; /* opened read-only */
}

static const struct file_ops image_ops = {
	.read = image_read,
	.write = image_write,
	.seekable = true,
};

struct file *vfs_open(struct inode *ino, unsigned flags)
{
	const struct file_ops *ops = ino->fops ? ino->fops : &image_ops;
	struct file *f;

	if (ops->open && !(flags & O_PATH))
		return ops->open(ino, flags);
	if ((flags & O_ACCMODE) != O_RDONLY && !(flags & O_PATH) && !ino->fops)
		return ERR_PTR(S_ISDIR(ino->mode) ? -EISDIR : -EROFS);
	if ((flags & O_DIRECTORY) && !S_ISDIR(ino->mode))
		return ERR_PTR(-ENOTDIR);
	if ((flags & O_TRUNC) && !ino->fops)
		return ERR_PTR(-EROFS);
	f = kzalloc(sizeof(*f));
	if (!f)
		return ERR_PTR(-ENOMEM);
	f->refs = 1;
	f->flags = flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC);
	f->inode = ino;
	f->ops = ops;
	return f;
}

void file_put(struct file *f)
{
	if (--f->refs == 0)
		kfree(f);
}

int fd_install(struct file *f, int min_fd, bool cloexec)
{
	for (int fd = min_fd < 0 ? 0 : min_fd; fd < FD_MAX; fd++) {
		if (!fds[fd].file) {
			fds[fd].file = f;
			fds[fd].flags = cloexec ? FD_CLOEXEC : 0;
			return fd;
		}
	}
	return -EMFILE;
}

struct file *fd_get(int fd)
{
	return fd >= 0 && fd < FD_MAX ? fds[fd].file : NULL;
}

int fd_close(int fd)
{
	struct file *f = fd_get(fd);

	if (!f)
		return -EBADF;
	fds[fd].file = NULL;
	file_put(f);
	return 0;
}

int fd_dup(int oldfd, int newfd, bool cloexec)
{
	struct file *f = fd_get(oldfd);

	if (!f)
		return -EBADF;
	if (newfd < 0) {
		int fd = fd_install(f, 0, cloexec);
		if (fd >= 0)
			f->refs++;
		return fd;
	}
	if (newfd >= FD_MAX)
		return -EBADF;
	if (newfd == oldfd) {
		fds[newfd].flags = cloexec ? FD_CLOEXEC : 0;
		return newfd;
	}
	f->refs++;
	if (fds[newfd].file)
		file_put(fds[newfd].file);
	fds[newfd].file = f;
	fds[newfd].flags = cloexec ? FD_CLOEXEC : 0;
	return newfd;
}

int fd_get_flags(int fd)
{
	return fd_get(fd) ? fds[fd].flags : -EBADF;
}

int fd_set_flags(int fd, int flags)
{
	if (!fd_get(fd))
		return -EBADF;
	fds[fd].flags = flags & FD_CLOEXEC;
	return 0;
}
