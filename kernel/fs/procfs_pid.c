/*
 * /proc/PID: each process as Linux describes it (fs/proc/base.c, array.c,
 * task_mmu.c).  A process's directory is made the first time its pid is
 * looked up (procfs.c's lookup asks procfs_pid_dir), and is in no list, so
 * nothing is made per process until someone looks.  A directory whose
 * process is gone is taken over, renamed, by the next pid looked up, so the
 * trees never outnumber the processes looked at while alive together.
 *
 * Every file is generated at open from what the process layer says of the
 * pid (procfs_get, the callbacks linux/process.c registers): a generator
 * finds its pid from its entry's place under /proc.  exe, cwd and root are
 * links and fd/ and fdinfo/ dynamic directories, brought up to date before
 * each lookup or listing (their own inode operations); so is task/, whose
 * TID directories show the thread's stat, status and comm.  cmdline and environ
 * are read from the process's own stack (struct mm's arg_start..arg_end),
 * maps from its areas, whichever address space is active.
 */
#include "fs/procfs.h"
#include "fs/mount.h"
#include "core/cred.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/mem.h"
#include "core/vm.h"
#include <lib/fmt.h>
#include "linux/uapi.h"

#define NSEC	   1000000000ull
#define MAPS_WIDTH 73 /* where Linux pads a maps line to before the name */
#define FD_NAME	   12
#define PID_NAME   12
#define ARGS_MAX   (128u << 10) /* cmdline and environ: at most this much */

/* A process's directory and the entries that change. */
struct pid_tree {
	int pid;
	char name[PID_NAME]; /* the directory's name: the pid in decimal */
	struct inode *dir, *fd_dir, *fdinfo_dir, *task_dir, *cwd, *exe, *root;
	struct inode **fds, **fdinfos; /* per fd, made on first use, then reused */
	unsigned cap;
	struct list_head tasks; /* struct task_node.node: task/TID, reused as trees are */
	struct list_head node;
};

/* task/TID: a thread's directory (stat, status, comm of that thread). */
struct task_node {
	int tid;
	char name[PID_NAME];
	struct inode *dir;
	struct list_head node;
};

static struct inode *proc_dir;
static struct list_head trees = LIST_HEAD_INIT(trees);

/* The tree that entry `ino` lies in, or NULL (not under a pid). */
static struct pid_tree *tree_of(struct inode *ino)
{
	struct dentry *d = ino->dentry;
	struct pid_tree *t;

	while (d && d->parent && d->parent != d && d->parent != proc_dir->dentry)
		d = d->parent;
	if (!d || d->parent != proc_dir->dentry)
		return NULL;
	list_for_each_entry(t, &trees, node)
		if (t->dir == d->inode)
			return t;
	return NULL;
}

/* The number an entry is named by (a pid, tid or fd: digits only). */
static int name_num(const struct dentry *d)
{
	int n = 0;

	for (size_t i = 0; i < d->namelen; i++)
		n = n * 10 + (d->name[i] - '0');
	return n;
}

/* The thread of entry `ino` when it lies in task/TID/, else 0. */
static int tid_of(const struct pid_tree *t, struct inode *ino)
{
	for (struct dentry *d = ino->dentry; t->task_dir && d && d->parent && d->parent != d;
	     d = d->parent)
		if (d->parent == t->task_dir->dentry)
			return name_num(d);
	return 0;
}

/* What the process (or, under task/TID, the thread) of entry `ino` is
 * now: 0, or -ESRCH when it is gone. */
static int proc_of(struct inode *ino, struct procfs_proc *p)
{
	struct pid_tree *t = tree_of(ino);
	int tid = t ? tid_of(t, ino) : 0;

	if (!t)
		return -ESRCH;
	return tid ? procfs_procs()->get_thread(t->pid, tid, p) : procfs_procs()->get(t->pid, p);
}

static int procfs_get(int pid, struct procfs_proc *p)
{
	return procfs_procs()->get(pid, p);
}

static struct mm *mm_of(const struct procfs_proc *p)
{
	return p->thread ? p->thread->mm : NULL;
}

static long copy_out(char *buf, size_t n, const void *src, size_t len)
{
	if (len < n)
		memcpy(buf, src, len);
	return len;
}

/* cmdline, environ: the bytes exec put on the process's stack, read from
 * its own address space; a zombie's are empty, as on Linux. */
