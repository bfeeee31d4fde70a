/*
 * ext4 in the VFS (fs layer; issue 9): the "ext4" filesystem type that
 * vfs_mount and mount(2) make over a block device (drivers/blk.h), mapping
 * the VFS's inode and file operations (fs/vfs.h) onto the pure ext4 library
 * (kernel/lib/ext4/, <lib/ext4.h>).
 *
 * - The tree: a directory's entries (struct dentry) are a cache, filled by
 *   lookup from the disk; listing reads the disk (ext4_readdir).  Each
 *   ext4 inode has at most one struct ext4fs_inode in memory (a hash by
 *   number), so hard links share it and the library is never handed two
 *   copies of one inode.  Inodes stay in memory while mounted (freed at
 *   umount), except unlinked files, freed at their last reference.
 * - File data goes straight to the library (no data cache) except for
 *   pages mapped MAP_SHARED: those live in a per-inode page cache
 *   (contract 20), which read() and write() see too, written back at
 *   fsync, at each munmap of such a mapping, and at umount/instance end.
 * - One sleeping lock per filesystem (contract 14): the library's scratch
 *   buffers belong to one caller at a time, and a disk wait gives the CPU
 *   to others.
 * - Durability: fsync writes back the page cache, then ext4_sync (the
 *   superblock's counts and a device flush).  The library writes in place
 *   (no journal yet: see <lib/ext4.h>), so what a crash leaves may need
 *   e2fsck; an orderly exit syncs (vfs_sync_all) before the instance ends.
 *
 * Not yet: a file unlinked while open loses its data at once (the
 * library frees an inode at its last link; it has no orphan list), so
 * its reads and writes then give ESTALE; RENAME_EXCHANGE gives EINVAL.
 */
#include "fs/vfs.h"
#include "fs/mount.h"
#include "fs/perm.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/mem.h"
#include "core/uaccess.h"
#include "core/vm.h"
#include "core/waitq.h"
#include "drivers/blk.h"
#include "lib/ext4/ext4_disk.h"

#define EXT4_SUPER_MAGIC 0xEF53	     /* statfs f_type, include/uapi/linux/magic.h */
#define EXT4FS_HASH	 256	     /* buckets of the in-memory inode table */
#define EXT4FS_IO_CHUNK	 (64 * 1024) /* bytes per blk_io from a kernel buffer */
#define EXT4FS_IO_VECS	 (EXT4FS_IO_CHUNK / PAGE_SIZE + 1)
#define EXT4FS_BOUNCE	 (64 * 1024) /* read()/write() staging through the library */
#define NSEC		 1000000000ull

/* A mounted ext4 (vfs_sb.priv). */
struct ext4fs_info {
	struct ext4_fs fs;
	struct ext4_dev dev;
	struct blk_dev *blk;
	bool busy;			    /* the lock: a thread is inside the library */
	struct waitq waiters;		    /* threads waiting for the lock */
	struct list_head hash[EXT4FS_HASH]; /* struct ext4fs_inode.link */
	struct vfs_sb sb;
};

/* An inode in memory: the VFS's view, the library's copy, and the page
 * cache of its shared mappings (frames by page index, 0: not cached). */
struct ext4fs_inode {
	struct inode vfs; /* first: the VFS hands us &vfs */
	struct ext4_inode e;
	struct list_head link;
	uint64_t *cache;
	uint64_t ncache;
	bool dead; /* unlinked at its last link: its blocks are freed */
};

static const struct inode_operations ext4fs_iops;
static const struct file_ops ext4fs_file_ops;
static struct vfs_fs_type ext4fs_type;

static struct ext4fs_inode *X(struct inode *ino)
{
	return (struct ext4fs_inode *)ino;
}

static struct ext4fs_info *info_of(const struct inode *ino)
{
	return ino->sb->priv;
}

/* ---- the lock ---- */

static bool lock_free(void *arg)
{
	return !((struct ext4fs_info *)arg)->busy;
}

static void lock_info(struct ext4fs_info *i)
{
	/* Under the system-call rule the test and the set cannot be split. */
	while (i->busy)
		waitq_wait_uninterruptible(&i->waiters, lock_free, i);
	i->busy = true;
}

static struct ext4fs_info *lock(const struct inode *ino)
{
	lock_info(info_of(ino));
	return info_of(ino);
}

static void unlock(struct ext4fs_info *i)
{
	i->busy = false;
	waitq_wake(&i->waiters);
}

/* ---- the device, for the library ---- */

