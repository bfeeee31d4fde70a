/*
 * /proc as programs read it.  Each file's text is generated when it is
 * opened (so a read sees one consistent snapshot, as Linux's seq_file gives
 * for small files), into a buffer the open file owns.  /proc/PID is found by
 * lookup for every process the process layer describes (procfs_set_procs);
 * /proc/self is a link whose target is set to the caller's pid at each
 * lookup.  The per-process files are in fs/procfs_pid.c; this file holds the
 * machinery and the system-wide files.
 */
#include "fs/procfs.h"
#include "fs/mount.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/mem.h"
#include "core/random.h"
#include "core/time.h"
#include "core/uts.h"
#include <lib/fmt.h>
#include "linux/uapi.h"

#define PROC_SUPER_MAGIC 0x9fa0 /* include/uapi/linux/magic.h */
#define PROC_DEV	 0x0004
#define GEN_START	 4096 /* first buffer; doubled until the text fits */
#define GEN_MAX		 (4ul << 20)
#define NSEC		 1000000000ull

struct vfs_sb procfs_sb = { .name = "proc",
			    .magic = PROC_SUPER_MAGIC,
			    .dev = PROC_DEV,
			    .rdonly = true,
			    .iops = &libfs_ro_iops };

/* The text of an open generated file. */
struct gen_text {
	size_t len;
	char buf[];
};

static long gen_read(struct file *f, void *kbuf, size_t n, uint64_t off)
{
	struct gen_text *t = f->priv;

	if (off >= t->len)
		return 0;
	n = MIN(n, t->len - off);
	memcpy(kbuf, t->buf + off, n);
	return n;
}

static void gen_release(struct file *f)
{
	kfree(f->priv);
}

/* Generate the text, growing the buffer until it fits. */
static struct gen_text *generate(struct inode *ino)
{
	for (size_t size = GEN_START; size <= GEN_MAX; size *= 2) {
		struct gen_text *t = kmalloc(sizeof(*t) + size);
		long len;
		if (!t)
			return ERR_PTR(-ENOMEM);
		len = ino->generate(ino, t->buf, size);
		if (len >= 0 && (size_t)len < size) {
			t->len = len;
			return t;
		}
		kfree(t);
		if (len < 0)
			return ERR_PTR(len);
	}
	return ERR_PTR(-ENOMEM);
}

static struct file *gen_open(struct inode *ino, unsigned flags)
{
	struct gen_text *t;
	struct file *f;

	if (file_flags_writable(flags) || (flags & O_TRUNC))
		return ERR_PTR(-EACCES);
	if (flags & O_DIRECTORY)
		return ERR_PTR(-ENOTDIR);
	t = generate(ino);
	if (IS_ERR(t))
		return (struct file *)t;
	if (!(f = kzalloc(sizeof(*f)))) {
		kfree(t);
		return ERR_PTR(-ENOMEM);
	}
	f->refs = 1;
	f->flags = flags & (O_ACCMODE | O_NONBLOCK);
	f->inode = ino;
	f->ops = &procfs_gen_ops;
	f->priv = t;
	vfs_iget(ino);
	return f;
}

const struct file_ops procfs_gen_ops = {
	.open = gen_open,
	.read = gen_read,
	.release = gen_release,
	.seekable = true,
};

struct inode *procfs_new_file(struct inode *dir, const char *name, procfs_gen_fn fn, uint32_t perm)
{
	struct inode *ino = vfs_mknode(dir, name, S_IFREG | perm);

	if (!ino)
		return NULL;
	ino->mode = S_IFREG | perm;
	ino->sb = dir->sb;
	ino->generate = fn;
	ino->fops = &procfs_gen_ops;
	return ino;
}

struct inode *procfs_new_dir(struct inode *dir, const char *name)
{
	struct inode *ino = vfs_mknode(dir, name, S_IFDIR | 0555);

	if (ino)
		ino->sb = dir->sb;
	return ino;
}

struct inode *procfs_new_link(struct inode *dir, const char *name, const char *target)
{
	struct inode *ino = vfs_mknode(dir, name, S_IFLNK | 0777);

	if (!ino)
		return NULL;
	ino->sb = dir->sb;
	procfs_set_link(ino, target); /* out of memory: an empty target */
	return ino;
}

/* The boot's own: out of memory there cannot be handled. */
static struct inode *boot_node(struct inode *ino)
{
	if (!ino)
		boot_out_of_memory("/proc");
	return ino;
}

