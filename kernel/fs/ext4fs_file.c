/*
 * ext4 file data in the VFS (fs layer): regular files' read, write,
 * fsync and fallocate through the ext4 library, and the per-inode page
 * cache of MAP_SHARED mappings (contract 20), which read() and write() see
 * too and which is written back at fsync, at each munmap of such a mapping
 * and at umount or the instance's end (kernel/fs/ext4fs.c has the rest).
 */
#include "fs/ext4fs.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/mem.h"
#include "core/uaccess.h"
#include "core/vm.h"

#define EXT4FS_BOUNCE (64 * 1024) /* read()/write() staging through the library */

static uint64_t cached(const struct ext4fs_inode *x, uint64_t idx)
{
	return idx < x->ncache ? x->cache[idx] : 0;
}

void ext4fs_cache_drop_from(struct ext4fs_inode *x, uint64_t first)
{
	for (uint64_t n = first; n < x->ncache; n++) {
		if (x->cache[n])
			mem_free_frame(x->cache[n]);
		x->cache[n] = 0;
	}
}

/* The cut page's tail must read as zeros if the file grows again. */
void ext4fs_cache_zero_tail(struct ext4fs_inode *x, uint64_t size)
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
int ext4fs_cache_writeback(struct ext4fs_info *i, struct ext4fs_inode *x)
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
	ext4fs_sync_vfs(x);
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

/* A transfer's staging buffer for a user buffer (`*bounce`; NULL for a
 * kernel one): 0, -ESTALE (the file was freed), -ENOMEM. */
static int xfer_begin(struct ext4fs_inode *x, bool user, size_t n, char **bounce)
{
	*bounce = user && n ? kmalloc(MIN(n, (size_t)EXT4FS_BOUNCE)) : NULL;
	if (x->dead || (user && n && !*bounce)) {
		kfree(*bounce);
		return x->dead ? -ESTALE : -ENOMEM;
	}
	return 0;
}

/*
 * A caller's buffer: the program's (user) or the kernel's.  The lock is
 * taken per chunk and never held across a copy from or to the program: its
 * buffer may be a mapping of a file of this filesystem, whose fault takes
 * the lock.
 */
static long do_read(struct file *f, uint64_t addr, bool user, size_t n, uint64_t off)
{
	struct ext4fs_inode *x = X(f->inode);
	struct ext4fs_info *i = info_of(f->inode);
	size_t done = 0;
	char *bounce;
	long r = xfer_begin(x, user, n, &bounce);

	while (!r && done < n) {
		size_t chunk = user ? MIN(n - done, (size_t)EXT4FS_BOUNCE) : n - done;
		char *dst = user ? bounce : (char *)addr + done;

		ext4fs_lock_info(i);
		r = x->dead ? -ESTALE : read_locked(i, x, dst, chunk, off + done);
		ext4fs_unlock(i);
		if (r <= 0)
			break;
		if (user && copy_to_user(addr + done, bounce, r)) {
			r = -EFAULT;
			break;
		}
		done += r;
		r = (size_t)r < chunk; /* the end of the file: stop */
	}
	kfree(bounce);
	return done ? (long)done : r;
}