static int dev_io(void *ctx, enum blk_op op, uint64_t blk, uint32_t count, void *buf)
{
	struct ext4fs_info *i = ctx;
	struct blk_vec vec[EXT4FS_IO_VECS];
	size_t len = (size_t)count * EXT4_DEV_BLOCK;
	char *p = buf;

	while (len) {
		size_t chunk = MIN(len, (size_t)EXT4FS_IO_CHUNK);
		int n = blk_vec_kbuf(p, chunk, vec, EXT4FS_IO_VECS), err;

		if (n < 0)
			return n;
		if ((err = blk_io(i->blk, op, 0, blk, vec, n)))
			return err;
		blk += chunk / EXT4_DEV_BLOCK;
		p += chunk;
		len -= chunk;
	}
	return 0;
}

static int dev_read(void *ctx, uint64_t blk, uint32_t count, void *buf)
{
	return dev_io(ctx, BLK_OP_READ, blk, count, buf);
}

static int dev_write(void *ctx, uint64_t blk, uint32_t count, const void *buf)
{
	return dev_io(ctx, BLK_OP_WRITE, blk, count, (void *)buf);
}

static int dev_flush(void *ctx)
{
	return blk_flush(((struct ext4fs_info *)ctx)->blk);
}

static void *dev_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return kmalloc(size);
}

static void dev_free(void *ctx, void *p, size_t size)
{
	(void)ctx, (void)size;
	kfree(p);
}

static void dev_now(void *ctx, int64_t *sec, uint32_t *nsec)
{
	uint64_t t = vfs_now();

	(void)ctx;
	*sec = t / NSEC;
	*nsec = t % NSEC;
}

/* ---- inodes ---- */

static uint64_t ns_of(struct ext4_time t)
{
	return (uint64_t)t.sec * NSEC + t.nsec;
}

static struct ext4_time time_of(uint64_t ns)
{
	return (struct ext4_time){ (int64_t)(ns / NSEC), (uint32_t)(ns % NSEC) };
}

/* The VFS's fields from the library's copy (after every library call that
 * may change it). */
static void sync_vfs(struct ext4fs_inode *x)
{
	struct inode *v = &x->vfs;

	v->mode = x->e.mode;
	v->uid = x->e.uid;
	v->gid = x->e.gid;
	v->nlink = x->dead ? 0 : x->e.links;
	v->size = x->e.size;
	v->atime = ns_of(x->e.atime);
	v->mtime = ns_of(x->e.mtime);
	v->ctime = ns_of(x->e.ctime);
}

static struct list_head *bucket(struct ext4fs_info *i, uint32_t ino)
{
	return &i->hash[ino % EXT4FS_HASH];
}

static struct ext4fs_inode *find(struct ext4fs_info *i, uint32_t ino)
{
	struct ext4fs_inode *x;

	/* A dead inode's number may already be a new file's. */
	list_for_each_entry(x, bucket(i, ino), link)
		if (x->e.ino == ino && !x->dead)
			return x;
	return NULL;
}

/* The in-memory inode for library inode `e` (taken over when new). */
static struct ext4fs_inode *inode_new(struct ext4fs_info *i, const struct ext4_inode *e)
{
	struct ext4fs_inode *x = kzalloc(sizeof(*x));

	if (!x)
		return NULL;
	x->e = *e;
	x->vfs.ino = e->ino;
	x->vfs.sb = &i->sb;
	x->vfs.fops = S_ISREG(e->mode) ? &ext4fs_file_ops : NULL;
	sync_vfs(x);
	list_add(&x->link, bucket(i, e->ino));
	return x;
}

/* Re-read inode `ino` if it is in memory (the library changed it on disk
 * through a name: unlink, rename). */
static void refresh(struct ext4fs_info *i, uint32_t ino)
{
	struct ext4fs_inode *x = find(i, ino);

	if (x && !x->dead && !ext4_iget(&i->fs, ino, &x->e))
		sync_vfs(x);
}

/* A kmalloc'ed copy of a name, which the entry owns. */
static char *dup_name(const char *name, size_t len)
{
	char *s = kmalloc(len + 1);

	if (s) {
		memcpy(s, name, len);
		s[len] = 0;
	}
	return s;
}

/* A new cached entry `name` in `dir` for `x`; NULL when out of memory. */
static struct dentry *add_entry(struct inode *dir, const char *name, size_t len,
				struct ext4fs_inode *x)
{
	char *copy = dup_name(name, len);
	struct dentry *d = copy ? vfs_dentry_new(dir, copy, len, &x->vfs) : NULL;

	if (!d)
		kfree(copy);
	else
		d->name_owned = true;
	return d;
}