struct inode *procfs_file(struct inode *dir, const char *name, procfs_gen_fn fn, uint32_t perm)
{
	return boot_node(procfs_new_file(dir, name, fn, perm));
}

struct inode *procfs_dir(struct inode *dir, const char *name)
{
	return boot_node(procfs_new_dir(dir, name));
}

int procfs_set_link(struct inode *ino, const char *target)
{
	size_t len = strlen(target);
	char *copy = kmalloc(len + 1);

	if (!copy)
		return -ENOMEM; /* keeps the old target */
	memcpy(copy, target, len + 1);
	if (ino->data_owned)
		kfree((void *)ino->data);
	ino->data = (const uint8_t *)copy;
	ino->size = len;
	ino->data_owned = true;
	return 0;
}

struct inode *procfs_link(struct inode *dir, const char *name, const char *target)
{
	struct inode *ino = boot_node(procfs_new_link(dir, name, target));

	if (!ino->data_owned)
		boot_out_of_memory("/proc");
	return ino;
}

/* Append formatted text to a generator's buffer. */
void procfs_printf(struct procfs_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(b->buf + b->len, b->len < b->size ? b->size - b->len : 0, fmt, ap);
	va_end(ap);
	b->len += n; /* past the end: the caller sees len >= size and grows */
}

static long gen_meminfo(struct inode *ino, char *buf, size_t n)
{
	struct procfs_buf b = { buf, n, 0 };
	uint64_t total = mem_total_frames() * 4, free = total - mem_used_frames() * 4;
	struct heap_stats hs;

	procfs_printf(&b, "MemTotal:       %8lu kB\nMemFree:        %8lu kB\n", total, free);
	procfs_printf(&b, "MemAvailable:   %8lu kB\nBuffers:               0 kB\n", free);
	procfs_printf(&b, "Cached:                0 kB\nSwapCached:            0 kB\n");
	procfs_printf(&b, "Active:                0 kB\nInactive:              0 kB\n");
	procfs_printf(&b, "SwapTotal:             0 kB\nSwapFree:              0 kB\n");
	procfs_printf(&b, "Dirty:                 0 kB\nShmem:                 0 kB\n");
	/* The kernel heap as Linux's slab lines, and its live bytes (monos'
	 * own line: the leak check of `make soak` reads it). */
	heap_stats(&hs);
	procfs_printf(&b, "Slab:           %8lu kB\nSUnreclaim:     %8lu kB\n", hs.frames * 4,
		      hs.frames * 4);
	procfs_printf(&b, "KernelHeapLive: %8lu kB\n", hs.live_bytes / 1024);
	procfs_printf(&b, "CommitLimit:    %8lu kB\nCommitted_AS:   %8lu kB\n", total,
		      total - free);
	procfs_printf(&b, "HugePages_Total:       0\nHugePages_Free:        0\n");
	procfs_printf(&b, "Hugepagesize:       2048 kB\n");
	return b.len;
}

static inline void cpuid4(uint32_t leaf, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(0));
}

static long gen_cpuinfo(struct inode *ino, char *buf, size_t n)
{
	struct procfs_buf b = { buf, n, 0 };
	uint32_t r[4], name[13] = { 0 };
	char vendor[13];

	cpuid4(0, r);
	memcpy(vendor, &r[1], 4), memcpy(vendor + 4, &r[3], 4), memcpy(vendor + 8, &r[2], 4);
	vendor[12] = 0;
	for (unsigned i = 0; i < 3; i++)
		cpuid4(0x80000002 + i, name + 4 * i); /* the brand string */
	cpuid4(1, r);
	procfs_printf(&b, "processor\t: 0\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n",
		      vendor, (r[0] >> 8) & 0xf, (r[0] >> 4) & 0xf);
	procfs_printf(&b, "model name\t: %s\nstepping\t: %u\ncpu MHz\t\t: %lu.000\n", (char *)name,
		      r[0] & 0xf, time_tsc_khz() / 1000);
	procfs_printf(&b, "physical id\t: 0\nsiblings\t: 1\ncore id\t\t: 0\ncpu cores\t: 1\n");
	procfs_printf(&b, "fpu\t\t: yes\nflags\t\t: fpu tsc msr pae cx8 apic sep cmov pat clflush");
	procfs_printf(&b, " mmx fxsr sse sse2 syscall nx lm pni ssse3 cx16 sse4_1 sse4_2\n\n");
	return b.len;
}