static long gen_args(struct inode *ino, char *buf, size_t n)
{
	struct procfs_proc p;
	struct mm *mm;
	uint64_t start, end;

	if (proc_of(ino, &p))
		return -ESRCH;
	if (!(mm = mm_of(&p)))
		return 0;
	start = ino->data ? mm->env_start : mm->arg_start;
	end = ino->data ? mm->env_end : mm->arg_end;
	if (end <= start)
		return 0;
	if (end - start > ARGS_MAX)
		end = start + ARGS_MAX;
	if (end - start >= n)
		return end - start; /* a larger buffer, please */
	return vm_read_in(mm, start, buf, end - start);
}

static long gen_auxv(struct inode *ino, char *buf, size_t n)
{
	struct procfs_proc p;
	struct mm *mm;

	if (proc_of(ino, &p))
		return -ESRCH;
	mm = mm_of(&p);
	return mm ? copy_out(buf, n, mm->auxv, mm->auxv_len * sizeof(uint64_t)) : 0;
}

static long gen_comm(struct inode *ino, char *buf, size_t n)
{
	struct procfs_proc p;

	if (proc_of(ino, &p))
		return -ESRCH;
	return fmt_snprintf(buf, n, "%s\n", p.comm);
}

/* The address space's size in kB, from its areas. */
static uint64_t vm_size_kb(struct mm *mm)
{
	uint64_t kb = 0;

	for (struct vma *v = mm ? vm_next_in(mm, NULL) : NULL; v; v = vm_next_in(mm, v))
		kb += (v->end - v->start) / 1024;
	return kb;
}

static const char *state_name(char state)
{
	switch (state) {
	case 'Z':
		return "Z (zombie)";
	case 'S':
		return "S (sleeping)";
	case 'T':
		return "T (stopped)";
	default:
		return "R (running)";
	}
}

/* status: the ids and groups, as Linux's task_state prints them (a space
 * after the last group, even when there is none). */
static void status_ids(struct procfs_buf *b, const struct thread *t)
{
	const struct cred *c = t->cred;

	procfs_printf(b, "Uid:\t%u\t%u\t%u\t%u\n", c->uid, c->euid, c->suid, c->fsuid);
	procfs_printf(b, "Gid:\t%u\t%u\t%u\t%u\nFDSize:\t%u\nGroups:\t", c->gid, c->egid, c->sgid,
		      c->fsgid, fdt_end(t->files));
	for (unsigned i = 0; i < c->ngroups; i++)
		procfs_printf(b, i ? " %u" : "%u", c->groups[i]);
	procfs_printf(b, " \n");
}

/* status: the memory lines (task_mem), for a process that has an mm. */
static void status_mem(struct procfs_buf *b, struct mm *mm)
{
	uint64_t rss = mm->resident * (PAGE_SIZE / 1024), size = vm_size_kb(mm);

	procfs_printf(b, "VmPeak:\t%8lu kB\nVmSize:\t%8lu kB\nVmLck:\t       0 kB\n", size, size);
	procfs_printf(b, "VmHWM:\t%8lu kB\nVmRSS:\t%8lu kB\n", rss, rss);
	procfs_printf(b, "VmData:\t%8lu kB\nVmStk:\t%8lu kB\n", size, VM_STACK_SIZE / 1024);
	procfs_printf(b, "VmSwap:\t       0 kB\n");
}

/* status: the capability sets (task_cap). */
static void status_caps(struct procfs_buf *b, const struct cred *c)
{
	procfs_printf(b, "CapInh:\t%016lx\nCapPrm:\t%016lx\nCapEff:\t%016lx\n", c->cap_inh,
		      c->cap_prm, c->cap_eff);
	procfs_printf(b, "CapBnd:\t%016lx\nCapAmb:\t%016lx\n", c->cap_bset, c->cap_amb);
}

/* status, in Linux's order.  A zombie has no credentials, mm or signal
 * state left here: those lines are left out. */