/* Log a library error the VFS has no way to return (unlink is void). */
static void report(const char *what, int err)
{
	klog("ext4: %s failed: error %d\n", what, -err);
}

/* ---- directory operations ---- */

static struct dentry *ext4fs_lookup(struct inode *dir, const char *name, size_t len)
{
	struct dentry *d = libfs_lookup(dir, name, len);
	struct ext4fs_info *i;
	struct ext4fs_inode *x;
	struct ext4_inode e;
	uint32_t ino;

	if (d || len > EXT4_NAME_LEN)
		return d;
	i = lock(dir);
	if (ext4_lookup(&i->fs, &X(dir)->e, name, len, &ino))
		goto out;
	if (!(x = find(i, ino))) {
		if (ext4_iget(&i->fs, ino, &e) || !(x = inode_new(i, &e)))
			goto out;
	}
	/* A directory has one entry; one already cached elsewhere stays. */
	if (!S_ISDIR(x->vfs.mode) || !x->vfs.dentry)
		d = add_entry(dir, name, len, x);
out:
	unlock(i);
	return d;
}

/* ext4_readdir's positions are the listing's cookies; "." and ".." are
 * the VFS's to list. */
static void ext4fs_iterate(struct inode *dir, struct vfs_dir_ctx *ctx)
{
	struct ext4fs_info *i = lock(dir);
	struct ext4_dirent *de = kmalloc(sizeof(*de));
	uint64_t pos = ctx->pos, next = pos;

	while (de && ext4_readdir(&i->fs, &X(dir)->e, &next, de) == 1) {
		bool dot = (de->name_len == 1 && de->name[0] == '.') ||
			   (de->name_len == 2 && de->name[0] == '.' && de->name[1] == '.');

		if (!dot && !ctx->emit(ctx, de->name, de->name_len, de->ino,
				       (uint32_t)ext4_dt(de->type) << 12, next))
			break;
		ctx->pos = pos = next;
	}
	(void)pos;
	kfree(de);
	unlock(i);
}

static long ext4fs_readlink(struct inode *ino, char *buf, size_t n)
{
	struct ext4fs_info *i = lock(ino);
	long r = ext4_readlink(&i->fs, &X(ino)->e, buf, n);

	unlock(i);
	return r;
}

static void cache_drop_from(struct ext4fs_inode *x, uint64_t first);
static void cache_zero_tail(struct ext4fs_inode *x, uint64_t size);

static int ext4fs_setattr(struct inode *ino, const struct vfs_iattr *a)
{
	struct ext4fs_inode *x = X(ino);
	struct ext4fs_info *i;
	int err = 0;

	if ((a->valid & VFS_ATTR_SIZE) && !S_ISREG(ino->mode))
		return S_ISDIR(ino->mode) ? -EISDIR : -EINVAL;
	if (x->dead)
		return -ESTALE;
	i = lock(ino);
	if (a->valid & VFS_ATTR_SIZE) {
		if (a->size < x->e.size) {
			vm_file_truncate(ino, a->size);
			cache_zero_tail(x, a->size);
			cache_drop_from(x, ALIGN_UP(a->size, PAGE_SIZE) / PAGE_SIZE);
		}
		err = ext4_truncate(&i->fs, &x->e, a->size);
	}
	if (!err) {
		if (a->valid & VFS_ATTR_MODE)
			x->e.mode = (x->e.mode & S_IFMT) | (a->mode & ~S_IFMT);
		if (a->valid & VFS_ATTR_UID)
			x->e.uid = a->uid;
		if (a->valid & VFS_ATTR_GID)
			x->e.gid = a->gid;
		if (a->valid & VFS_ATTR_ATIME)
			x->e.atime = time_of(a->atime);
		if (a->valid & VFS_ATTR_MTIME)
			x->e.mtime = time_of(a->mtime);
		if (a->valid & VFS_ATTR_CTIME)
			x->e.ctime = time_of(a->ctime);
		err = ext4_inode_write(&i->fs, &x->e);
	}
	sync_vfs(x);
	unlock(i);
	return err;
}

/* Make `name` in `dir` (a symlink to `target` when not NULL). */
static struct inode *make(struct inode *dir, const char *name, size_t len, uint32_t mode,
			  const char *target)
{
	struct ext4fs_info *i = lock(dir);
	struct ext4fs_inode *x = NULL;
	struct inode owner = { .mode = mode };
	struct ext4_inode e;
	int err;

	perm_init_owner(&owner, dir); /* uid, gid, and set-gid directories' rules */
	err = ext4_create(&i->fs, &X(dir)->e, name, len, owner.mode, owner.uid, owner.gid, target,
			  &e);
	if (!err && (!(x = inode_new(i, &e)) || !add_entry(dir, name, len, x)))
		err = -ENOMEM; /* on disk all the same: a lookup finds it */
	sync_vfs(X(dir));
	unlock(i);
	return err ? ERR_PTR(err) : &x->vfs;
}

