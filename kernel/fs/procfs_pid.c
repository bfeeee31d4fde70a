/*
 * /proc/1 (and /proc/self, a link to it): the one process as Linux describes
 * it.  procfs.c's lookup finds it (procfs_pid_dir); it is in no list.  exe
 * and cwd are links, fd/ a directory rebuilt from the descriptor table
 * whenever it is looked at (its own inode operations); cmdline and environ
 * come from the per-run data, auxv from exec, maps from the VMA list,
 * /proc/self/mounts and mountinfo from the mount table, in Linux's formats.
 */
#include "fs/procfs.h"
#include "fs/mount.h"
#include "core/cred.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/mem.h"
#include "core/time.h"
#include "core/vm.h"
#include "exec/exec.h"
#include <lib/fmt.h>
#include "linux/uapi.h"

#define NSEC	   1000000000ull
#define COMM_LEN   16 /* TASK_COMM_LEN, the NUL included */
#define MAPS_WIDTH 73 /* where Linux pads a maps line to before the name */
#define FD_NAME	   12

/*
 * The area after `v` (v NULL: the first), NULL after the last: asked of
 * core/vm.c.  Weak until vm.c has it: then maps lists nothing.
 */
extern struct vma *vm_next(struct vma *v) __attribute__((weak));

static struct inode *pid_dir, *fd_dir, *cwd_link, *exe_link;
static struct inode **fd_nodes; /* per fd, made on first use, then reused */
static unsigned fd_nodes_cap;
static char exe_path[PATH_MAX];

void procfs_set_exe(const char *path)
{
	size_t len = strnlen(path, sizeof(exe_path) - 1);

	memcpy(exe_path, path, len);
	exe_path[len] = 0;
	if (exe_link)
		procfs_set_link(exe_link, exe_path);
}

/* A per-run entry as (data, length), empty if missing. */
static size_t runfile(const char *name, const uint8_t **data)
{
	size_t len = 0;

	if (vfs_runfile(name, data, &len))
		*data = NULL, len = 0;
	return len;
}

static long copy_out(char *buf, size_t n, const void *src, size_t len)
{
	if (len < n)
		memcpy(buf, src, len);
	return len;
}

static long gen_cmdline(struct inode *ino, char *buf, size_t n)
{
	const uint8_t *d;
	size_t len = runfile(ino->data ? "envp" : "argv", &d);

	return copy_out(buf, n, d, len);
}

static long gen_auxv(struct inode *ino, char *buf, size_t n)
{
	size_t words;
	const uint64_t *v = exec_auxv(&words);

	return copy_out(buf, n, v, words * sizeof(*v));
}

/* The command name: the program's base name, cut to 15 bytes. */
static const char *comm(char out[COMM_LEN])
{
	const char *slash = strrchr(exe_path, '/'), *base = slash ? slash + 1 : exe_path;
	size_t len = strnlen(base, COMM_LEN - 1);

	memcpy(out, base, len);
	out[len] = 0;
	return out;
}

static long gen_comm(struct inode *ino, char *buf, size_t n)
{
	char c[COMM_LEN];

	return fmt_snprintf(buf, n, "%s\n", comm(c));
}

/* The address space's size in kB, from the areas. */
static uint64_t vm_size_kb(void)
{
	uint64_t kb = 0;

	for (struct vma *v = vm_next ? vm_next(NULL) : NULL; v; v = vm_next(v))
		kb += (v->end - v->start) / 1024;
	return kb;
}

/* status: the ids and groups, as Linux's task_state prints them (a space
 * after the last group, even when there is none). */
static void status_ids(struct procfs_buf *b)
{
	const struct cred *c = cred_current();

	procfs_printf(b, "Uid:\t%u\t%u\t%u\t%u\n", c->uid, c->euid, c->suid, c->fsuid);
	procfs_printf(b, "Gid:\t%u\t%u\t%u\t%u\nFDSize:\t64\nGroups:\t", c->gid, c->egid, c->sgid,
		      c->fsgid);
	for (unsigned i = 0; i < c->ngroups; i++)
		procfs_printf(b, i ? " %u" : "%u", c->groups[i]);
	procfs_printf(b, " \n");
}

/* status: the capability sets (task_cap). */
static void status_caps(struct procfs_buf *b)
{
	const struct cred *c = cred_current();

	procfs_printf(b, "CapInh:\t%016lx\nCapPrm:\t%016lx\nCapEff:\t%016lx\n", c->cap_inh,
		      c->cap_prm, c->cap_eff);
	procfs_printf(b, "CapBnd:\t%016lx\nCapAmb:\t%016lx\n", c->cap_bset, c->cap_amb);
}

