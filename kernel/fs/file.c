/*
 * Open files and the descriptor table.  A file description is shared by
 * dup'ed descriptors and counted by reference; a table is an object
 * (design.md contract 16: reference-counted, so CLONE_FILES can share one),
 * reached through the thread (fdt_current()).
 *
 * The table starts small and doubles on demand up to the RLIMIT_NOFILE soft
 * limit, so a program that raises its limit (redis asks for 10,032, servers
 * with many connections more) gets the descriptors, and one that never does
 * pays for FD_TABLE_MIN slots.  Slots are only touched by the syscall that
 * owns the call, with the kernel not preempted inside it, so a grow that
 * moves the table cannot pull a slot from under anyone.
 *
 * Finding the lowest free descriptor follows Linux's fdtable (fs/file.c
 * alloc_fd): a bitmap of open descriptors searched a word at a time, from a
 * hint below which every descriptor is open.  Filling a table of 10^6 is
 * then linear, not quadratic.
 */
#include "fs/vfs.h"
#include "fs/mount.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/time.h"
#include "core/uaccess.h"
#include <lib/bitmap.h>

struct fd_slot {
	struct file *file;
	int flags; /* FD_CLOEXEC */
};

#define FD_TABLE_MIN 64 /* slots at first */

/* A descriptor table.  Guarded by the system-call rule (core/spinlock.h),
 * as the header comment says of the slots. */
struct fdtable {
	struct fd_slot *slots;
	uint64_t *open; /* bit fd set: slots[fd].file != NULL */
	unsigned cap;	/* slots, and bits in open */
	unsigned next;	/* every descriptor below it is open */
	unsigned soft;	/* RLIMIT_NOFILE's soft limit: no descriptor at or above */
	unsigned refs;	/* the processes sharing it */
};

struct fdtable *fdt_create(void)
{
	struct fdtable *t = kzalloc(sizeof(*t));

	if (t) {
		t->soft = FD_LIMIT_DEFAULT;
		t->refs = 1;
	}
	return t;
}

struct fdtable *fdt_dup(const struct fdtable *src)
{
	struct fdtable *t = kzalloc(sizeof(*t));

	if (!t)
		return NULL;
	*t = (struct fdtable){ .cap = src->cap, .next = src->next, .soft = src->soft, .refs = 1 };
	if (src->cap) {
		t->slots = kmalloc(src->cap * sizeof(*t->slots));
		t->open = kmalloc(BITMAP_WORDS(src->cap) * sizeof(*t->open));
		if (!t->slots || !t->open) {
			kfree(t->slots);
			kfree(t->open);
			kfree(t);
			return NULL;
		}
		memcpy(t->slots, src->slots, src->cap * sizeof(*t->slots));
		memcpy(t->open, src->open, BITMAP_WORDS(src->cap) * sizeof(*t->open));
	}
	for (unsigned fd = 0; fd < t->cap; fd++)
		if (t->slots[fd].file)
			t->slots[fd].file->refs++;
	return t;
}

unsigned fdt_count(const struct fdtable *t)
{
	unsigned n = 0;

	/* No popcount: the kernel links no libgcc and -mno-sse bars POPCNT's
	 * inline form on qemu64; the table is small. */
	for (unsigned fd = 0; fd < t->cap; fd++)
		n += t->slots[fd].file != NULL;
	return n;
}

void fdt_get(struct fdtable *t)
{
	t->refs++;
}

static void (*close_hook)(struct fdtable *t, struct file *f);

void vfs_set_close_hook(void (*fn)(struct fdtable *t, struct file *f))
{
	close_hook = fn;
}

/* Descriptor of table `t` for `f` is gone: the hook, then the reference. */
static void fd_closed(struct fdtable *t, struct file *f)
{
	if (close_hook)
		close_hook(t, f);
	file_put(f);
}

