/*
 * procfs' building blocks, shared by fs/procfs.c (the machinery and the
 * system-wide files), fs/procfs_pid.c (/proc/1) and fs/sysfs.c (/sys, built
 * the same way).  fs/ only.
 */
#ifndef FS_PROCFS_H
#define FS_PROCFS_H

#include "fs/vfs.h"
#include <stdarg.h>

/* A generator's output buffer: text goes to buf[len...size). */
struct procfs_buf {
	char *buf;
	size_t size, len;
};

/* Fill `buf` (`n` bytes) with the file's text; return its length (>= n
 * asks for a larger buffer) or -errno. */
typedef long (*procfs_gen_fn)(struct inode *ino, char *buf, size_t n);

/* Append to `b` as snprintf would; an overflow shows as len >= size. */
void procfs_printf(struct procfs_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Add a generated file, a directory, a symlink under `dir` (boot only; out
 * of memory panics).  procfs_set_link changes a link's target. */
struct inode *procfs_file(struct inode *dir, const char *name, procfs_gen_fn fn, uint32_t perm);
struct inode *procfs_dir(struct inode *dir, const char *name);
struct inode *procfs_link(struct inode *dir, const char *name, const char *target);
int procfs_set_link(struct inode *ino, const char *target);

/* The /proc directory, for the layers above fs/ to add their own files
 * (net/procnet.c adds /proc/net/dev).  NULL before vfs_init_mounts. */
struct inode *procfs_root(void);

/* procfs_pid.c: build /proc/1 under `proc` (in no list: found by lookup),
 * and the directory of process `pid` (today the one tree, describing the
 * calling process). */
void procfs_pid_init(struct inode *proc);
struct inode *procfs_pid_dir(int pid);

/*
 * The processes /proc lists and finds by their pid (design.md contract 19:
 * /proc/PID is found by lookup, not preloaded).  The process layer fills
 * these; by default there is one process, pid 1.  Called with the
 * system-call rule held (core/spinlock.h).
 */
struct procfs_procs {
	bool (*exists)(int pid);
	int (*next)(int after); /* the first pid above `after`; 0: none */
};
/* Replace the default one process.  `p` must live for good. */
void procfs_set_procs(const struct procfs_procs *p);

#endif