static struct inode *ext4fs_create(struct inode *dir, const char *name, size_t len, uint32_t mode)
{
	return make(dir, name, len, mode, NULL);
}

static int ext4fs_symlink(struct inode *dir, const char *name, size_t len, const char *target,
			  size_t tlen)
{
	char *t = dup_name(target, tlen);
	struct inode *ino = t ? make(dir, name, len, S_IFLNK | 0777, t) : ERR_PTR(-ENOMEM);

	kfree(t);
	return IS_ERR(ino) ? PTR_ERR(ino) : 0;
}

static int ext4fs_link(struct inode *target, struct inode *dir, const char *name, size_t len)
{
	struct ext4fs_info *i = lock(dir);
	int err = ext4_link(&i->fs, &X(dir)->e, name, len, &X(target)->e);

	if (!err && !add_entry(dir, name, len, X(target)))
		err = -ENOMEM;
	sync_vfs(X(dir));
	sync_vfs(X(target));
	unlock(i);
	return err;
}

/* Take entry `e` out of the cache; an inode that lost its last link on
 * the disk is dead (freed there) and goes when nothing holds it. */
static void drop_entry(struct ext4fs_info *i, struct dentry *e)
{
	struct ext4fs_inode *x = X(e->inode);

	list_del(&e->sibling);
	list_init(&e->sibling);
	e->parent = NULL;
	refresh(i, x->e.ino);
	if (S_ISDIR(x->vfs.mode) || !x->e.links || x->e.dtime) {
		x->dead = true;
		sync_vfs(x);
	}
	if (e != x->vfs.dentry)
		vfs_dentry_free(e);
}

/* Free dead inode `ino` once nothing holds it (vfs_sb.evict). */
static void ext4fs_evict(struct inode *ino)
{
	struct ext4fs_inode *x = X(ino);

	cache_drop_from(x, 0);
	kfree(x->cache);
	list_del(&x->link);
	if (ino->dentry)
		vfs_dentry_free(ino->dentry);
	kfree(x);
}

static void ext4fs_unlink(struct inode *dir, struct dentry *e)
{
	struct ext4fs_info *i = lock(dir);
	struct inode *ino = e->inode;
	int err = S_ISDIR(ino->mode) ? ext4_rmdir(&i->fs, &X(dir)->e, e->name, e->namelen)
				     : ext4_unlink(&i->fs, &X(dir)->e, e->name, e->namelen);

	if (err)
		report("unlink", err);
	else
		drop_entry(i, e);
	sync_vfs(X(dir));
	unlock(i);
	if (!err)
		vfs_iget(ino), vfs_iput(ino); /* evicts it if nothing holds it */
}

/* Move cached entry `e` to `ndir` as `copy` (kmalloc'ed). */
static void move_entry(struct dentry *e, struct inode *ndir, char *copy, size_t nlen)
{
	list_del(&e->sibling);
	if (e->name_owned)
		kfree((void *)e->name);
	e->name = copy;
	e->namelen = nlen;
	e->name_owned = true;
	e->parent = ndir->dentry;
	list_add_tail(&e->sibling, &ndir->dentry->children);
}

static int ext4fs_rename(struct inode *odir, struct dentry *oe, struct inode *ndir,
			 struct dentry *ne, const char *nname, size_t nlen, unsigned flags)
{
	struct ext4fs_info *i;
	char *copy;
	int err;

	if (flags & RENAME_EXCHANGE)
		return -EINVAL; /* the library has no exchange (logged once by nobody: rare) */
	if (!(copy = dup_name(nname, nlen)))
		return -ENOMEM;
	i = lock(odir);
	err = ext4_rename(&i->fs, &X(odir)->e, oe->name, oe->namelen, &X(ndir)->e, nname, nlen);
	if (err) {
		kfree(copy);
	} else {
		struct inode *gone = ne ? ne->inode : NULL;

		if (ne)
			drop_entry(i, ne);
		move_entry(oe, ndir, copy, nlen);
		refresh(i, X(oe->inode)->e.ino);
		if (odir != ndir)
			refresh(i, X(odir)->e.ino);
		if (gone)
			vfs_iget(gone), vfs_iput(gone);
	}
	sync_vfs(X(odir));
	sync_vfs(X(ndir));
	unlock(i);
	return err;
}

