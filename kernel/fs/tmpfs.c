/*
 * tmpfs: writable files in memory.  Directories and symlinks are ordinary
 * tree inodes (fs/namei.c changes the tree); a regular file's data is an
 * array of page frames indexed by page number, a zero entry being a hole that
 * reads as zeros.  So files may be large and sparse, and a write allocates
 * only the pages it touches.  Mounted at /tmp and /dev/shm, over the image's
 * entries there (which stay, read-only).  Its size is Linux's default, half
 * of the memory (statfs says so, with the pages in use): a file in the tree
 * that would pass it gets ENOSPC, as on Linux; memfds and shared anonymous
 * memory (born unlinked, on Linux in the kernel's internal, unlimited shm
 * mount) count as used but are not refused.  mount(2) makes further tmpfs
 * mounts (fs/mount.c), each with its own superblock and size.
 */
#include "fs/vfs.h"
#include "fs/mount.h"
#include "core/cred.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/vm.h"
#include "core/mem.h"
#include "core/uaccess.h"
#include "linux/uapi.h"
#include <lib/cmdline.h>

#define TMPFS_DEV 0x0015 /* an anonymous device number, as Linux gives */
/* The largest file: what the 63-bit offset allows, as on Linux (MAX_LFS_FILESIZE). */
#define TMPFS_MAX_SIZE ((uint64_t)INT64_MAX)

/* A tmpfs' size (vfs_sb.priv): the boot one's is shared by /tmp and
 * /dev/shm; each mount(2) has its own. */
struct tmpfs_info {
	uint64_t max_pages;  /* size=, in pages; 0: the default, half of RAM */
	uint64_t used_pages; /* data pages of its limited files (tmpfs_room) */
};

static void tmpfs_space(const struct vfs_sb *sb, struct vfs_space *sp);
static struct vfs_fs_type tmpfs_type;
static struct tmpfs_info boot_info;

struct vfs_sb tmpfs_sb = { .name = "tmpfs",
			   .magic = TMPFS_MAGIC,
			   .dev = TMPFS_DEV,
			   .space = tmpfs_space,
			   .evict = tmpfs_evict,
			   .iops = &libfs_rw_iops,
			   .type = &tmpfs_type,
			   .priv = &boot_info };

bool tmpfs_is(const struct vfs_sb *sb)
{
	return sb && sb->type == &tmpfs_type;
}

uint64_t tmpfs_max_pages(void)
{
	return mem_total_frames() / 2; /* mm/shmem.c shmem_default_max_blocks */
}

/* Regular files made in /dev (devtmpfs, a tmpfs on Linux too) count in
 * the boot tmpfs' size: devfs' superblock has no size of its own. */
static struct tmpfs_info *info_of(const struct vfs_sb *sb)
{
	return sb->type == &tmpfs_type ? sb->priv : &boot_info;
}

static uint64_t info_max(const struct tmpfs_info *ti)
{
	return ti->max_pages ? ti->max_pages : tmpfs_max_pages();
}

static void tmpfs_space(const struct vfs_sb *sb, struct vfs_space *sp)
{
	const struct tmpfs_info *ti = info_of(sb);

	if (info_max(ti) == UINT64_MAX)
		return; /* size=0, no limit: Linux reports no size at all */
	sp->blocks = info_max(ti);
	sp->bfree = sp->blocks - MIN(ti->used_pages, sp->blocks);
}

/*
 * Files hold at most half of RAM, Linux's default size= for tmpfs: beyond,
 * writes get ENOSPC, and the kernel and the program keep memory to run in
 * (one sendfile from /dev/zero once took every frame, and the program died
 * at its next signal).  memfd and shared anonymous memory, which Linux keeps
 * on its internal shm mount, have no limit but memory; an unlinked file
 * keeps its limit.  Guarded by the syscall lock, as the page arrays are.
 */
static uint64_t tmpfs_room(const struct inode *ino)
{
	const struct tmpfs_info *ti;

	if (ino->shm)
		return UINT64_MAX;
	ti = info_of(ino->sb);
	return ti->used_pages < info_max(ti) ? info_max(ti) - ti->used_pages : 0;
}

/* Make room for page index `idx` in the array (doubling). */
static int grow_array(struct inode *ino, uint64_t idx)
{
	uint64_t n = ino->npages ? ino->npages : 8, *pages;

	if (idx < ino->npages)
		return 0;
	while (n <= idx)
		n *= 2;
	if (!(pages = kzalloc(n * sizeof(*pages))))
		return -ENOSPC;
	if (ino->npages)
		memcpy(pages, ino->pages, ino->npages * sizeof(*pages));
	kfree(ino->pages);
	ino->pages = pages;
	ino->npages = n;
	return 0;
}

