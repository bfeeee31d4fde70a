/*
 * Anonymous-inode files (fs/anon.h): timerfd and signalfd make theirs here.
 */
#include "fs/anon.h"
#include "core/heap.h"

#define ANON_MODE (S_IFREG | 0600) /* what fstat shows for Linux's anon inodes */

struct file *anon_file(const struct file_ops *ops, void *priv, struct inode *ino, unsigned flags)
{
	struct file *f = kzalloc(sizeof(*f));

	if (!f)
		return NULL;
	ino->mode = ANON_MODE;
	ino->nlink = 1;
	ino->atime = ino->mtime = ino->ctime = vfs_now();
	f->refs = 1;
	f->flags = O_RDWR | (flags & O_NONBLOCK);
	f->inode = ino;
	f->ops = ops;
	f->priv = priv;
	f->stream = -1; /* not a console file */
	return f;
}