static long gen_status(struct inode *ino, char *buf, size_t n)
{
	struct procfs_buf b = { buf, n, 0 };
	struct procfs_proc p;
	struct thread *t;

	if (proc_of(ino, &p))
		return -ESRCH;
	t = p.thread;
	procfs_printf(&b, "Name:\t%s\n", p.comm);
	if (t)
		procfs_printf(&b, "Umask:\t%04o\n", vfs_fs_umask(t->fs));
	procfs_printf(&b, "State:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\n",
		      state_name(p.state), p.pid, p.tid, p.ppid);
	procfs_printf(&b, "TracerPid:\t0\n");
	if (t)
		status_ids(&b, t);
	if (t && t->mm)
		status_mem(&b, t->mm);
	procfs_printf(&b, "Threads:\t%d\n", p.nthreads);
	if (t)
		procfs_printf(&b, "SigBlk:\t%016lx\nSigIgn:\t%016lx\nSigCgt:\t%016lx\n", t->sigmask,
			      p.sig_ignored, p.sig_caught);
	if (t)
		status_caps(&b, t->cred);
	/* no seccomp filters exist here: mode 0 */
	procfs_printf(&b, "NoNewPrivs:\t%d\nSeccomp:\t0\n", p.no_new_privs);
	procfs_printf(&b, "Cpus_allowed:\t1\nCpus_allowed_list:\t0\n");
	return b.len;
}

/* stat: the 52 fields of proc(5) (Linux's do_task_stat), those monos
 * knows filled in, the others 0 as Linux shows what it does not keep. */
static long gen_pid_stat(struct inode *ino, char *buf, size_t n)
{
	struct procfs_buf b = { buf, n, 0 };
	struct procfs_proc p;
	struct mm *mm;
	uint64_t ticks = NSEC / USER_HZ, vsize, rss;

	if (proc_of(ino, &p))
		return -ESRCH;
	mm = mm_of(&p);
	vsize = vm_size_kb(mm) * 1024;
	rss = mm ? mm->resident : 0;
	procfs_printf(&b, "%d (%s) %c %d %d %d 0 -1 4194560 0 0 0 0 %lu 0 0 0 20 0 %d 0 %lu ",
		      p.tid, p.comm, p.state, p.ppid, p.pgid, p.sid, p.cpu_ns / ticks, p.nthreads,
		      p.start_ns / ticks);
	procfs_printf(&b, "%lu %lu 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0",
		      vsize, rss);
	if (mm)
		procfs_printf(&b, " 0 0 %lu %lu %lu %lu %lu 0\n", mm->brk_start, mm->arg_start,
			      mm->arg_end, mm->env_start, mm->env_end);
	else
		procfs_printf(&b, " 0 0 0 0 0 0 0 0\n");
	return b.len;
}

static long gen_statm(struct inode *ino, char *buf, size_t n)
{
	struct procfs_proc p;
	struct mm *mm;
	uint64_t pages;

	if (proc_of(ino, &p))
		return -ESRCH;
	mm = mm_of(&p);
	pages = vm_size_kb(mm) / (PAGE_SIZE / 1024);
	return fmt_snprintf(buf, n, "%lu %lu 0 0 0 %lu 0\n", pages, mm ? mm->resident : 0, pages);
}

/* One line of maps, in Linux's format (fs/proc/task_mmu.c show_map_vma). */
static void map_line(struct procfs_buf *b, struct vma *v, char *path)
{
	uint64_t dev = v->file && v->file->sb ? v->file->sb->dev : 0;
	size_t start = b->len;
	const char *name = v->name;

	/* 's' for the shared mappings of tmpfs files (memfd, /dev/shm, System V
	 * shared memory); other MAP_SHARED areas are mapped private here. */
	procfs_printf(b, "%08lx-%08lx %c%c%c%c %08lx %02lx:%02lx %lu", v->start, v->end,
		      v->prot & PROT_READ ? 'r' : '-', v->prot & PROT_WRITE ? 'w' : '-',
		      v->prot & PROT_EXEC ? 'x' : '-', v->flags & VMA_SHARED ? 's' : 'p',
		      v->file ? v->file_off : 0, dev >> 8, dev & 0xff, v->file ? v->file->ino : 0);
	if (v->file && !v->name && vfs_path(v->file, path, PATH_MAX) >= 0) /* [vdso], [vvar] */
		name = path;
	if (name) {
		size_t used = b->len - start;
		procfs_printf(b, "%*s%s", (int)(used < MAPS_WIDTH ? MAPS_WIDTH - used : 1), " ",
			      name);
	}
	procfs_printf(b, "\n");
}

static long gen_maps(struct inode *ino, char *buf, size_t n)
{
	struct procfs_buf b = { buf, n, 0 };
	struct procfs_proc p;
	struct mm *mm;
	char *path;

	if (proc_of(ino, &p))
		return -ESRCH;
	if (!(mm = mm_of(&p)))
		return 0;
	if (!(path = kmalloc(PATH_MAX)))
		return -ENOMEM;
	for (struct vma *v = vm_next_in(mm, NULL); v; v = vm_next_in(mm, v))
		map_line(&b, v, path);
	kfree(path);
	return b.len;
}