static long gen_stat(struct inode *ino, char *buf, size_t n)
{
	struct procfs_buf b = { buf, n, 0 };
	uint64_t busy = time_busy_ns() / (NSEC / USER_HZ);
	uint64_t idle = time_monotonic_ns() / (NSEC / USER_HZ) - busy;
	uint64_t boot = (time_realtime_ns() - time_monotonic_ns()) / NSEC;

	for (int i = 0; i < 2; i++)
		procfs_printf(&b, "cpu%s %lu 0 0 %lu 0 0 0 0 0 0\n", i ? "0" : " ", busy, idle);
	procfs_printf(&b, "intr 0\nctxt 0\nbtime %lu\nprocesses 1\n", boot);
	procfs_printf(&b, "procs_running 1\nprocs_blocked 0\nsoftirq 0\n");
	return b.len;
}

static long gen_uptime(struct inode *ino, char *buf, size_t n)
{
	uint64_t up = time_monotonic_ns() / (NSEC / 100);
	uint64_t idle = (time_monotonic_ns() - time_busy_ns()) / (NSEC / 100);

	return fmt_snprintf(buf, n, "%lu.%02lu %lu.%02lu\n", up / 100, up % 100, idle / 100,
			    idle % 100);
}

static long gen_loadavg(struct inode *ino, char *buf, size_t n)
{
	return fmt_snprintf(buf, n, "0.00 0.00 0.00 1/1 1\n");
}

static long gen_string(struct inode *ino, char *buf, size_t n)
{
	return fmt_snprintf(buf, n, "%s\n", (const char *)ino->data);
}

static long gen_uuid(struct inode *ino, char *buf, size_t n)
{
	uint8_t u[16];

	if (ino->data) { /* boot_id: fixed for the boot */
		memcpy(u, ino->data, sizeof(u));
	} else {
		random_fill(u, sizeof(u));
		u[6] = (u[6] & 0x0f) | 0x40; /* version 4, RFC 4122 variant */
		u[8] = (u[8] & 0x3f) | 0x80;
	}
	return fmt_snprintf(
		buf, n, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\n",
		u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		u[13], u[14], u[15]);
}

/* A file whose text is the fixed string `s` plus a newline. */
static void string_file(struct inode *dir, const char *name, const char *s, uint32_t perm)
{
	procfs_file(dir, name, gen_string, perm)->data = (const uint8_t *)s;
}

static void sys_kernel_init(struct inode *proc)
{
	struct inode *sys = procfs_dir(proc, "sys"), *k = procfs_dir(sys, "kernel");
	struct inode *rnd = procfs_dir(k, "random"), *vm = procfs_dir(sys, "vm");
	static uint8_t boot_id[16];

	string_file(k, "ostype", "Linux", 0444);
	string_file(k, "osrelease", "6.1.0-monos", 0444);
	string_file(k, "hostname", uts_nodename, 0644); /* read at each open */
	string_file(k, "domainname", uts_domainname, 0644);
	string_file(k, "pid_max", "4194304", 0644);
	string_file(k, "ngroups_max", "65536", 0444);
	/* 1, "always": monos commits no memory at mmap, only at first touch,
	 * and never refuses a mapping for want of RAM (redis checks this). */
	string_file(vm, "overcommit_memory", "1", 0644);
	string_file(vm, "max_map_count", "65530", 0644);
	/* the largest listen backlog, as on Linux 5.4+ (Go reads it and
	 * passes it to listen, which clamps it for lwIP) */
	string_file(procfs_dir(procfs_dir(sys, "net"), "core"), "somaxconn", "4096", 0444);
	random_fill(boot_id, sizeof(boot_id));
	boot_id[6] = (boot_id[6] & 0x0f) | 0x40;
	boot_id[8] = (boot_id[8] & 0x3f) | 0x80;
	procfs_file(rnd, "boot_id", gen_uuid, 0444)->data = boot_id;
	procfs_file(rnd, "uuid", gen_uuid, 0444);
	string_file(rnd, "entropy_avail", "256", 0444);
}

/* Before the process layer registers: no process. */
static bool none_exists(int pid)
{
	return false;
}

static int none_next(int after)
{
	return 0;
}

static int none_get(int pid, struct procfs_proc *out)
{
	return -ESRCH;
}

static int none_get_thread(int pid, int tid, struct procfs_proc *out)
{
	return -ESRCH;
}

static int none_next_thread(int pid, int after)
{
	return 0;
}

static int none_self(void)
{
	return 0;
}

static const struct procfs_procs no_process = {
	.exists = none_exists,
	.next = none_next,
	.get = none_get,
	.get_thread = none_get_thread,
	.next_thread = none_next_thread,
	.self = none_self,
	.self_tid = none_self,
};
static const struct procfs_procs *procs = &no_process;

