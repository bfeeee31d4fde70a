/*
 * Anonymous-inode files: the files behind timerfd, signalfd (and the like)
 * have no place in the tree; their inode lives inside their own state and
 * goes with it.  anon.c holds the one way to make such a file.
 */
#ifndef FS_ANON_H
#define FS_ANON_H

#include "fs/vfs.h"

/*
 * anon_file - a new file of `ops` with `priv`, over `ino` (an inode inside
 * `priv`, set up here as Linux's anon inode: a regular 0600 file).  `flags`:
 * O_NONBLOCK is kept, the file is O_RDWR.  The file with one reference, or
 * NULL when out of memory (nothing is freed then).  The ops' release must
 * free `priv` and set f->inode to NULL, as file_put would drop the inode.
 * Process context.
 */
struct file *anon_file(const struct file_ops *ops, void *priv, struct inode *ino, unsigned flags);

#endif