/* The frame of page `idx`, allocated (zeroed) if `alloc`; 0 for a hole. */
static uint64_t page_of(struct inode *ino, uint64_t idx, bool alloc)
{
	if (idx < ino->npages && ino->pages[idx])
		return ino->pages[idx];
	if (!alloc || !tmpfs_room(ino) || grow_array(ino, idx))
		return 0;
	ino->pages[idx] = mem_alloc_frame(1);
	if (ino->pages[idx] && !ino->shm)
		info_of(ino->sb)->used_pages++;
	return ino->pages[idx];
}

/*
 * A caller's buffer: kernel memory (`user` false: the address is a kernel
 * pointer) or the program's (copies may fault).  One read and one write
 * serve both, so read(2) moves bytes between the program and the page
 * with no bounce buffer, while the kernel's own readers (vfs_inode_read)
 * use the same code.
 */
struct tmpfs_buf {
	uint64_t addr;
	bool user;
};

/* Move `n` bytes between page memory `mem` and the buffer at `off` into it:
 * 0, or -EFAULT (a user buffer only).  A NULL `mem` (a hole) reads as zeros,
 * into a kernel buffer too (sendfile, copy_file_range). */
static long buf_move(struct tmpfs_buf b, size_t off, void *mem, size_t n, bool to_mem)
{
	if (!b.user) {
		void *k = (char *)b.addr + off;
		if (!mem)
			memset(k, 0, n);
		else
			memcpy(to_mem ? mem : k, to_mem ? k : mem, n);
		return 0;
	}
	if (to_mem)
		return copy_from_user(mem, b.addr + off, n) ? -EFAULT : 0;
	if (mem)
		return copy_to_user(b.addr + off, mem, n) ? -EFAULT : 0;
	return clear_user(b.addr + off, n) ? -EFAULT : 0;
}

static long tmpfs_do_read(struct file *f, struct tmpfs_buf b, size_t n, uint64_t off)
{
	struct inode *ino = f->inode;
	size_t done = 0;

	if (S_ISDIR(ino->mode))
		return -EISDIR;
	if (off >= ino->size)
		return 0;
	n = MIN(n, ino->size - off);
	while (done < n) {
		uint64_t pos = off + done, pa = page_of(ino, pos / PAGE_SIZE, false);
		size_t in = pos % PAGE_SIZE, chunk = MIN(n - done, PAGE_SIZE - in);
		/* A hole reads as zeros: a NULL source clears. */
		if (buf_move(b, done, pa ? (char *)phys_to_virt(pa) + in : NULL, chunk, false))
			break;
		done += chunk;
	}
	ino->atime = vfs_now();
	return done ? (long)done : n ? -EFAULT : 0;
}

/* Writes go at `off`, or at the end for O_APPEND (even through pwrite, as on
 * Linux).  Out of frames: what was written, or -ENOSPC. */
static long tmpfs_do_write(struct file *f, struct tmpfs_buf b, size_t n, uint64_t off)
{
	struct inode *ino = f->inode;
	size_t done = 0;
	long err = -ENOSPC;

	if (f->flags & O_APPEND)
		off = ino->size;
	if (off > TMPFS_MAX_SIZE || n > TMPFS_MAX_SIZE - off)
		return -EFBIG;
	while (done < n) {
		uint64_t pos = off + done, pa = page_of(ino, pos / PAGE_SIZE, true);
		size_t in = pos % PAGE_SIZE, chunk = MIN(n - done, PAGE_SIZE - in);
		if (!pa)
			break;
		if (buf_move(b, done, (char *)phys_to_virt(pa) + in, chunk, true)) {
			err = -EFAULT;
			break;
		}
		done += chunk;
	}
	if (!done && n)
		return err;
	ino->size = MAX(ino->size, off + done);
	ino->mtime = ino->ctime = vfs_now();
	return done;
}

static long tmpfs_read(struct file *f, void *kbuf, size_t n, uint64_t off)
{
	return tmpfs_do_read(f, (struct tmpfs_buf){ (uint64_t)kbuf, false }, n, off);
}

static long tmpfs_write(struct file *f, const void *kbuf, size_t n, uint64_t off)
{
	return tmpfs_do_write(f, (struct tmpfs_buf){ (uint64_t)kbuf, false }, n, off);
}