void procfs_set_procs(const struct procfs_procs *p)
{
	procs = p;
}

const struct procfs_procs *procfs_procs(void)
{
	return procs;
}

/* /proc/self and /proc/thread-self: their targets follow the caller. */
static struct inode *self_link, *thread_self_link;

/* Point the link looked up as `name` at the caller's own directory. */
static void self_refresh(const char *name, size_t len)
{
	char target[32];

	if (self_link && len == 4 && !memcmp(name, "self", 4)) {
		fmt_snprintf(target, sizeof(target), "%d", procs->self());
		procfs_set_link(self_link, target); /* out of memory: the last one's */
	} else if (thread_self_link && len == 11 && !memcmp(name, "thread-self", 11)) {
		fmt_snprintf(target, sizeof(target), "%d/task/%d", procs->self(),
			     procs->self_tid());
		procfs_set_link(thread_self_link, target);
	}
}

/* A pid as /proc names it: decimal digits, no leading zero, below 2^31
 * (Linux's name_to_int); -1 for any other name. */
static int pid_of_name(const char *name, size_t len)
{
	long pid = 0;

	if (!len || len > 10 || (len > 1 && name[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		pid = pid * 10 + (name[i] - '0');
	}
	return pid <= INT32_MAX ? (int)pid : -1;
}

static struct dentry *proc_lookup(struct inode *dir, const char *name, size_t len)
{
	int pid = pid_of_name(name, len);
	struct inode *d;

	if (pid >= 0) {
		d = procs->exists(pid) ? procfs_pid_dir(pid) : NULL;
		return d ? d->dentry : NULL;
	}
	self_refresh(name, len);
	return libfs_lookup(dir, name, len);
}

/* The fixed entries, then the processes, as Linux's proc_root_readdir:
 * position `fixed + pid` is just past process `pid`. */
static void proc_iterate(struct inode *dir, struct vfs_dir_ctx *ctx)
{
	uint64_t fixed = 0;
	struct dentry *c;
	char name[12];

	list_for_each_entry(c, &dir->dentry->children, sibling)
		fixed++;
	libfs_iterate(dir, ctx);
	if (ctx->pos < fixed)
		return; /* out of room */
	for (int pid = procs->next(ctx->pos - fixed); pid > 0; pid = procs->next(pid)) {
		struct inode *d = procfs_pid_dir(pid);
		int len = fmt_snprintf(name, sizeof(name), "%d", pid);
		if (!d)
			continue; /* out of memory: not listed */
		if (!ctx->emit(ctx, name, len, d->ino, d->mode, fixed + pid))
			return;
		ctx->pos = fixed + pid;
	}
}

static const struct inode_operations proc_root_iops = { .lookup = proc_lookup,
							.iterate = proc_iterate };

static struct inode *proc_root; /* set once at boot */

struct inode *procfs_root(void)
{
	return proc_root;
}

void procfs_init(void)
{
	struct inode *proc = vfs_mknode(vfs_root(), "proc", S_IFDIR | 0555);

	if (!proc)
		boot_out_of_memory("/proc");
	if (!S_ISDIR(proc->mode)) /* the CLI never packs one: a hand-made image */
		panic("boot: the image has a file where /proc must be a directory");
	list_init(&proc->dentry->children); /* the mount hides the image's /proc */
	proc->sb = &procfs_sb;
	proc->mode = S_IFDIR | 0555;
	proc_root = proc;
	proc->iops = &proc_root_iops;
	mount_boot(&procfs_sb, proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
	procfs_file(proc, "meminfo", gen_meminfo, 0444);
	procfs_file(proc, "cpuinfo", gen_cpuinfo, 0444);
	procfs_file(proc, "stat", gen_stat, 0444);
	procfs_file(proc, "uptime", gen_uptime, 0444);
	procfs_file(proc, "loadavg", gen_loadavg, 0444);
	string_file(proc, "version", "Linux version 6.1.0-monos (monos) #1 SMP monos", 0444);
	string_file(proc, "filesystems", "nodev\ttmpfs\nnodev\tproc\nnodev\tsysfs", 0444);
	sys_kernel_init(proc);
	procfs_pid_init(proc);
	procfs_link(proc, "mounts", "self/mounts");
	self_link = procfs_link(proc, "self", "1");
	thread_self_link = procfs_link(proc, "thread-self", "1/task/1");
}

void vfs_init_mounts(void)
{
	tmpfs_init();
	procfs_init();
	sysfs_init();
}