static const struct inode_operations ext4fs_iops = {
	.lookup = ext4fs_lookup,
	.iterate = ext4fs_iterate,
	.readlink = ext4fs_readlink,
	.setattr = ext4fs_setattr,
	.create = ext4fs_create,
	.symlink = ext4fs_symlink,
	.link = ext4fs_link,
	.unlink = ext4fs_unlink,
	.rename = ext4fs_rename,
};

/* A read-only mount offers no changing operation (the VFS says EROFS). */
static const struct inode_operations ext4fs_ro_iops = {
	.lookup = ext4fs_lookup,
	.iterate = ext4fs_iterate,
	.readlink = ext4fs_readlink,
	.setattr = ext4fs_setattr,
};

/* ---- the page cache of shared mappings ---- */

static uint64_t cached(const struct ext4fs_inode *x, uint64_t idx)
{
	return idx < x->ncache ? x->cache[idx] : 0;
}

static void cache_drop_from(struct ext4fs_inode *x, uint64_t first)
{
	for (uint64_t n = first; n < x->ncache; n++) {
		if (x->cache[n])
			mem_free_frame(x->cache[n]);
		x->cache[n] = 0;
	}
}

/* The cut page's tail must read as zeros if the file grows again. */
static void cache_zero_tail(struct ext4fs_inode *x, uint64_t size)
{
	uint64_t pa = cached(x, size / PAGE_SIZE);

	if (pa && size % PAGE_SIZE)
		memset((char *)phys_to_virt(pa) + size % PAGE_SIZE, 0,
		       PAGE_SIZE - size % PAGE_SIZE);
}

/* Copy between the cached pages and `buf` (file bytes [off, off + n)):
 * to the cache after a write, from it after a read from the disk. */
static void cache_overlay(struct ext4fs_inode *x, uint64_t off, char *buf, size_t n, bool to_cache)
{
	for (size_t done = 0; done < n && x->ncache;) {
		uint64_t pos = off + done, pa = cached(x, pos / PAGE_SIZE);
		size_t in = pos % PAGE_SIZE, chunk = MIN(n - done, PAGE_SIZE - in);

		if (pa) {
			char *mem = (char *)phys_to_virt(pa) + in;

			memcpy(to_cache ? mem : buf + done, to_cache ? buf + done : mem, chunk);
		}
		done += chunk;
	}
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n && !*p)
		p++, n--;
	return !n;
}

/* Write the cached pages back (lock held): a page of zeros over a hole
 * stays a hole, so merely reading through a mapping allocates nothing. */
static int cache_writeback(struct ext4fs_info *i, struct ext4fs_inode *x)
{
	for (uint64_t n = 0; n < x->ncache; n++) {
		uint64_t off = n * PAGE_SIZE, pblk;
		uint32_t count;
		const uint8_t *mem;
		size_t len;
		int64_t r;

		if (!x->cache[n] || off >= x->e.size)
			continue;
		mem = phys_to_virt(x->cache[n]);
		len = MIN((uint64_t)PAGE_SIZE, x->e.size - off);
		if (all_zero(mem, len) &&
		    !ext4_bmap(&i->fs, &x->e, off / i->fs.block_size, &pblk, &count) && !pblk &&
		    count * (uint64_t)i->fs.block_size >= len)
			continue;
		if ((r = ext4_write(&i->fs, &x->e, off, mem, len)) < 0)
			return (int)r;
	}
	sync_vfs(x);
	return 0;
}

static int cache_grow(struct ext4fs_inode *x, uint64_t idx)
{
	uint64_t n = x->ncache ? x->ncache : 8, *c;

	if (idx < x->ncache)
		return 0;
	while (n <= idx)
		n *= 2;
	if (!(c = kzalloc(n * sizeof(*c))))
		return -ENOMEM;
	if (x->ncache)
		memcpy(c, x->cache, x->ncache * sizeof(*c));
	kfree(x->cache);
	x->cache = c;
	x->ncache = n;
	return 0;
}

/* ---- file data ---- */

/* Read [off, off + n) into kernel buffer `buf` (lock held). */
static long read_locked(struct ext4fs_info *i, struct ext4fs_inode *x, void *buf, size_t n,
			uint64_t off)
{
	int64_t r = ext4_read(&i->fs, &x->e, off, buf, n);

	if (r > 0)
		cache_overlay(x, off, buf, r, false);
	return r;
}

