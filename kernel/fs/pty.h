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

/* The console, when it is a terminal, is /dev/pts/0 as the terminal of a
 * remote login would be: make that node, opened through `ops`, and give
 * the pairs the numbers from 1.  Boot only, after pty_init. */
struct inode *pty_console_node(const struct file_ops *ops);

#endif
