/*
 * Pseudo-terminals (fs/pty.c): /dev/ptmx and the devpts directory /dev/pts.
 */
#ifndef FS_PTY_H
#define FS_PTY_H

#include "fs/vfs.h"

/* The file operations of /dev/ptmx: opening it makes a new pair. */
extern const struct file_ops pty_ptmx_ops;

/* devpts' superblock (statfs of /dev/pts says devpts). */
extern struct vfs_sb devpts_sb;

/* Make /dev/pts (with its ptmx node) in the directory `dev`.  Boot only,
 * from devfs_init. */
void pty_init(struct inode *dev);

#endif