/* A caller's buffer: the program's (user) or the kernel's. */
static long do_read(struct file *f, uint64_t addr, bool user, size_t n, uint64_t off)
{
	struct ext4fs_inode *x = X(f->inode);
	struct ext4fs_info *i;
	char *bounce = user ? kmalloc(MIN(n, (size_t)EXT4FS_BOUNCE)) : NULL;
	size_t done = 0;
	long r = 0;

	if (x->dead)
		return -ESTALE;
	if (user && !bounce && n)
		return -ENOMEM;
	i = lock(f->inode);
	while (done < n) {
		size_t chunk = user ? MIN(n - done, (size_t)EXT4FS_BOUNCE) : n - done;
		char *dst = user ? bounce : (char *)addr + done;

		if ((r = read_locked(i, x, dst, chunk, off + done)) <= 0)
			break;
		if (user && copy_to_user(addr + done, bounce, r)) {
			r = -EFAULT;
			break;
		}
		done += r;
		if ((size_t)r < chunk)
			break;
	}
	unlock(i);
	kfree(bounce);
	return done ? (long)done : r;
}

/* Writes go at `off`, or at the end for O_APPEND (pwrite too, as Linux). */
static long do_write(struct file *f, uint64_t addr, bool user, size_t n, uint64_t off)
{
	struct ext4fs_inode *x = X(f->inode);
	struct ext4fs_info *i;
	char *bounce = user ? kmalloc(MIN(n, (size_t)EXT4FS_BOUNCE)) : NULL;
	size_t done = 0;
	long r = 0;

	if (x->dead)
		return -ESTALE;
	if (user && !bounce && n)
		return -ENOMEM;
	i = lock(f->inode);
	if (f->flags & O_APPEND)
		off = x->e.size;
	while (done < n) {
		size_t chunk = user ? MIN(n - done, (size_t)EXT4FS_BOUNCE) : n - done;
		char *src = user ? bounce : (char *)addr + done;

		if (user && copy_from_user(bounce, addr + done, chunk)) {
			r = -EFAULT;
			break;
		}
		if ((r = ext4_write(&i->fs, &x->e, off + done, src, chunk)) <= 0)
			break;
		cache_overlay(x, off + done, src, r, true);
		done += r;
	}
	sync_vfs(x);
	unlock(i);
	kfree(bounce);
	return done ? (long)done : r;
}

static long ext4fs_read(struct file *f, void *kbuf, size_t n, uint64_t off)
{
	return do_read(f, (uint64_t)kbuf, false, n, off);
}

static long ext4fs_write(struct file *f, const void *kbuf, size_t n, uint64_t off)
{
	return do_write(f, (uint64_t)kbuf, false, n, off);
}

static long ext4fs_read_user(struct file *f, uint64_t ubuf, size_t n, uint64_t off)
{
	return do_read(f, ubuf, true, n, off);
}

static long ext4fs_write_user(struct file *f, uint64_t ubuf, size_t n, uint64_t off)
{
	return do_write(f, ubuf, true, n, off);
}

/* fsync, fdatasync: the mapped pages, the inode's and the superblock's
 * changes, then the disk's cache. */
static long ext4fs_fsync(struct file *f)
{
	struct ext4fs_inode *x = X(f->inode);
	struct ext4fs_info *i = lock(f->inode);
	int err = x->dead || !S_ISREG(x->vfs.mode) ? 0 : cache_writeback(i, x);

	if (!err && !i->fs.read_only)
		err = ext4_sync(&i->fs);
	unlock(i);
	return err;
}

static int ext4fs_fallocate(struct file *f, uint64_t off, uint64_t len, bool keep_size)
{
	struct ext4fs_inode *x = X(f->inode);
	struct ext4fs_info *i;
	int err;

	if (x->dead)
		return -ESTALE;
	/* Blocks past the end need unwritten extents, which the library does
	 * not make yet: written ones there are what e2fsck calls a wrong
	 * i_size.  Refused (logged) rather than leaving the volume unclean. */
	if (keep_size && off + len > x->e.size) {
		klog("ext4: fallocate FALLOC_FL_KEEP_SIZE past the end of a file is not "
		     "supported yet\n");
		return -EOPNOTSUPP;
	}
	i = lock(f->inode);
	err = ext4_fallocate(&i->fs, &x->e, off, len, keep_size);
	sync_vfs(x);
	unlock(i);
	return err;
}

/* ---- mappings (core/vm.h) ---- */

/* A shared mapping maps the cache's page (read from the disk when first
 * cached); a private one copies through fill. */