void fdt_put(struct fdtable *t)
{
	if (--t->refs)
		return;
	for (unsigned fd = 0; fd < t->cap; fd++) {
		struct file *f = t->slots[fd].file;

		t->slots[fd].file = NULL;
		if (f)
			fd_closed(t, f);
	}
	kfree(t->slots);
	kfree(t->open);
	kfree(t);
}

int fdt_unshare(struct fdtable **tp)
{
	struct fdtable *n;

	if ((*tp)->refs == 1)
		return 0;
	if (!(n = fdt_dup(*tp)))
		return -ENOMEM;
	fdt_put(*tp);
	*tp = n;
	return 0;
}

void fdt_close_on_exec(struct fdtable *t)
{
	for (unsigned fd = 0; fd < t->cap; fd++) {
		struct file *f = t->slots[fd].file;

		if (!f || !(t->slots[fd].flags & FD_CLOEXEC))
			continue;
		t->slots[fd].file = NULL;
		bitmap_clear(t->open, fd);
		t->next = MIN(t->next, fd);
		fd_closed(t, f);
	}
}

/* The calling thread's table: its process's. */
static struct fdtable *fdt_current(void)
{
	return sched_current()->files;
}

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

/* The same straight into the program's buffer, a page at a time so that a
 * fault part-way reports what was copied before it, as Linux does. */
static long image_read_user(struct file *f, uint64_t ubuf, size_t n, uint64_t off)
{
	struct inode *ino = f->inode;
	size_t done = 0;

	if (S_ISDIR(ino->mode))
		return -EISDIR;
	if (off >= ino->size)
		return 0;
	n = MIN(n, ino->size - off);
	while (done < n) {
		size_t chunk = MIN(n - done, PAGE_SIZE - (ubuf + done) % PAGE_SIZE);
		if (copy_to_user(ubuf + done, ino->data + off + done, chunk))
			return done ? (long)done : -EFAULT;
		done += chunk;
	}
	return n;
}

static long image_write(struct file *f, const void *kbuf, size_t n, uint64_t off)
{
	return S_ISDIR(f->inode->mode) ? -EISDIR : -EBADF; /* opened read-only */
}

static const struct file_ops image_ops = {
	.read = image_read,
	.read_user = image_read_user,
	.write = image_write,
	.seekable = true,
};

long vfs_inode_read(struct inode *ino, void *kbuf, size_t n, uint64_t off)
{
	struct file f = { .inode = ino };

	if (ino->fops && ino->fops->fs_data)
		return ino->fops->read(&f, kbuf, n, off);
	return ino->fops == &tmpfs_file_ops ? tmpfs_file_ops.read(&f, kbuf, n, off)
					    : image_read(&f, kbuf, n, off);
}

uint64_t vfs_now(void)
{
	return time_realtime_ns();
}

struct file *file_alloc(struct inode *ino, const struct file_ops *ops, unsigned flags)
{
	struct file *f = kzalloc(sizeof(*f));

	if (!f)
		return ERR_PTR(-ENOMEM);
	f->refs = 1;
	f->flags = flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC);
	f->inode = ino;
	f->ops = ops;
	vfs_iget(ino);
	return f;
}

/* May `ino` be opened with `flags`?  Writing needs a write operation (the
 * image has none: EROFS, as a read-only mount gives). */
