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
 * - File data (kernel/fs/ext4fs_file.c): read() and shared mappings go
 *   through a per-inode page cache (fs/pcache.h, contract 20); write()
 *   goes through to the library and into the cached pages.  Mapped pages
 *   are written back at fsync, at each munmap of such a mapping, and at
 *   umount or the instance's end.
 * - One sleeping lock per filesystem (contract 14): the library's scratch
 *   buffers belong to one caller at a time, and a disk wait gives the CPU
 *   to others.
 * - Durability: fsync writes back the page cache, then ext4_sync (the
 *   superblock's counts and a device flush).  The library writes in place
 *   (no journal yet: see <lib/ext4.h>), so what a crash leaves may need
 *   e2fsck; an orderly exit syncs (vfs_sync_all) before the instance ends.
 *
 * A file unlinked while open lives on in lost+found (ext4fs_orphan.c).
 * Not yet: a file replaced by rename while open loses its data at once
 * (its reads and writes then give ESTALE); RENAME_EXCHANGE gives EINVAL.
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
#include "fs/ext4fs.h"
#include "lib/ext4/ext4_disk.h"

#define EXT4_SUPER_MAGIC 0xEF53	     /* statfs f_type, include/uapi/linux/magic.h */
#define EXT4FS_IO_CHUNK	 (64 * 1024) /* bytes per blk_io from a kernel buffer */
#define EXT4FS_IO_VECS	 (EXT4FS_IO_CHUNK / PAGE_SIZE + 1)
#define NSEC		 1000000000ull
#define S_IFBLK		 0060000 /* include/uapi/linux/stat.h */

static const struct inode_operations ext4fs_iops;
static struct vfs_fs_type ext4fs_type;

/* ---- the lock ---- */

static bool lock_free(void *arg)
{
	return !((struct ext4fs_info *)arg)->busy;
}

void ext4fs_lock_info(struct ext4fs_info *i)
{
	/* Under the system-call rule the test and the set cannot be split. */
	while (i->busy)
		waitq_wait_uninterruptible(&i->waiters, lock_free, i);
	i->busy = true;
}

struct ext4fs_info *ext4fs_lock(const struct inode *ino)
{
	ext4fs_lock_info(info_of(ino));
	return info_of(ino);
}

void ext4fs_unlock(struct ext4fs_info *i)
{
	ext4fs_commit_arm(i);
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
	int err;

	if (ext4fs_bcache_read(ctx, blk, count, buf))
		return 0;
	if (!(err = dev_io(ctx, BLK_OP_READ, blk, count, buf)))
		ext4fs_bcache_fill(ctx, blk, count, buf);
	return err;
}

/* After a failed write what the disk holds is unknown: the cache drops
 * the blocks it touched. */
static int dev_write(void *ctx, uint64_t blk, uint32_t count, const void *buf)
{
	int err = dev_io(ctx, BLK_OP_WRITE, blk, count, (void *)buf);

	ext4fs_bcache_write(ctx, blk, count, err ? NULL : buf);
	return err;
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
void ext4fs_sync_vfs(struct ext4fs_inode *x)
{
	struct inode *v = &x->vfs;

	v->mode = x->e.mode;
	v->uid = x->e.uid;
	v->gid = x->e.gid;
	v->nlink = x->dead || x->orphan ? 0 : x->e.links;
	v->size = x->e.size;
	v->own_blocks = true;
	v->blocks = x->e.blocks; /* 512-byte units, as st_blocks */
	v->atime = ns_of(x->e.atime);
	v->mtime = ns_of(x->e.mtime);
	v->ctime = ns_of(x->e.ctime);
}

static struct list_head *bucket(struct ext4fs_info *i, uint32_t ino)
{
	return &i->hash[ino % EXT4FS_HASH];
}

struct ext4fs_inode *ext4fs_find(struct ext4fs_info *i, uint32_t ino)
{
	struct ext4fs_inode *x;

	/* A dead inode's number may already be a new file's. */
	list_for_each_entry(x, bucket(i, ino), link)
		if (x->e.ino == ino && !x->dead)
			return x;
	return NULL;
}

/* The in-memory inode for library inode `e` (taken over when new). */
struct ext4fs_inode *ext4fs_inode_new(struct ext4fs_info *i, const struct ext4_inode *e)
{
	struct ext4fs_inode *x = kzalloc(sizeof(*x));

	if (!x)
		return NULL;
	x->e = *e;
	x->vfs.ino = e->ino;
	x->vfs.sb = &i->sb;
	x->vfs.fops = S_ISREG(e->mode)	 ? &ext4fs_file_ops
		      : S_ISDIR(e->mode) ? &ext4fs_dir_ops
					 : NULL;
	ext4fs_sync_vfs(x);
	list_add(&x->link, bucket(i, e->ino));
	return x;
}

/* Re-read inode `ino` if it is in memory (the library changed it on disk
 * through a name: unlink, rename). */
static void refresh(struct ext4fs_info *i, uint32_t ino)
{
	struct ext4fs_inode *x = ext4fs_find(i, ino);

	if (x && !x->dead && !ext4_iget(&i->fs, ino, &x->e))
		ext4fs_sync_vfs(x);
}

/* A new cached entry `name` in `dir` for `x`; NULL when out of memory. */
static struct dentry *add_entry(struct inode *dir, const char *name, size_t len,
				struct ext4fs_inode *x)
{
	char *copy = libfs_dup_name(name, len);
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

/* The cached entry `name` of `dir` for in-memory inode `x`, if any: its
 * first entry when that is the one, else a walk of the directory's cache
 * (hard links; a first entry gone). */
static struct dentry *cached_entry(struct inode *dir, struct ext4fs_inode *x, const char *name,
				   size_t len)
{
	struct dentry *d = x->vfs.dentry;

	if (d && d->parent == dir->dentry && d->namelen == len && !memcmp(d->name, name, len))
		return d;
	return libfs_lookup(dir, name, len);
}

/*
 * The disk is asked first, through the directory's index: a name it lacks
 * has no cached entry either (entries are dropped as names go), and a
 * name whose inode is not in memory has none, so the cache of a large
 * directory is never walked for a create's miss or a first stat.
 */
static struct dentry *ext4fs_lookup(struct inode *dir, const char *name, size_t len)
{
	struct dentry *d = NULL;
	struct ext4fs_info *i;
	struct ext4fs_inode *x;
	struct ext4_inode e;
	uint32_t ino;

	if (len > EXT4_NAME_LEN)
		return NULL;
	i = ext4fs_lock(dir);
	if (ext4_lookup(&i->fs, &X(dir)->e, name, len, &ino))
		goto out;
	if ((x = ext4fs_find(i, ino)) && (d = cached_entry(dir, x, name, len)))
		goto out;
	if (!x && (ext4_iget(&i->fs, ino, &e) || !(x = ext4fs_inode_new(i, &e))))
		goto out;
	/* A directory has one entry; one already cached elsewhere stays. */
	if (!S_ISDIR(x->vfs.mode) || !x->vfs.dentry)
		d = add_entry(dir, name, len, x);
out:
	ext4fs_unlock(i);
	return d;
}

/* ext4_readdir's positions are the listing's cookies (and how far into a
 * run of one cookie: ctx->run); "." and ".." are the VFS's to list. */
static void ext4fs_iterate(struct inode *dir, struct vfs_dir_ctx *ctx)
{
	struct ext4fs_info *i = info_of(dir);
	struct ext4_dirent *de = kmalloc(sizeof(*de));
	struct ext4_dir_pos next = { ctx->pos, ctx->run };
	int r = 1;

	while (de && r == 1) {
		/* One entry at a time: emit copies to the program, whose buffer
		 * may be a mapping of a file here (its fault takes the lock). */
		ext4fs_lock_info(i);
		r = ext4_readdir(&i->fs, &X(dir)->e, &next, de);
		ext4fs_unlock(i);
		if (r != 1)
			break;
		if (!(de->name_len == 1 && de->name[0] == '.') &&
		    !(de->name_len == 2 && de->name[0] == '.' && de->name[1] == '.') &&
		    !ctx->emit(ctx, de->name, de->name_len, de->ino,
			       (uint32_t)ext4_dt(de->type) << 12, next.off))
			break;
		ctx->pos = next.off;
		ctx->run = next.run;
	}
	kfree(de);
}

static long ext4fs_readlink(struct inode *ino, char *buf, size_t n)
{
	struct ext4fs_info *i = ext4fs_lock(ino);
	long r = ext4_readlink(&i->fs, &X(ino)->e, buf, n);

	ext4fs_unlock(i);
	return r;
}

static int ext4fs_setattr(struct inode *ino, const struct vfs_iattr *a)
{
	struct ext4fs_inode *x = X(ino);
	struct ext4fs_info *i;
	int err = 0;

	if ((a->valid & VFS_ATTR_SIZE) && !S_ISREG(ino->mode))
		return S_ISDIR(ino->mode) ? -EISDIR : -EINVAL;
	if (x->dead)
		return -ESTALE;
	i = ext4fs_lock(ino);
	if (a->valid & VFS_ATTR_SIZE) {
		if (a->size < x->e.size) {
			vm_file_truncate(ino, a->size);
			pcache_zero_tail(&x->pc, a->size);
			pcache_drop_from(&x->pc, ALIGN_UP(a->size, PAGE_SIZE) / PAGE_SIZE);
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
	ext4fs_sync_vfs(x);
	ext4fs_unlock(i);
	return err;
}

/* Make `name` in `dir` (a symlink to `target` when not NULL). */
static struct inode *make(struct inode *dir, const char *name, size_t len, uint32_t mode,
			  const char *target)
{
	struct ext4fs_info *i = ext4fs_lock(dir);
	struct ext4fs_inode *x = NULL;
	struct inode owner = { .mode = mode };
	struct ext4_inode e;
	int err;

	perm_init_owner(&owner, dir); /* uid, gid, and set-gid directories' rules */
	err = ext4_create(&i->fs, &X(dir)->e, name, len, owner.mode, owner.uid, owner.gid, target,
			  &e);
	if (!err && (!(x = ext4fs_inode_new(i, &e)) || !add_entry(dir, name, len, x)))
		err = -ENOMEM; /* on disk all the same: a lookup finds it */
	ext4fs_sync_vfs(X(dir));
	ext4fs_unlock(i);
	return err ? ERR_PTR(err) : &x->vfs;
}

static struct inode *ext4fs_create(struct inode *dir, const char *name, size_t len, uint32_t mode)
{
	return make(dir, name, len, mode, NULL);
}

static int ext4fs_symlink(struct inode *dir, const char *name, size_t len, const char *target,
			  size_t tlen)
{
	char *t = libfs_dup_name(target, tlen);
	struct inode *ino = t ? make(dir, name, len, S_IFLNK | 0777, t) : ERR_PTR(-ENOMEM);

	kfree(t);
	return IS_ERR(ino) ? PTR_ERR(ino) : 0;
}

static int ext4fs_link(struct inode *target, struct inode *dir, const char *name, size_t len)
{
	struct ext4fs_info *i = ext4fs_lock(dir);
	int err = ext4_link(&i->fs, &X(dir)->e, name, len, &X(target)->e);

	if (!err && !add_entry(dir, name, len, X(target)))
		err = -ENOMEM;
	ext4fs_sync_vfs(X(dir));
	ext4fs_sync_vfs(X(target));
	ext4fs_unlock(i);
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
	if (!x->orphan && (S_ISDIR(x->vfs.mode) || !x->e.links || x->e.dtime)) {
		x->dead = true;
		ext4fs_sync_vfs(x);
	}
	if (e != x->vfs.dentry)
		vfs_dentry_free(e);
}

/* Free dead inode `ino` once nothing holds it (vfs_sb.evict). */
static void ext4fs_evict(struct inode *ino)
{
	struct ext4fs_inode *x = X(ino);

	if (x->orphan)
		ext4fs_orphan_release(info_of(ino), x);
	pcache_free(&x->pc);
	list_del(&x->link);
	if (ino->dentry)
		vfs_dentry_free(ino->dentry);
	kfree(x);
}

static void ext4fs_unlink(struct inode *dir, struct dentry *e)
{
	struct ext4fs_info *i = ext4fs_lock(dir);
	struct inode *ino = e->inode;
	int err;

	if (S_ISDIR(ino->mode))
		err = ext4_rmdir(&i->fs, &X(dir)->e, e->name, e->namelen);
	else if (ino->refs && X(ino)->e.links == 1 && !ext4fs_orphan(i, X(dir), e))
		err = 0; /* still open: kept, nameless, until its last close */
	else
		err = ext4_unlink(&i->fs, &X(dir)->e, e->name, e->namelen);
	if (err)
		report("unlink", err);
	else
		drop_entry(i, e);
	ext4fs_sync_vfs(X(dir));
	ext4fs_unlock(i);
	if (!err)
		vfs_iget(ino), vfs_iput(ino); /* evicts it if nothing holds it */
}

static int ext4fs_rename(struct inode *odir, struct dentry *oe, struct inode *ndir,
			 struct dentry *ne, const char *nname, size_t nlen, unsigned flags)
{
	struct ext4fs_info *i;
	char *copy;
	int err;

	if (flags & RENAME_EXCHANGE)
		return -EINVAL; /* the library has no exchange (logged once by nobody: rare) */
	if (!(copy = libfs_dup_name(nname, nlen)))
		return -ENOMEM;
	i = ext4fs_lock(odir);
	err = ext4_rename(&i->fs, &X(odir)->e, oe->name, oe->namelen, &X(ndir)->e, nname, nlen);
	if (err) {
		kfree(copy);
	} else {
		struct inode *gone = ne ? ne->inode : NULL;

		if (ne)
			drop_entry(i, ne);
		vfs_dentry_move(oe, ndir, copy, nlen);
		refresh(i, X(oe->inode)->e.ino);
		if (odir != ndir)
			refresh(i, X(odir)->e.ino);
		if (gone)
			vfs_iget(gone), vfs_iput(gone);
	}
	ext4fs_sync_vfs(X(odir));
	ext4fs_sync_vfs(X(ndir));
	ext4fs_unlock(i);
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
	ext4fs_lock_info(i);
	for (unsigned b = 0; b < EXT4FS_HASH; b++)
		list_for_each_entry(x, &i->hash[b], link)
			if (x->pc.mapped && !x->dead && !err)
				err = ext4fs_cache_writeback(i, x);
	if (!err) /* sync(2), syncfs: the log's transactions go home too */
		err = ext4_checkpoint(&i->fs);
	ext4fs_unlock(i);
	if (err)
		report("sync", err);
	return err;
}

/* `source`: the disk's name, "vdb" or "/dev/vdb". */
/* `source`: a block device's path (mount(2): "/dev/vdb"), or a disk's
 * name (the per-run volumes: "vdb").  0, -ENOENT, -ENOTBLK, -ENXIO. */
static int find_disk(const char *source, struct blk_dev **out)
{
	struct inode *ino;

	if (source[0] != '/') {
		*out = blk_find(source);
		return *out ? 0 : -ENXIO;
	}
	ino = vfs_lookup(vfs_cwd(), source, true);
	if (IS_ERR(ino))
		return PTR_ERR(ino);
	if ((ino->mode & S_IFMT) != S_IFBLK)
		return -ENOTBLK; /* Linux's lookup_bdev */
	*out = blkdev_disk(ino);
	return *out ? 0 : -ENXIO;
}

static int mount_disk(struct ext4fs_info *i, struct mount *m, const char *source)
{
	unsigned flags = (m->flags & MS_RDONLY) ? EXT4_MOUNT_RDONLY : 0;
	struct ext4_inode root;
	struct ext4fs_inode *x;
	int err;

	if ((err = find_disk(source, &i->blk)))
		return err;
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
	if (!(x = ext4fs_inode_new(i, &root)) || !vfs_dentry_new(NULL, NULL, 0, &x->vfs))
		goto out_unmount; /* x (if any) goes with the hash at kill */
	m->root = &x->vfs;
	if (!i->fs.read_only)
		ext4fs_orphan_cleanup(i);
	return 0;
out_unmount:
	ext4_unmount(&i->fs);
	ext4fs_bcache_free(i);
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
		ext4fs_bcache_free(i);
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
				 .iops = &ext4fs_iops, /* the VFS refuses changes when read-only */
				 .type = &ext4fs_type,
				 .priv = i };
	if (!i->fs.read_only && ext4fs_commit_add(i))
		klog("ext4: no commit thread (out of memory): changes wait for fsync or sync\n");
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

	ext4fs_commit_remove(i);
	ext4fs_sync(m->sb);
	/* Entries hang in their parents' lists: each inode frees its own. */
	free_inodes(i);
	if (!i->fs.read_only) /* the orphans' unlinks */
		ext4_sync(&i->fs);
	ext4_unmount(&i->fs);
	ext4fs_bcache_free(i);
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