static long ext4fs_vm_frame(struct inode *ino, uint64_t off, bool shared)
{
	struct ext4fs_inode *x = X(ino);
	uint64_t idx = off / PAGE_SIZE, pa;
	struct ext4fs_info *i;
	long r;

	if (!shared)
		return 0;
	if (off >= ALIGN_UP(ino->size, PAGE_SIZE) || x->dead)
		return -EFAULT;
	if ((pa = cached(x, idx)))
		return pa;
	if (cache_grow(x, idx) || !(pa = mem_alloc_frame(1)))
		return -ENOMEM;
	i = lock(ino);
	r = ext4_read(&i->fs, &x->e, off, phys_to_virt(pa), PAGE_SIZE);
	unlock(i);
	if (r < 0 || x->cache[idx]) { /* an error, or another thread cached it meanwhile */
		mem_free_frame(pa);
		return r < 0 ? -EFAULT : (long)x->cache[idx];
	}
	return x->cache[idx] = pa;
}

static long ext4fs_vm_fill(struct inode *ino, uint64_t off, void *page, size_t n)
{
	struct file f = { .inode = ino };

	return ext4fs_read(&f, page, n, off);
}

static bool ext4fs_vm_resident(struct inode *ino, uint64_t off)
{
	return cached(X(ino), off / PAGE_SIZE);
}

/* An area goes (munmap, exit): what it wrote reaches the file. */
static void ext4fs_vm_put(struct inode *ino)
{
	struct ext4fs_inode *x = X(ino);

	if (x->ncache && !x->dead && !ino->sb->rdonly) {
		struct ext4fs_info *i = lock(ino);
		int err = cache_writeback(i, x);

		unlock(i);
		if (err)
			report("writing back a shared mapping", err);
	}
	vfs_iput(ino);
}

static const struct vm_file_ops ext4fs_vm_ops = {
	.get = vfs_iget,
	.put = ext4fs_vm_put,
	.frame = ext4fs_vm_frame,
	.fill = ext4fs_vm_fill,
	.resident = ext4fs_vm_resident,
	.shared_pages = true,
};

static const struct file_ops ext4fs_file_ops = {
	.read = ext4fs_read,
	.write = ext4fs_write,
	.read_user = ext4fs_read_user,
	.write_user = ext4fs_write_user,
	.fsync = ext4fs_fsync,
	.fallocate = ext4fs_fallocate,
	.vm_ops = &ext4fs_vm_ops,
	.fs_data = true,
	.seekable = true,
};

/* ---- the superblock ---- */

/* statfs in pages (f_bsize is PAGE_SIZE for every filesystem here). */
static void ext4fs_space(const struct vfs_sb *sb, struct vfs_space *sp)
{
	const struct ext4fs_info *i = sb->priv;
	const struct ext4_sb *s = (const struct ext4_sb *)i->fs.sb;
	uint64_t per = PAGE_SIZE / i->fs.block_size ? PAGE_SIZE / i->fs.block_size : 1;
	uint64_t free = ext4_lo_hi(s->free_blocks_count_lo, s->free_blocks_count_hi);

	if (i->fs.block_size > PAGE_SIZE) /* 64 KiB blocks: count pages */
		per = 1, free *= i->fs.block_size / PAGE_SIZE;
	sp->blocks = i->fs.blocks_count / per;
	sp->bfree = free / per;
	sp->files = i->fs.inodes_count;
	sp->ffree = s->free_inodes_count;
}

/* Write back every mapped page, then the superblock and the disk cache. */
static int ext4fs_sync(struct vfs_sb *sb)
{
	struct ext4fs_info *i = sb->priv;
	struct ext4fs_inode *x;
	int err = 0;

	if (i->fs.read_only)
		return 0;
	lock_info(i);
	for (unsigned b = 0; b < EXT4FS_HASH; b++)
		list_for_each_entry(x, &i->hash[b], link)
			if (x->ncache && !x->dead && !err)
				err = cache_writeback(i, x);
	if (!err)
		err = ext4_sync(&i->fs);
	unlock(i);
	if (err)
		report("sync", err);
	return err;
}

/* `source`: the disk's name, "vdb" or "/dev/vdb". */
static struct blk_dev *find_disk(const char *source)
{
	if (!strncmp(source, "/dev/", 5))
		source += 5;
	return blk_find(source);
}