static long tmpfs_read_user(struct file *f, uint64_t ubuf, size_t n, uint64_t off)
{
	return tmpfs_do_read(f, (struct tmpfs_buf){ ubuf, true }, n, off);
}

static long tmpfs_write_user(struct file *f, uint64_t ubuf, size_t n, uint64_t off)
{
	return tmpfs_do_write(f, (struct tmpfs_buf){ ubuf, true }, n, off);
}

const struct file_ops tmpfs_file_ops = {
	.read = tmpfs_read,
	.write = tmpfs_write,
	.read_user = tmpfs_read_user,
	.write_user = tmpfs_write_user,
	.seekable = true,
};

/* Free the pages from index `first` on. */
static void free_pages_from(struct inode *ino, uint64_t first)
{
	for (uint64_t i = first; i < ino->npages; i++) {
		if (ino->pages[i]) {
			mem_free_frame(ino->pages[i]);
			info_of(ino->sb)->used_pages -= !ino->shm;
		}
		ino->pages[i] = 0;
	}
}

int tmpfs_truncate(struct inode *ino, uint64_t size)
{
	if (S_ISDIR(ino->mode))
		return -EISDIR;
	if (!S_ISREG(ino->mode))
		return -EINVAL;
	if (vfs_data_rdonly(ino))
		return -EROFS;
	if (ino->fops != &tmpfs_file_ops)
		return -EINVAL;
	if (size > TMPFS_MAX_SIZE)
		return -EFBIG;
	if (size < ino->size) {
		uint64_t pa = page_of(ino, size / PAGE_SIZE, false);
		/* The cut page keeps its head; its tail must read as zeros
		 * if the file grows again. */
		if (pa && size % PAGE_SIZE)
			memset((char *)phys_to_virt(pa) + size % PAGE_SIZE, 0,
			       PAGE_SIZE - size % PAGE_SIZE);
		/* Shared mappings map these pages: unmap them before they go. */
		vm_file_truncate(ino, size);
		free_pages_from(ino, ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE);
	}
	ino->size = size;
	ino->mtime = ino->ctime = vfs_now();
	return 0;
}

/*
 * Whether the holes of pages [first, last) would take more frames than are
 * free, or than the size limit leaves.  Counting is bounded: a range longer
 * than the array plus those frames has more holes than that anyway.
 */
static bool too_many_holes(struct inode *ino, uint64_t first, uint64_t last)
{
	uint64_t free = MIN(mem_total_frames() - mem_used_frames(), tmpfs_room(ino)), holes = 0;

	if (last - first > ino->npages + free)
		return true;
	for (uint64_t i = first; i < last && holes <= free; i++)
		holes += !(i < ino->npages && ino->pages[i]);
	return holes > free;
}

/* Like Linux, an allocation that does not fit is refused before any page of
 * it is taken: one that failed half-way kept every frame it had taken. */
int tmpfs_allocate(struct inode *ino, uint64_t off, uint64_t len, bool keep_size)
{
	uint64_t first = off / PAGE_SIZE, last;

	if (ino->fops != &tmpfs_file_ops || !S_ISREG(ino->mode))
		return -ENODEV;
	if (off > TMPFS_MAX_SIZE || len > TMPFS_MAX_SIZE - off)
		return -EFBIG;
	last = ALIGN_UP(off + len, PAGE_SIZE) / PAGE_SIZE;
	if (too_many_holes(ino, first, last))
		return -ENOSPC;
	for (uint64_t i = first; i < last; i++)
		if (!page_of(ino, i, true))
			return -ENOSPC;
	if (!keep_size && off + len > ino->size)
		ino->size = off + len;
	ino->ctime = vfs_now();
	return 0;
}

/*
 * The VMA layer's view of a tmpfs file (core/vm.h).  A shared mapping maps
 * the file's own pages, so writes land in the file; a private one copies,
 * since the file may change or shrink under it.
 */
static long tmpfs_vm_frame(struct inode *ino, uint64_t off, bool shared)
{
	if (!shared)
		return 0;
	if (off >= ALIGN_UP(ino->size, PAGE_SIZE))
		return -EFAULT;
	if (tmpfs_allocate(ino, off, PAGE_SIZE, true))
		return -ENOMEM;
	return ino->pages[off / PAGE_SIZE];
}

static long tmpfs_vm_fill(struct inode *ino, uint64_t off, void *page, size_t n)
{
	struct file f = { .inode = ino };

	return tmpfs_do_read(&f, (struct tmpfs_buf){ (uint64_t)page, false }, n, off);
}

