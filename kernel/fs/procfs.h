/*
 * procfs' building blocks, shared by fs/procfs.c (the machinery and the
 * system-wide files), fs/procfs_pid.c (/proc/PID) and fs/sysfs.c (/sys,
 * built the same way); the process layer fills struct procfs_procs, and
 * net/procnet.c adds its files through procfs_root.
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

/* A generated file's operations (its inode's `generate` fills it at open). */
extern const struct file_ops procfs_gen_ops;

/* Append to `b` as snprintf would; an overflow shows as len >= size. */
void procfs_printf(struct procfs_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Add a generated file, a directory, a symlink under `dir` (boot only; out
 * of memory panics).  procfs_set_link changes a link's target (-ENOMEM
 * keeps the old one).  `name` must outlive the entry. */
struct inode *procfs_file(struct inode *dir, const char *name, procfs_gen_fn fn, uint32_t perm);
struct inode *procfs_dir(struct inode *dir, const char *name);
struct inode *procfs_link(struct inode *dir, const char *name, const char *target);
int procfs_set_link(struct inode *ino, const char *target);
/* The same at any time: NULL when out of memory (a link may then have an
 * empty target). */
struct inode *procfs_new_file(struct inode *dir, const char *name, procfs_gen_fn fn, uint32_t perm);
struct inode *procfs_new_dir(struct inode *dir, const char *name);
struct inode *procfs_new_link(struct inode *dir, const char *name, const char *target);

/* The /proc directory, for the layers above fs/ to add their own files
 * (net/procnet.c adds /proc/net/dev).  NULL before vfs_init_mounts. */
struct inode *procfs_root(void);

/* procfs_pid.c: remember /proc (`proc`); the directory of process `pid`,
 * made at its first lookup (in no list: procfs.c's lookup finds it), or
 * NULL when out of memory. */
void procfs_pid_init(struct inode *proc);
struct inode *procfs_pid_dir(int pid);

/*
 * The processes /proc lists and finds by their pid (design.md contract 19:
 * /proc/PID is found by lookup, not preloaded).  The process layer fills
 * these; by default there is one process, pid 1.  Called with the
 * system-call rule held (core/spinlock.h).
 */
struct thread;
/* What /proc/PID shows of a process, filled by the process layer. */
struct procfs_proc {
	int pid, tid, ppid, pgid, sid, nthreads; /* tid: the thread described (pid: all) */
	char state;	       /* 'R' running or runnable, 'S' sleeping, 'Z' zombie */
	char comm[16];	       /* TASK_COMM_LEN, NUL-terminated */
	const char *exe;       /* its program's path, or NULL */
	uint64_t cpu_ns;       /* CPU time of its threads, live and ended */
	uint64_t start_ns;     /* monotonic time it was made */
	struct thread *thread; /* its main thread (mm, files, fs, cred); NULL: a zombie */
	uint64_t sig_ignored, sig_caught; /* signals with SIG_IGN, with a handler */
	bool no_new_privs;
};

struct procfs_procs {
	bool (*exists)(int pid);
	int (*next)(int after); /* the first pid above `after`; 0: none */
	/* Describe process `pid`: 0, or -ESRCH when there is none. */
	int (*get)(int pid, struct procfs_proc *out);
	/* Describe thread `tid` of process `pid` (its thread, state and tid):
	 * 0, or -ESRCH. */
	int (*get_thread)(int pid, int tid, struct procfs_proc *out);
	/* The first thread of `pid` above `after`; 0: none. */
	int (*next_thread)(int pid, int after);
	int (*self)(void);     /* the caller's pid (/proc/self) */
	int (*self_tid)(void); /* the caller's tid (/proc/thread-self) */
};
/* Register the process layer's callbacks (none before: no process).  `p`
 * must live for good. */
void procfs_set_procs(const struct procfs_procs *p);
/* procfs_pid.c's way to them (no process layer: -ESRCH, 0). */
const struct procfs_procs *procfs_procs(void);

#endif