/* The link text of an open file: its path, or what Linux shows for the
 * files with none (pipes, sockets, terminals, and the anonymous inodes of
 * timerfd, signalfd, eventfd and epoll, named by their makers "[timerfd]"
 * and so on, as Linux's anon_inode_getfile names them). */
static void fd_target(struct file *f, char *out, size_t n)
{
	struct inode *ino = f->inode;

	if (console_file_is_tty(f))
		fmt_snprintf(out, n, "/dev/pts/0");
	else if ((ino->mode & S_IFMT) == S_IFIFO && !ino->dentry)
		fmt_snprintf(out, n, "pipe:[%lu]", ino->ino);
	else if ((ino->mode & S_IFMT) == S_IFSOCK && !ino->dentry)
		fmt_snprintf(out, n, "socket:[%lu]", ino->ino);
	else if (!ino->dentry && !ino->sb && ino->anon_name) /* in no filesystem */
		fmt_snprintf(out, n, "anon_inode:%s", ino->anon_name);
	else if (vfs_path(ino, out, n) < 0)
		fmt_snprintf(out, n, "anon_inode:[%lu]", ino->ino);
}

/* fd/N opens the file itself, as Linux's magic links do: a file in a tree
 * (a removed one too) and a pipe (fs/pipe.c opens it again), of the
 * process the directory describes; for the others (sockets, the console,
 * anonymous inodes) the target text is followed, which finds nothing but a
 * terminal's /dev/pts/N. */
static struct inode *fd_get_link(struct inode *link)
{
	struct procfs_proc p;
	struct file *f;
	int flags;

	if (proc_of(link, &p) || !p.thread)
		return ERR_PTR(-ENOENT);
	if (!(f = fdt_file(p.thread->files, name_num(link->dentry), &flags)))
		return ERR_PTR(-ENOENT); /* closed since it was listed */
	if (f->inode && (f->inode->dentry || (f->inode->mode & S_IFMT) == S_IFIFO))
		return f->inode;
	return NULL;
}

static const struct inode_operations fd_link_iops = { .readlink = libfs_readlink,
						      .get_link = fd_get_link };

/* fdinfo/N (Linux's seq_show): position, flags (octal, O_CLOEXEC from the
 * descriptor's flag) and inode. */
static long gen_fdinfo(struct inode *ino, char *buf, size_t n)
{
	struct procfs_proc p;
	struct file *f;
	int flags;

	if (proc_of(ino, &p) || !p.thread)
		return -ESRCH;
	if (!(f = fdt_file(p.thread->files, name_num(ino->dentry), &flags)))
		return -ENOENT;
	/* No mnt_id line: an inode does not know its mount here. */
	return fmt_snprintf(buf, n, "pos:\t%lu\nflags:\t0%o\nino:\t%lu\n", f->off,
			    f->flags | (flags & FD_CLOEXEC ? O_CLOEXEC : 0), f->inode->ino);
}

/* Make room for `cap` entries in both per-fd arrays: 0 or -ENOMEM. */
static int fd_arrays_grow(struct pid_tree *t, unsigned cap)
{
	struct inode **fds, **infos;

	if (cap <= t->cap)
		return 0;
	fds = kzalloc(cap * sizeof(*fds));
	infos = kzalloc(cap * sizeof(*infos));
	if (!fds || !infos) {
		kfree(fds);
		kfree(infos);
		return -ENOMEM;
	}
	if (t->cap) {
		memcpy(fds, t->fds, t->cap * sizeof(*fds));
		memcpy(infos, t->fdinfos, t->cap * sizeof(*infos));
	}
	kfree(t->fds);
	kfree(t->fdinfos);
	t->fds = fds;
	t->fdinfos = infos;
	t->cap = cap;
	return 0;
}

/* The entry for fd `fd` in fd/ (info false) or fdinfo/, made once; its
 * name lives with it. */
static struct inode *fd_node(struct pid_tree *t, int fd, bool info)
{
	struct inode **slot = info ? &t->fdinfos[fd] : &t->fds[fd];
	struct inode *dir = info ? t->fdinfo_dir : t->fd_dir, *ino;
	char *name;