/* Writes go at `off`, or at the end for O_APPEND (pwrite too, as Linux). */
static long do_write(struct file *f, uint64_t addr, bool user, size_t n, uint64_t off)
{
	struct ext4fs_inode *x = X(f->inode);
	struct ext4fs_info *i = info_of(f->inode);
	size_t done = 0;
	char *bounce;
	long r = xfer_begin(x, user, n, &bounce);

	while (!r && done < n) {
		size_t chunk = user ? MIN(n - done, (size_t)EXT4FS_BOUNCE) : n - done;
		char *src = user ? bounce : (char *)addr + done;

		if (user && copy_from_user(bounce, addr + done, chunk)) {
			r = -EFAULT;
			break;
		}
		ext4fs_lock_info(i);
		if ((f->flags & O_APPEND) && !done)
			off = x->e.size;
		r = x->dead ? -ESTALE : ext4_write(&i->fs, &x->e, off + done, src, chunk);
		if (r > 0)
			cache_overlay(x, off + done, src, r, true);
		ext4fs_sync_vfs(x);
		ext4fs_unlock(i);
		if (r <= 0)
			break;
		done += r;
		r = 0;
	}
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

/* fsync, fdatasync (@data), msync(MS_SYNC): the mapped pages, the inode's and
 * the superblock's changes (fdatasync: unless only timestamps changed), then
 * the disk's cache. */
static int ext4fs_sync_file(struct inode *ino, bool data)
{
	struct ext4fs_inode *x = X(ino);
	struct ext4fs_info *i = ext4fs_lock(ino);
	int err = x->dead || !S_ISREG(x->vfs.mode) ? 0 : ext4fs_cache_writeback(i, x);

	if (!err && !i->fs.read_only)
		err = data && !x->dead ? ext4_sync_data(&i->fs, x->e.ino) : ext4_sync(&i->fs);
	ext4fs_unlock(i);
	return err;
}

static int ext4fs_sync_inode(struct inode *ino)
{
	return ext4fs_sync_file(ino, false);
}

static long ext4fs_fsync(struct file *f)
{
	return ext4fs_sync_file(f->inode, false);
}

static long ext4fs_fdatasync(struct file *f)
{
	return ext4fs_sync_file(f->inode, true);
}

static int ext4fs_fallocate(struct file *f, uint64_t off, uint64_t len, bool keep_size)
{
	struct ext4fs_inode *x = X(f->inode);
	struct ext4fs_info *i;
	int err;

	if (x->dead)
		return -ESTALE;
	i = ext4fs_lock(f->inode);
	err = ext4_fallocate(&i->fs, &x->e, off, len, keep_size);
	ext4fs_sync_vfs(x);
	ext4fs_unlock(i);
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
	i = ext4fs_lock(ino);
	r = ext4_read(&i->fs, &x->e, off, phys_to_virt(pa), PAGE_SIZE);
	ext4fs_unlock(i);
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
		struct ext4fs_info *i = ext4fs_lock(ino);
		int err = ext4fs_cache_writeback(i, x);

		ext4fs_unlock(i);
		if (err)
			klog("ext4: writing back a shared mapping failed: error %d\n", -err);
	}
	vfs_iput(ino);
}

static const struct vm_file_ops ext4fs_vm_ops = {
	.get = vfs_iget,
	.put = ext4fs_vm_put,
	.frame = ext4fs_vm_frame,
	.fill = ext4fs_vm_fill,
	.resident = ext4fs_vm_resident,
	.sync = ext4fs_sync_inode,
	.shared_pages = true,
};

const struct file_ops ext4fs_file_ops = {
	.read = ext4fs_read,
	.write = ext4fs_write,
	.read_user = ext4fs_read_user,
	.write_user = ext4fs_write_user,
	.fsync = ext4fs_fsync,
	.fdatasync = ext4fs_fdatasync,
	.fallocate = ext4fs_fallocate,
	.vm_ops = &ext4fs_vm_ops,
	.fs_data = true,
	.seekable = true,
};

static long ext4fs_dir_read(struct file *f, void *kbuf, size_t n, uint64_t off)
{
	return -EISDIR;
}

static long ext4fs_dir_write(struct file *f, const void *kbuf, size_t n, uint64_t off)
{
	return -EISDIR;
}

/* A directory's: read(2) and write(2) are EISDIR (the entries come through
 * the inode operations), and fsync commits, since a rename or a create is
 * made durable by fsync of its directory (as Linux's ext4_sync_file). */
const struct file_ops ext4fs_dir_ops = {
	.read = ext4fs_dir_read,
	.write = ext4fs_dir_write,
	.fsync = ext4fs_fsync,
	.seekable = true,
};