static long gen_status(struct inode *ino, char *buf, size_t n)
{
	struct procfs_buf b = { buf, n, 0 };
	uint64_t rss = vm_resident_pages() * (PAGE_SIZE / 1024), size = vm_size_kb();
	char c[COMM_LEN];

	procfs_printf(&b, "Name:\t%s\nUmask:\t0022\nState:\tR (running)\n", comm(c));
	procfs_printf(&b, "Tgid:\t1\nNgid:\t0\nPid:\t1\nPPid:\t0\nTracerPid:\t0\n");
	status_ids(&b);
	procfs_printf(&b, "VmPeak:\t%8lu kB\nVmSize:\t%8lu kB\nVmLck:\t       0 kB\n", size, size);
	procfs_printf(&b, "VmHWM:\t%8lu kB\nVmRSS:\t%8lu kB\n", rss, rss);
	procfs_printf(&b, "VmData:\t%8lu kB\nVmStk:\t%8lu kB\n", size, VM_STACK_SIZE / 1024);
	procfs_printf(&b, "VmSwap:\t       0 kB\nThreads:\t%u\n", sched_thread_count());
	procfs_printf(&b, "SigQ:\t0/63432\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n");
	procfs_printf(&b, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
	procfs_printf(&b, "SigCgt:\t0000000000000000\n");
	status_caps(&b);
	procfs_printf(&b, "NoNewPrivs:\t0\nSeccomp:\t0\n");
	procfs_printf(&b, "Cpus_allowed:\t1\nCpus_allowed_list:\t0\n");
	procfs_printf(&b, "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n");
	return b.len;
}

/* /proc/1/stat: the 52 fields of proc(5), those monos knows filled in. */
static long gen_pid_stat(struct inode *ino, char *buf, size_t n)
{
	struct procfs_buf b = { buf, n, 0 };
	uint64_t utime = time_busy_ns() / (NSEC / USER_HZ);
	char c[COMM_LEN];

	procfs_printf(&b, "1 (%s) R 0 1 1 0 -1 4194560 0 0 0 0 %lu 0 0 0 20 0 %u 0 0 ", comm(c),
		      utime, sched_thread_count());
	procfs_printf(&b, "%lu %lu 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0",
		      vm_size_kb() * 1024, vm_resident_pages());
	procfs_printf(&b, " %lu %lu %lu 0 0 0 0 0\n", mm_current()->brk_start,
		      mm_current()->brk_start, mm_current()->brk_end);
	return b.len;
}

static long gen_statm(struct inode *ino, char *buf, size_t n)
{
	uint64_t pages = vm_size_kb() / (PAGE_SIZE / 1024), rss = vm_resident_pages();

	return fmt_snprintf(buf, n, "%lu %lu 0 0 0 %lu 0\n", pages, rss, pages);
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
	char *path = kmalloc(PATH_MAX);

	if (!path)
		return -ENOMEM;
	for (struct vma *v = vm_next ? vm_next(NULL) : NULL; v; v = vm_next(v))
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
 * (a removed one too) and a pipe (fs/pipe.c opens it again); for the
 * others (sockets, the console, anonymous inodes) the target text is
 * followed, which finds nothing but a terminal's /dev/pts/N. */
static struct inode *fd_get_link(struct inode *link)
{
	const struct dentry *d = link->dentry;
	struct file *f;
	int fd = 0;

	for (size_t i = 0; i < d->namelen; i++)
		fd = fd * 10 + (d->name[i] - '0');
	if (!(f = fd_get(fd)))
		return ERR_PTR(-ENOENT); /* closed since it was listed */
	if (f->inode && (f->inode->dentry || (f->inode->mode & S_IFMT) == S_IFIFO))
		return f->inode;
	return NULL;
}

static const struct inode_operations fd_link_iops = { .readlink = libfs_readlink,
						      .get_link = fd_get_link };

/* The entry for fd `fd`, made once; its name lives with it. */
static struct inode *fd_node(int fd)
{
	struct inode *ino;
	char *name;

	if ((unsigned)fd >= fd_nodes_cap) { /* follow the fd table's size */
		unsigned cap = fd_table_end();
		struct inode **grown = kzalloc(cap * sizeof(*grown));
		if (!grown)
			return NULL;
		if (fd_nodes)
			memcpy(grown, fd_nodes, fd_nodes_cap * sizeof(*grown));
		kfree(fd_nodes);
		fd_nodes = grown;
		fd_nodes_cap = cap;
	}
	if (fd_nodes[fd])
		return fd_nodes[fd];
	if (!(name = kmalloc(FD_NAME)))
		return NULL;
	fmt_snprintf(name, FD_NAME, "%d", fd);
	if (!(ino = vfs_new_inode(fd_dir, name, strlen(name), S_IFLNK | 0700))) {
		kfree(name);
		return NULL;
	}
	ino->iops = &fd_link_iops;
	list_del(&ino->dentry->sibling); /* fd_refresh links it in */
	return fd_nodes[fd] = ino;
}

/* /proc/PID and what is in it belong to the process's effective ids, as
 * Linux's task_dump_owner: a program that changed user still reads its own
 * fd/ (mode 0500). */
static void own_entries(struct inode *dir)
{
	const struct cred *c = cred_current();
	struct dentry *e;

	dir->uid = c->euid;
	dir->gid = c->egid;
	list_for_each_entry(e, &dir->dentry->children, sibling) {
		e->inode->uid = c->euid;
		e->inode->gid = c->egid;
	}
}

/* fd/: one link per open descriptor, in order. */
static void fd_refresh(struct inode *dir)
{
	char *target = kmalloc(PATH_MAX);

	if (!target)
		return;
	list_init(&dir->dentry->children);
	for (int fd = 0; (unsigned)fd < fd_table_end(); fd++) {
		struct file *f = fd_get(fd);
		struct inode *ino = f ? fd_node(fd) : NULL;
		if (!ino)
			continue;
		fd_target(f, target, PATH_MAX);
		procfs_set_link(ino, target);
		list_add_tail(&ino->dentry->sibling, &dir->dentry->children);
	}
	own_entries(dir);
	kfree(target);
}

static void pid_refresh(struct inode *dir)
{
	char *path;

	own_entries(dir);
	if (!cwd_link) /* still being built */
		return;
	path = kmalloc(PATH_MAX);
	if (path && vfs_path(vfs_cwd(), path, PATH_MAX) >= 0)
		procfs_set_link(cwd_link, path);
	kfree(path);
}

/* The dynamic directories: up to date before each lookup and listing. */
static struct dentry *pid_lookup(struct inode *dir, const char *name, size_t len)
{
	(dir == fd_dir ? fd_refresh : pid_refresh)(dir);
	return libfs_lookup(dir, name, len);
}

static void pid_iterate(struct inode *dir, struct vfs_dir_ctx *ctx)
{
	(dir == fd_dir ? fd_refresh : pid_refresh)(dir);
	libfs_iterate(dir, ctx);
}

static const struct inode_operations pid_iops = { .lookup = pid_lookup, .iterate = pid_iterate };

struct inode *procfs_pid_dir(int pid)
{
	return pid_dir;
}

/* The program's path from the per-run data, made absolute with its cwd. */
static void default_exe(void)
{
	const uint8_t *exe, *cwd;
	size_t len = runfile("exe", &exe), clen = runfile("cwd", &cwd);

	if (exe_path[0] || !len)
		return;
	if (exe[0] != '/' && clen && clen + len + 2 < sizeof(exe_path))
		fmt_snprintf(exe_path, sizeof(exe_path), "%.*s/%.*s", (int)clen, cwd, (int)len,
			     exe);
	else
		fmt_snprintf(exe_path, sizeof(exe_path), "%.*s", (int)len, exe);
}

void procfs_pid_init(struct inode *proc)
{
	pid_dir = procfs_dir(proc, "1");
	list_del(&pid_dir->dentry->sibling); /* found by lookup (procfs.c) */
	list_init(&pid_dir->dentry->sibling);
	pid_dir->iops = &pid_iops;
	default_exe();
	exe_link = procfs_link(pid_dir, "exe", exe_path);
	cwd_link = procfs_link(pid_dir, "cwd", "/");
	procfs_link(pid_dir, "root", "/");
	fd_dir = procfs_dir(pid_dir, "fd");
	fd_dir->mode = S_IFDIR | 0500;
	fd_dir->iops = &pid_iops;
	procfs_file(pid_dir, "cmdline", gen_cmdline, 0444);
	procfs_file(pid_dir, "environ", gen_cmdline, 0400)->data = (const uint8_t *)"envp";
	procfs_file(pid_dir, "auxv", gen_auxv, 0400);
	procfs_file(pid_dir, "comm", gen_comm, 0644);
	procfs_file(pid_dir, "status", gen_status, 0444);
	procfs_file(pid_dir, "stat", gen_pid_stat, 0444);
	procfs_file(pid_dir, "statm", gen_statm, 0444);
	procfs_file(pid_dir, "maps", gen_maps, 0444);
	procfs_file(pid_dir, "mounts", mount_gen_mounts, 0444);
	procfs_file(pid_dir, "mountinfo", mount_gen_mountinfo, 0444);
}