static bool tmpfs_vm_resident(struct inode *ino, uint64_t off)
{
	return off < ino->size && page_of(ino, off / PAGE_SIZE, false);
}

const struct vm_file_ops tmpfs_vm_ops = {
	.get = vfs_iget,
	.put = vfs_iput,
	.frame = tmpfs_vm_frame,
	.fill = tmpfs_vm_fill,
	.resident = tmpfs_vm_resident,
	.shared_pages = true,
};

void tmpfs_free(struct inode *ino)
{
	if (ino->pages) {
		free_pages_from(ino, 0);
		kfree(ino->pages);
	}
	ino->pages = NULL;
	ino->npages = 0;
	if (S_ISLNK(ino->mode))
		kfree((void *)ino->data);
	ino->data = NULL;
	if (ino->dentry) /* its own entry, out of the tree by now */
		vfs_dentry_free(ino->dentry);
	ino->dentry = NULL;
}

void tmpfs_evict(struct inode *ino)
{
	tmpfs_free(ino);
	kfree(ino);
}

struct inode *tmpfs_new_unlinked(const char *name, size_t len, uint32_t mode)
{
	char *copy = kmalloc(len + 1);
	struct inode *ino = copy ? vfs_new_inode(vfs_root(), copy, len, mode) : NULL;

	if (!ino) {
		kfree(copy);
		return NULL;
	}
	memcpy(copy, name, len);
	copy[len] = 0;
	/* Out of the tree at once, as an unlinked file: the last vfs_iput
	 * frees it, and /proc shows its name with " (deleted)". */
	list_del(&ino->dentry->sibling);
	list_init(&ino->dentry->sibling);
	ino->dentry->parent = NULL;
	ino->dentry->name_owned = true;
	ino->nlink = 0;
	ino->shm = true;
	ino->sb = &tmpfs_sb;
	ino->fops = &tmpfs_file_ops;
	cred_new_owner(&ino->uid, &ino->gid);
	ino->atime = ino->mtime = ino->ctime = vfs_now();
	return ino;
}

struct inode *tmpfs_mount_dir(struct inode *parent, const char *name)
{
	struct inode *d = vfs_mknode(parent, name, S_IFDIR | 01777);

	if (!d)
		return NULL;
	if (!S_ISDIR(d->mode)) /* the CLI never packs one: a hand-made image */
		panic("boot: the image has a file where %s must be a directory", name);
	/* Unlike a Linux mount, what the image has there stays visible,
	 * read-only: `monos run` packs programs at their host path, which may
	 * be under /tmp. */
	d->sb = &tmpfs_sb;
	d->mode = S_IFDIR | 01777;
	d->nlink = 2;
	d->atime = d->mtime = d->ctime = vfs_now();
	mount_boot(&tmpfs_sb, d, "tmpfs", MS_NOSUID | MS_NODEV);
	return d;
}

/* One option of mount(2)'s `data` (`len` bytes at `opt`, "key=value"):
 * mode=, uid=, gid= of the root, size= (bytes with k, m or g, or a
 * percentage of RAM; 0 is no limit, as Linux's).  0 or -EINVAL. */
static int parse_option(const char *opt, size_t len, struct tmpfs_info *ti, struct inode *root)
{
	const char *eq = memchr(opt, '=', len);
	size_t klen = eq ? (size_t)(eq - opt) : len, vlen = eq ? len - klen - 1 : 0;
	uint64_t v = 0;

	if (!eq || !vlen)
		return -EINVAL;
	if (klen == 4 && !memcmp(opt, "mode", 4)) {
		for (size_t i = 0; i < vlen; i++) {
			if (eq[1 + i] < '0' || eq[1 + i] > '7' || v > 07777)
				return -EINVAL;
			v = v * 8 + (eq[1 + i] - '0');
		}
		root->mode = S_IFDIR | (v & 07777);
	} else if ((klen == 3 && !memcmp(opt, "uid", 3)) || (klen == 3 && !memcmp(opt, "gid", 3))) {
		if (parse_u64(eq + 1, vlen, &v) || v >= UINT32_MAX)
			return -EINVAL;
		*(opt[0] == 'u' ? &root->uid : &root->gid) = v;
	} else if (klen == 4 && !memcmp(opt, "size", 4)) {
		if (eq[vlen] == '%') {
			if (parse_u64(eq + 1, vlen - 1, &v) || v > 100)
				return -EINVAL;
			v = mem_total_frames() * PAGE_SIZE / 100 * v;
		} else if (parse_size(eq + 1, vlen, &v)) {
			return -EINVAL;
		}
		ti->max_pages = v ? ALIGN_UP(v, PAGE_SIZE) / PAGE_SIZE : UINT64_MAX;
	} else {
		return -EINVAL; /* Linux: "tmpfs: Unknown parameter" */
	}
	return 0;
}