	if (*slot)
		return *slot;
	if (!(name = kmalloc(FD_NAME)))
		return NULL;
	fmt_snprintf(name, FD_NAME, "%d", fd);
	ino = vfs_new_inode(dir, name, strlen(name), info ? S_IFREG | 0400 : S_IFLNK | 0700);
	if (!ino) {
		kfree(name);
		return NULL;
	}
	if (info) {
		ino->generate = gen_fdinfo;
		ino->fops = &procfs_gen_ops;
	} else {
		ino->iops = &fd_link_iops;
	}
	list_del(&ino->dentry->sibling); /* fd_refresh links it in */
	return *slot = ino;
}

/* /proc/PID and what is in it belong to the process's effective ids, as
 * Linux's task_dump_owner: a program that changed user still reads its own
 * fd/ (mode 0500). */
static void own_entries(struct inode *dir, const struct procfs_proc *p)
{
	const struct cred *c = p->thread ? p->thread->cred : NULL;
	struct dentry *e;

	if (!c)
		return; /* a zombie's stay as they were */
	dir->uid = c->euid;
	dir->gid = c->egid;
	list_for_each_entry(e, &dir->dentry->children, sibling) {
		e->inode->uid = c->euid;
		e->inode->gid = c->egid;
	}
}

/* fd/ or fdinfo/: one entry per open descriptor, in order. */
static void fd_refresh(struct pid_tree *t, struct inode *dir, const struct procfs_proc *p)
{
	bool info = dir == t->fdinfo_dir;
	struct fdtable *fdt = p->thread ? p->thread->files : NULL;
	char *target = kmalloc(PATH_MAX);
	int flags;

	list_init(&dir->dentry->children);
	if (!target || !fdt || fd_arrays_grow(t, fdt_end(fdt))) {
		kfree(target);
		return;
	}
	for (int fd = 0; (unsigned)fd < fdt_end(fdt); fd++) {
		struct file *f = fdt_file(fdt, fd, &flags);
		struct inode *ino = f ? fd_node(t, fd, info) : NULL;
		if (!ino)
			continue;
		if (!info) {
			fd_target(f, target, PATH_MAX);
			procfs_set_link(ino, target);
		}
		list_add_tail(&ino->dentry->sibling, &dir->dentry->children);
	}
	own_entries(dir, p);
	kfree(target);
}

/* The links of the directory itself: exe, cwd. */
static void pid_refresh(struct pid_tree *t, const struct procfs_proc *p)
{
	char *path;

	own_entries(t->dir, p);
	if (p->exe)
		procfs_set_link(t->exe, p->exe);
	if (!p->thread || !(path = kmalloc(PATH_MAX)))
		return;
	if (vfs_path(vfs_fs_cwd(p->thread->fs), path, PATH_MAX) >= 0)
		procfs_set_link(t->cwd, path);
	kfree(path);
}

/* A thread's directory's files: the process's, seen from the thread. */
static void task_fill(struct inode *d)
{
	procfs_new_file(d, "comm", gen_comm, 0644);
	procfs_new_file(d, "stat", gen_pid_stat, 0444);
	procfs_new_file(d, "status", gen_status, 0444);
}

/* The entry of thread `tid` in task/: found, taken over from a thread
 * that is gone, or made; NULL when out of memory. */
static struct task_node *task_node(struct pid_tree *t, int tid)
{
	struct task_node *n, *stale = NULL;
	struct procfs_proc p;

	list_for_each_entry(n, &t->tasks, node) {
		if (n->tid == tid)
			return n;
		if (!stale && procfs_procs()->get_thread(t->pid, n->tid, &p))
			stale = n;
	}
	if ((n = stale)) {
		n->tid = tid;
		fmt_snprintf(n->name, sizeof(n->name), "%d", tid);
		n->dir->dentry->namelen = strlen(n->name);
		return n;
	}
	if (!(n = kzalloc(sizeof(*n))))
		return NULL;
	n->tid = tid;
	fmt_snprintf(n->name, sizeof(n->name), "%d", tid);
	if (!(n->dir = vfs_new_inode(t->task_dir, n->name, strlen(n->name), S_IFDIR | 0555))) {
		kfree(n);
		return NULL;
	}
	list_del(&n->dir->dentry->sibling); /* task_refresh links it in */
	task_fill(n->dir);
	list_add(&n->node, &t->tasks);
	return n;
}

/* task/: one directory per live thread, in tid order. */
static void task_refresh(struct pid_tree *t, const struct procfs_proc *p)
{
	struct list_head *children = &t->task_dir->dentry->children;

	list_init(children);
	for (int tid = procfs_procs()->next_thread(p->pid, 0); tid;
	     tid = procfs_procs()->next_thread(p->pid, tid)) {
		struct task_node *n = task_node(t, tid);
		if (n)
			list_add_tail(&n->dir->dentry->sibling, children);
	}
}