static int open_check(struct inode *ino, const struct file_ops *ops, unsigned flags)
{
	bool wr = file_flags_writable(flags) || (flags & O_TRUNC);

	if (flags & O_PATH)
		return 0;
	if ((flags & O_DIRECTORY) && !S_ISDIR(ino->mode))
		return -ENOTDIR;
	if (wr && S_ISDIR(ino->mode))
		return -EISDIR;
	if (wr && (!ops->write || vfs_data_rdonly(ino)))
		return -EROFS;
	if ((flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	return 0;
}

struct file *vfs_open(struct inode *ino, unsigned flags)
{
	const struct file_ops *ops = ino->fops ? ino->fops : &image_ops;
	int err;

	if (ops->open && !(flags & O_PATH))
		return ops->open(ino, flags);
	if ((err = open_check(ino, ops, flags)))
		return ERR_PTR(err);
	if ((flags & O_TRUNC) && !(flags & O_PATH) && ops == &tmpfs_file_ops && S_ISREG(ino->mode))
		if ((err = tmpfs_truncate(ino, 0)))
			return ERR_PTR(err);
	if ((flags & O_TRUNC) && !(flags & O_PATH) && ops->fs_data && S_ISREG(ino->mode)) {
		struct vfs_iattr a = { .valid = VFS_ATTR_SIZE, .size = 0 };

		if ((err = vfs_setattr(ino, &a)))
			return ERR_PTR(err);
	}
	return file_alloc(ino, ops, flags);
}

unsigned vfs_poll(struct file *f, uint64_t *gen)
{
	if (f->ops->poll)
		return f->ops->poll(f, gen);
	if (gen)
		*gen = 0; /* never changes: always ready */
	return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}

struct waitq *vfs_waitq(struct file *f)
{
	return f->ops->waitq ? f->ops->waitq(f) : NULL;
}

static void (*last_put_hook)(struct file *f);

void vfs_set_last_put_hook(void (*fn)(struct file *f))
{
	last_put_hook = fn;
}

void file_put(struct file *f)
{
	if (--f->refs)
		return;
	if (last_put_hook)
		last_put_hook(f);
	if (f->ops->release)
		f->ops->release(f);
	if (f->inode)
		vfs_iput(f->inode);
	kfree(f);
}

/* The superblock counts the references on its inodes too: a mount with
 * any is busy (fs/mount.c). */
void vfs_iget(struct inode *ino)
{
	ino->refs++;
	if (ino->sb)
		ino->sb->irefs++;
}

void vfs_iput(struct inode *ino)
{
	struct vfs_sb *sb = ino->sb;
	bool idle = false;

	if (ino->refs) {
		ino->refs--;
		idle = sb && !--sb->irefs && sb->detached;
	}
	/* Directories stay allocated (a removed cwd must remain a valid,
	 * empty place). */
	if (!ino->refs && !ino->nlink && sb && sb->evict && !S_ISDIR(ino->mode))
		sb->evict(ino);
	if (idle)
		mount_sb_idle(sb); /* a lazily unmounted tree goes now */
}

unsigned fd_limit(void)
{
	return fdt_current()->soft;
}

void fd_set_limit(unsigned limit)
{
	fdt_current()->soft = MIN(limit, FD_NR_OPEN);
}

unsigned fd_table_end(void)
{
	return fdt_current()->cap;
}

/* Make room for descriptor `fd` (below the soft limit): 0 or -ENOMEM. */
static int fd_grow(unsigned fd)
{
	struct fdtable *t = fdt_current();
	unsigned cap = t->cap ? t->cap : FD_TABLE_MIN;
	struct fd_slot *grown;
	uint64_t *open;

	if (fd < t->cap)
		return 0;
	while (cap <= fd)
		cap *= 2;
	cap = MIN(cap, MAX(t->soft, fd + 1));
	grown = kzalloc(cap * sizeof(*grown));
	open = kzalloc(BITMAP_WORDS(cap) * sizeof(*open));
	if (!grown || !open) {
		kfree(grown);
		kfree(open);
		return -ENOMEM;
	}
	if (t->slots) {
		memcpy(grown, t->slots, t->cap * sizeof(*grown));
		memcpy(open, t->open, BITMAP_WORDS(t->cap) * sizeof(*open));
	}
	kfree(t->slots);
	kfree(t->open);
	t->slots = grown;
	t->open = open;
	t->cap = cap;
	return 0;
}

/* Put `f` in slot `fd` (below the table's capacity), which the caller has
 * emptied. */
static void fd_fill(unsigned fd, struct file *f, bool cloexec)
{
	struct fdtable *t = fdt_current();
	t->slots[fd].file = f;
	t->slots[fd].flags = cloexec ? FD_CLOEXEC : 0;
	bitmap_set(t->open, fd);
}

int fd_install(struct file *f, int min_fd, bool cloexec)
{
	struct fdtable *t = fdt_current();
	unsigned start = min_fd < 0 ? 0 : (unsigned)min_fd;
	unsigned fd = MAX(start, t->next);

	fd = MAX(fd, bitmap_next_zero(t->open, t->cap, fd)); /* t->cap: grow */
	if (fd >= t->soft)
		return -EMFILE;
	if (fd_grow(fd))
		return -ENOMEM;
	if (start <= t->next) /* all from next to fd were open */
		t->next = fd + 1;
	fd_fill(fd, f, cloexec);
	return fd;
}

int fd_install_new(struct file *f, bool cloexec)
{
	int fd = fd_install(f, 0, cloexec);

	if (fd < 0)
		file_put(f);
	return fd;
}

struct file *fd_get(int fd)
{
	struct fdtable *t = fdt_current();
	return fd >= 0 && (unsigned)fd < t->cap ? t->slots[fd].file : NULL;
}

struct file *fd_hold(int fd)
{
	struct thread *t = sched_current();
	struct file *f = fd_get(fd);

	if (!f)
		return NULL;
	for (unsigned i = 0; i < t->nheld; i++)
		if (t->held[i] == f)
			return f;
	/* Every caller holds at most two files (sendfile, copy_file_range):
	 * the slots never run out; if they did, the file would be borrowed. */
	if (t->nheld < THREAD_HELD_MAX) {
		f->refs++;
		t->held[t->nheld++] = f;
	}
	return f;
}

void fd_release_held(void)
{
	struct thread *t = sched_current();

	while (t->nheld)
		file_put(t->held[--t->nheld]);
}

int fd_close(int fd)
{
	struct fdtable *t = fdt_current();
	struct file *f = fd_get(fd);

	if (!f)
		return -EBADF;
	t->slots[fd].file = NULL;
	bitmap_clear(t->open, fd);
	t->next = MIN(t->next, (unsigned)fd);
	fd_closed(t, f);
	return 0;
}

int fd_dup_min(int oldfd, unsigned min_fd, bool cloexec)
{
	struct fdtable *t = fdt_current();
	struct file *f = fd_get(oldfd);
	int fd;

	if (!f)
		return -EBADF;
	if (min_fd >= t->soft)
		return -EMFILE;
	fd = fd_install(f, (int)min_fd, cloexec);
	if (fd >= 0)
		f->refs++;
	return fd;
}

int fd_dup(int oldfd, unsigned newfd, bool cloexec)
{
	struct fdtable *t = fdt_current();
	struct file *f = fd_get(oldfd), *old;

	if (!f || newfd >= t->soft)
		return -EBADF;
	if (newfd == (unsigned)oldfd) {
		t->slots[newfd].flags = cloexec ? FD_CLOEXEC : 0;
		return newfd;
	}
	if (fd_grow(newfd))
		return -ENOMEM;
	f->refs++;
	old = t->slots[newfd].file;
	fd_fill(newfd, f, cloexec);
	if (old)
		fd_closed(t, old);
	return newfd;
}

unsigned fdt_end(const struct fdtable *t)
{
	return t->cap;
}

struct file *fdt_file(const struct fdtable *t, int fd, int *flags)
{
	if (fd < 0 || (unsigned)fd >= t->cap || !t->slots[fd].file)
		return NULL;
	*flags = t->slots[fd].flags;
	return t->slots[fd].file;
}

int fd_get_flags(int fd)
{
	struct fdtable *t = fdt_current();
	return fd_get(fd) ? t->slots[fd].flags : -EBADF;
}

int fd_set_flags(int fd, int flags)
{
	struct fdtable *t = fdt_current();
	if (!fd_get(fd))
		return -EBADF;
	t->slots[fd].flags = flags & FD_CLOEXEC;
	return 0;
}