static int parse_options(const char *data, struct tmpfs_info *ti, struct inode *root)
{
	while (*data) {
		size_t len = strcspn(data, ",");
		int err = len ? parse_option(data, len, ti, root) : 0;
		if (err)
			return err;
		data += len + (data[len] == ',');
	}
	return 0;
}

/* MS_REMOUNT's options: a new size= applies (not below what is in use:
 * EINVAL, as Linux's shmem_reconfigure); mode=, uid= and gid= are checked
 * and, as on Linux, left as they are. */
static int tmpfs_reconfigure(struct mount *m, const char *data)
{
	struct tmpfs_info *ti = info_of(m->sb), want = { 0 };
	struct inode scratch = *m->root;
	int err = parse_options(data, &want, &scratch);

	if (err)
		return err;
	if (want.max_pages && want.max_pages < ti->used_pages)
		return -EINVAL;
	if (want.max_pages)
		ti->max_pages = want.max_pages;
	return 0;
}

/* A new tmpfs for mount(2): its root 01777 and the mounter's (Linux's
 * shmem defaults) unless the options say otherwise. */
static int tmpfs_fill(struct mount *m, const char *source, const char *data)
{
	struct tmpfs_info *ti = kzalloc(sizeof(*ti));
	struct vfs_sb *sb = kzalloc(sizeof(*sb));
	int err = -ENOMEM;

	if (!ti || !sb || !(m->root = vfs_new_root(sb, 01777)))
		goto out_free;
	*sb = (struct vfs_sb){ .name = "tmpfs",
			       .magic = TMPFS_MAGIC,
			       .dev = mount_anon_dev(),
			       .rdonly = m->flags & MS_RDONLY,
			       .space = tmpfs_space,
			       .evict = tmpfs_evict,
			       .iops = &libfs_rw_iops,
			       .type = &tmpfs_type,
			       .priv = ti };
	cred_new_owner(&m->root->uid, &m->root->gid);
	err = !sb->dev ? -EMFILE : parse_options(data, ti, m->root);
	if (!err) {
		m->sb = sb;
		return 0;
	}
out_free:
	if (sb && sb->dev)
		mount_anon_dev_put(sb->dev);
	if (m->root)
		kfree(m->root->dentry);
	kfree(m->root);
	kfree(sb);
	kfree(ti);
	m->root = NULL;
	return err;
}

/* Free entry `e` of a tree being torn down: no reference is left on any
 * of its inodes.  An inode goes with its last entry. */
static void kill_entry(struct dentry *e)
{
	struct inode *ino = e->inode;
	bool last = S_ISDIR(ino->mode) || !--ino->nlink;

	list_del(&e->sibling);
	list_init(&e->sibling);
	e->parent = NULL;
	if (e != ino->dentry)
		vfs_dentry_free(e);
	if (last)
		tmpfs_evict(ino); /* its own entry too */
}

/* Free the whole tree, depth first without recursion (trees may be deep). */
static void tmpfs_kill(struct mount *m)
{
	struct dentry *top = m->root->dentry, *dir = top;

	for (;;) {
		if (!list_empty(&dir->children)) {
			struct dentry *c = list_first_entry(&dir->children, struct dentry, sibling);
			if (S_ISDIR(c->inode->mode) && !list_empty(&c->children))
				dir = c;
			else
				kill_entry(c);
			continue;
		}
		if (dir == top)
			break;
		struct dentry *up = dir->parent;
		kill_entry(dir);
		dir = up;
	}
	kfree(top); /* its name is the mount point's */
	kfree(m->root);
	mount_anon_dev_put(m->sb->dev);
	kfree(m->sb->priv);
	kfree(m->sb);
}

static struct vfs_fs_type tmpfs_type = {
	.name = "tmpfs", .fill = tmpfs_fill, .reconfigure = tmpfs_reconfigure, .kill = tmpfs_kill
};

void tmpfs_init(void)
{
	mount_register(&tmpfs_type);
	if (!tmpfs_mount_dir(vfs_root(), "tmp"))
		boot_out_of_memory("/tmp");
}