/* Bring dynamic directory `dir` of a tree up to date. */
static void refresh(struct inode *dir)
{
	struct pid_tree *t = tree_of(dir);
	struct procfs_proc p;

	if (!t || procfs_get(t->pid, &p))
		return; /* gone: what it showed stays, as a stale handle */
	if (dir == t->dir)
		pid_refresh(t, &p);
	else if (dir == t->task_dir)
		task_refresh(t, &p);
	else
		fd_refresh(t, dir, &p);
}

/* The dynamic directories: up to date before each lookup and listing. */
static struct dentry *pid_lookup(struct inode *dir, const char *name, size_t len)
{
	refresh(dir);
	return libfs_lookup(dir, name, len);
}

static void pid_iterate(struct inode *dir, struct vfs_dir_ctx *ctx)
{
	refresh(dir);
	libfs_iterate(dir, ctx);
}

static const struct inode_operations pid_iops = { .lookup = pid_lookup, .iterate = pid_iterate };

/* Fill a new tree's directory: each entry, in Linux's order of note.  Out
 * of memory leaves some out (never a panic). */
static void tree_fill(struct pid_tree *t)
{
	struct inode *d = t->dir, *f;

	t->exe = procfs_new_link(d, "exe", "");
	t->cwd = procfs_new_link(d, "cwd", "/");
	t->root = procfs_new_link(d, "root", "/");
	if ((t->fd_dir = procfs_new_dir(d, "fd")))
		t->fd_dir->mode = S_IFDIR | 0500;
	if ((t->fdinfo_dir = procfs_new_dir(d, "fdinfo")))
		t->fdinfo_dir->mode = S_IFDIR | 0500;
	t->task_dir = procfs_new_dir(d, "task");
	procfs_new_file(d, "cmdline", gen_args, 0444);
	if ((f = procfs_new_file(d, "environ", gen_args, 0400)))
		f->data = (const uint8_t *)"envp";
	procfs_new_file(d, "auxv", gen_auxv, 0400);
	procfs_new_file(d, "comm", gen_comm, 0644);
	procfs_new_file(d, "status", gen_status, 0444);
	procfs_new_file(d, "stat", gen_pid_stat, 0444);
	procfs_new_file(d, "statm", gen_statm, 0444);
	procfs_new_file(d, "maps", gen_maps, 0444);
	procfs_new_file(d, "mounts", mount_gen_mounts, 0444);
	procfs_new_file(d, "mountinfo", mount_gen_mountinfo, 0444);
	/* Dynamic only once built: lookups above found nothing to refresh. */
	d->iops = &pid_iops;
	if (t->fd_dir)
		t->fd_dir->iops = &pid_iops;
	if (t->fdinfo_dir)
		t->fdinfo_dir->iops = &pid_iops;
	if (t->task_dir)
		t->task_dir->iops = &pid_iops;
}

/* A new tree for `pid`, or NULL when out of memory. */
static struct pid_tree *tree_new(int pid)
{
	struct pid_tree *t = kzalloc(sizeof(*t));

	if (!t)
		return NULL;
	t->pid = pid;
	list_init(&t->tasks);
	fmt_snprintf(t->name, sizeof(t->name), "%d", pid);
	t->dir = vfs_new_inode(proc_dir, t->name, strlen(t->name), S_IFDIR | 0555);
	if (!t->dir) {
		kfree(t);
		return NULL;
	}
	list_del(&t->dir->dentry->sibling); /* found by lookup (procfs.c) */
	list_init(&t->dir->dentry->sibling);
	tree_fill(t);
	list_add(&t->node, &trees);
	return t;
}

struct inode *procfs_pid_dir(int pid)
{
	struct procfs_proc p;
	struct pid_tree *t, *stale = NULL;

	list_for_each_entry(t, &trees, node) {
		if (t->pid == pid)
			return t->dir;
		if (!stale && procfs_get(t->pid, &p))
			stale = t;
	}
	if (stale) { /* its process is gone: the tree serves `pid` now */
		stale->pid = pid;
		fmt_snprintf(stale->name, sizeof(stale->name), "%d", pid);
		stale->dir->dentry->namelen = strlen(stale->name);
		return stale->dir;
	}
	t = tree_new(pid);
	return t ? t->dir : NULL;
}

void procfs_pid_init(struct inode *proc)
{
	proc_dir = proc;
}