static int mount_disk(struct ext4fs_info *i, struct mount *m, const char *source)
{
	unsigned flags = (m->flags & MS_RDONLY) ? EXT4_MOUNT_RDONLY : 0;
	struct ext4_inode root;
	struct ext4fs_inode *x;
	int err;

	if (!(i->blk = find_disk(source)))
		return -ENXIO; /* Linux: ENXIO or ENOTBLK for a missing device */
	if (i->blk->ro)
		flags = EXT4_MOUNT_RDONLY;
	i->dev = (struct ext4_dev){ .ctx = i,
				    .nr_blocks = i->blk->sectors,
				    .read_blocks = dev_read,
				    .write_blocks = i->blk->ro ? NULL : dev_write,
				    .flush = dev_flush,
				    .alloc = dev_alloc,
				    .free = dev_free,
				    .now = dev_now };
	if ((err = ext4_mount(&i->fs, &i->dev, flags))) {
		klog("ext4: %s: cannot mount: %s (error %d)\n", source,
		     i->fs.error ? i->fs.error : "not ext4", -err);
		return err;
	}
	if (i->fs.read_only && !(m->flags & MS_RDONLY)) {
		klog("ext4: %s: mounted read-only: %s\n", source,
		     i->fs.error ? i->fs.error : "the disk is read-only");
		m->flags |= MS_RDONLY;
	}
	if ((err = ext4_iget(&i->fs, EXT4_ROOT_INO, &root)))
		goto out_unmount;
	err = -ENOMEM;
	if (!(x = inode_new(i, &root)) || !vfs_dentry_new(NULL, NULL, 0, &x->vfs))
		goto out_unmount; /* x (if any) goes with the hash at kill */
	m->root = &x->vfs;
	return 0;
out_unmount:
	ext4_unmount(&i->fs);
	return err;
}

static void free_inodes(struct ext4fs_info *i);

static int ext4fs_fill(struct mount *m, const char *source, const char *data)
{
	struct ext4fs_info *i = kzalloc(sizeof(*i));
	int err;

	if (!i)
		return -ENOMEM;
	if (data && *data) {
		klog("ext4: options '%s' are not supported\n", data);
		kfree(i);
		return -EINVAL;
	}
	waitq_init(&i->waiters);
	for (unsigned b = 0; b < EXT4FS_HASH; b++)
		list_init(&i->hash[b]);
	if ((err = mount_disk(i, m, source))) {
		free_inodes(i);
		kfree(i);
		return err;
	}
	i->sb = (struct vfs_sb){ .name = "ext4",
				 .magic = EXT4_SUPER_MAGIC,
				 .dev = (254u << 8) | (i->blk->index << 4), /* blkdev's numbers */
				 .rdonly = m->flags & MS_RDONLY,
				 .space = ext4fs_space,
				 .evict = ext4fs_evict,
				 .sync = ext4fs_sync,
				 .iops = (m->flags & MS_RDONLY) ? &ext4fs_ro_iops : &ext4fs_iops,
				 .type = &ext4fs_type,
				 .priv = i };
	m->sb = &i->sb;
	return 0;
}

/* Free every inode in memory, with its entries: first the further links'
 * entries (while every directory still lives), then each inode with its
 * own entry. */
static void free_inodes(struct ext4fs_info *i)
{
	struct ext4fs_inode *x;
	struct dentry *d, *n;

	for (unsigned b = 0; b < EXT4FS_HASH; b++)
		list_for_each_entry(x, &i->hash[b], link)
			if (x->vfs.dentry && S_ISDIR(x->vfs.mode))
				list_for_each_entry_safe(d, n, &x->vfs.dentry->children, sibling)
					if (d != d->inode->dentry)
						list_del(&d->sibling), vfs_dentry_free(d);
	for (unsigned b = 0; b < EXT4FS_HASH; b++)
		while (!list_empty(&i->hash[b]))
			ext4fs_evict(
				&list_first_entry(&i->hash[b], struct ext4fs_inode, link)->vfs);
}

/* The last reference went: sync, then free the tree and the library's
 * tables.  An error is logged; nothing more can be done. */
static void ext4fs_kill(struct mount *m)
{
	struct ext4fs_info *i = m->sb->priv;

	ext4fs_sync(m->sb);
	/* Entries hang in their parents' lists: each inode frees its own. */
	free_inodes(i);
	ext4_unmount(&i->fs);
	kfree(i);
}

static int ext4fs_reconfigure(struct mount *m, const char *data)
{
	(void)m;
	return data && *data ? -EINVAL : 0;
}

static struct vfs_fs_type ext4fs_type = {
	.name = "ext4", .fill = ext4fs_fill, .reconfigure = ext4fs_reconfigure, .kill = ext4fs_kill
};

void ext4fs_init(void)
{
	mount_register(&ext4fs_type);
}
