/*
 * ext4 file data in the VFS (fs layer): regular files' read, write, fsync
 * and fallocate, and their page cache (fs/pcache.h, contract 20).  read()
 * copies from cached pages, filling missing ones straight from the disk
 * (whole runs of blocks per request, with readahead for sequential reads);
 * O_DIRECT reads at a page boundary skip the cache (the disk, then mapped
 * pages over it).  write() is write-through: the library writes the disk
 * at each call, and the bytes go into any cached page too, so clean pages
 * always equal the disk and may be dropped at any time.  Pages of
 * MAP_SHARED mappings may be dirty: they are written back at fsync, at each
 * munmap of such a mapping and at umount or the instance's end
 * (kernel/fs/ext4fs.c has the rest).
 */
#include "fs/ext4fs.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/mem.h"
#include "core/uaccess.h"
#include "core/vm.h"
#include "drivers/blk.h"

#define EXT4FS_BOUNCE	    (64 * 1024) /* read()/write() staging through the library */
#define EXT4FS_FILL_PAGES   256		/* pages one fill reads at most (pcache's largest window) */
#define EXT4FS_DIRECT_PAGES 16		/* pages an O_DIRECT read through frames reads at once */

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n && !*p)
		p++, n--;
	return !n;
}

/* Write the mapped pages back (lock held; clean pages equal the disk): a
 * page of zeros over a hole stays a hole, so merely reading through a
 * mapping allocates nothing. */
int ext4fs_cache_writeback(struct ext4fs_info *i, struct ext4fs_inode *x)
{
	for (uint64_t n = 0; x->pc.mapped && n < x->pc.n; n++) {
		uint64_t off = n * PAGE_SIZE, pblk;
		uint32_t count;
		const uint8_t *mem;
		size_t len;
		int64_t r;

		if (!pcache_is_mapped(&x->pc, n) || off >= x->e.size)
			continue;
		mem = phys_to_virt(pcache_page(&x->pc, n));
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

/* ---- filling pages from the disk ---- */

/* Disk blocks on their way to or from memory: one blk_io per run of
 * contiguous blocks, its segments the blocks' places in the frames. */
struct fill_run {
	struct ext4fs_info *i;
	enum blk_op op;
	struct blk_vec *vec; /* room for cap */
	unsigned nvec, cap;
	uint64_t first, next; /* the run's first block and the block after it */
};

/* Send the run; a write drops the blocks from the block cache (which a
 * read through the library may have filled), whose copies it outdates. */
static int fill_flush(struct fill_run *run)
{
	uint32_t per = run->i->fs.block_size / BLK_SECTOR_SIZE;
	int err = run->nvec ? blk_io(run->i->blk, run->op, 0, run->first * per, run->vec, run->nvec)
			    : 0;

	if (run->nvec && run->op == BLK_OP_WRITE)
		ext4fs_bcache_write(run->i, run->first * per,
				    (uint32_t)(run->next - run->first) * per, NULL);
	run->nvec = 0;
	return err;
}

/* Block `pblk` of the disk into physical memory `pa`. */
static int fill_add(struct fill_run *run, uint64_t pblk, uint64_t pa)
{
	uint32_t bs = run->i->fs.block_size;
	struct blk_vec *last = run->nvec ? &run->vec[run->nvec - 1] : NULL;
	int err;

	if (last && pblk == run->next && last->pa + last->len == pa && last->len < PAGE_SIZE) {
		last->len += bs, run->next++;
		return 0;
	}
	if (last && (pblk != run->next || run->nvec == run->cap) && (err = fill_flush(run)))
		return err;
	if (!run->nvec)
		run->first = pblk;
	run->vec[run->nvec++] = (struct blk_vec){ .pa = pa, .len = bs };
	run->next = pblk + 1;
	return 0;
}

/* Blocks [lblk, lblk + count) of the file, mapped from `pblk` (0: zeros
 * to read, -EAGAIN to write), and their places in `frames` (page `first`
 * of the file first). */
static int fill_blocks(struct fill_run *run, uint64_t first, const uint64_t *frames, uint64_t lblk,
		       uint64_t pblk, uint64_t count)
{
	uint32_t bs = run->i->fs.block_size, per = PAGE_SIZE / bs;
	int err = 0;

	for (uint64_t k = 0; k < count && !err; k++, lblk++) {
		uint64_t pa = frames[lblk / per - first] + (lblk % per) * bs;

		if (pblk)
			err = fill_add(run, pblk + k, pa);
		else if (run->op == BLK_OP_WRITE)
			err = -EAGAIN;
		else
			memset(phys_to_virt(pa), 0, bs);
	}
	return err;
}

/*
 * Move file pages [first, first + n) (n <= EXT4FS_FILL_PAGES) between the
 * frames `frames` and the disk (op), whole runs of contiguous blocks per
 * request (blk_io sends a run's requests all at once).  A read gives zeros
 * for holes, unwritten extents and bytes past the end; a write is of
 * blocks in place, and stops at the first that has none (-EAGAIN: the
 * caller writes through the library, which allocates).  Lock held.  0,
 * -EAGAIN, -EOPNOTSUPP (blocks larger than a page: the caller goes through
 * the library), -ENOMEM, -EIO, -EUCLEAN.
 */
static int map_frames(struct ext4fs_info *i, struct ext4fs_inode *x, uint64_t first, uint64_t n,
		      const uint64_t *frames, enum blk_op op)
{
	uint32_t bs = i->fs.block_size, per = PAGE_SIZE / bs, count;
	uint64_t lblk = first * per, end = (first + n) * per,
		 eof = ALIGN_UP(x->e.size, (uint64_t)bs) / bs;
	/* Sized to the call: a large kmalloc maps pages, a cost per 4 KiB call. */
	struct fill_run run = { .i = i,
				.op = op,
				.cap = (unsigned)MIN(n * per, EXT4FS_FILL_PAGES) };
	uint64_t pblk;
	int err = 0;

	if (bs > PAGE_SIZE)
		return -EOPNOTSUPP;
	if (!(run.vec = kmalloc(run.cap * sizeof(*run.vec))))
		return -ENOMEM;
	while (lblk < end && !err) {
		pblk = 0, count = (uint32_t)MIN(end - lblk, (uint64_t)UINT32_MAX);
		if (lblk < eof && !(err = ext4_bmap(&i->fs, &x->e, (uint32_t)lblk, &pblk, &count)))
			count = (uint32_t)MIN((uint64_t)count, MIN(end, eof) - lblk);
		if (!err)
			err = fill_blocks(&run, first, frames, lblk, pblk, count);
		lblk += count;
	}
	if (!err)
		err = fill_flush(&run);
	kfree(run.vec);
	if (!err && op == BLK_OP_READ && x->e.size / PAGE_SIZE - first < n && x->e.size % PAGE_SIZE)
		memset((char *)phys_to_virt(frames[x->e.size / PAGE_SIZE - first]) +
			       x->e.size % PAGE_SIZE,
		       0, PAGE_SIZE - x->e.size % PAGE_SIZE);
	return err;
}

/* Fresh frames for `n` pages into `frames`: how many it got. */
static uint64_t frames_alloc(uint64_t *frames, uint64_t n)
{
	uint64_t got = 0;

	while (got < n && (frames[got] = mem_alloc_frame(0)))
		got++;
	return got;
}

static void frames_free(const uint64_t *frames, uint64_t n)
{
	for (uint64_t k = 0; k < n; k++)
		mem_free_frame(frames[k]);
}

/*
 * Cache the uncached pages from `idx` on, up to `want` of them (at least
 * page idx, which is below the file's end), as clean pages (lock held).
 * Returns how many it cached (>= 1), or -errno: -ENOMEM (no memory: the
 * caller reads through the library), map_frames' errors.
 */
static long cache_fill(struct ext4fs_info *i, struct ext4fs_inode *x, uint64_t idx, uint64_t want)
{
	uint64_t *frames, n = 1, end = ALIGN_UP(x->e.size, PAGE_SIZE) / PAGE_SIZE, k = 0;
	int err;

	if (idx >= end)
		return -EINVAL;
	want = MIN(MIN(want, (uint64_t)EXT4FS_FILL_PAGES), end - idx);
	while (n < want && !pcache_page(&x->pc, idx + n))
		n++;
	if (!(frames = kmalloc(n * sizeof(*frames))))
		return -ENOMEM;
	pcache_reserve(n);
	n = frames_alloc(frames, n);
	err = n ? map_frames(i, x, idx, n, frames, BLK_OP_READ) : -ENOMEM;
	while (!err && k < n && !pcache_insert(&x->pc, idx + k, frames[k], false))
		k++;
	frames_free(frames + k, n - k); /* what the cache did not take */
	kfree(frames);
	return k ? (long)k : (err ? err : -ENOMEM);
}

/* ---- file data ---- */

/* O_DIRECT: bypass the cache for whole pages at a page boundary (Linux asks
 * block alignment; an unaligned transfer goes through the cache). */
static bool direct_io(const struct file *f, uint64_t off)
{
	return (f->flags & O_DIRECT) && off % PAGE_SIZE == 0;
}

/* A read of n (> 0, within the file) bytes at page-aligned `off` straight
 * from the disk, EXT4FS_DIRECT_PAGES at a time through frames, then the
 * mapped pages over it (lock held). */
static long read_direct(struct ext4fs_info *i, struct ext4fs_inode *x, char *buf, size_t n,
			uint64_t off)
{
	uint64_t frames[EXT4FS_DIRECT_PAGES];

	for (size_t done = 0; done < n;) {
		size_t part = MIN(n - done, (size_t)EXT4FS_DIRECT_PAGES * PAGE_SIZE);
		uint64_t np = ALIGN_UP(part, PAGE_SIZE) / PAGE_SIZE, got = frames_alloc(frames, np);

		if (got < np ||
		    map_frames(i, x, (off + done) / PAGE_SIZE, np, frames, BLK_OP_READ)) {
			int64_t r;

			frames_free(frames, got); /* no memory, or the library says why */
			r = ext4_read(&i->fs, &x->e, off + done, buf + done, n - done);
			done += r > 0 ? (size_t)r : 0;
			pcache_overlay(&x->pc, off, buf, done, false);
			return done ? (long)done : r;
		}
		for (uint64_t k = 0; k < np; k++)
			memcpy(buf + done + k * PAGE_SIZE, phys_to_virt(frames[k]),
			       MIN(PAGE_SIZE, part - k * PAGE_SIZE));
		frames_free(frames, np);
		done += part;
	}
	pcache_overlay(&x->pc, off, buf, n, false);
	return (long)n;
}

/* Copy cached file bytes [off, off + n) to `buf`, filling missing pages
 * (with readahead) first (lock held; n > 0, within the file). */
static long read_cached(struct ext4fs_info *i, struct ext4fs_inode *x, char *buf, size_t n,
			uint64_t off)
{
	uint64_t idx = off / PAGE_SIZE, last = (off + n - 1) / PAGE_SIZE;
	size_t done = 0;

	for (; idx <= last; idx++) {
		size_t in = (off + done) % PAGE_SIZE, chunk = MIN(n - done, PAGE_SIZE - in);
		uint64_t pa = pcache_page(&x->pc, idx);

		if (!pa &&
		    cache_fill(i, x, idx, pcache_ra_window(&x->pc, idx, last - idx + 1)) < 0) {
			int64_t got = ext4_read(&i->fs, &x->e, off + done, buf + done, n - done);

			if (got > 0)
				pcache_overlay(&x->pc, off + done, buf + done, (size_t)got, false);
			return got < 0 && !done ? got : (long)(done + MAX(got, 0));
		}
		memcpy(buf + done, (char *)phys_to_virt(pcache_page(&x->pc, idx)) + in, chunk);
		done += chunk;
	}
	pcache_read_done(&x->pc, last + 1);
	return (long)n;
}

/* Read [off, off + n) into kernel buffer `buf` (lock held). */
static long read_locked(struct ext4fs_info *i, struct ext4fs_inode *x, const struct file *f,
			void *buf, size_t n, uint64_t off)
{
	if (off >= x->e.size || !n)
		return 0;
	n = MIN((uint64_t)n, x->e.size - off);
	return direct_io(f, off) ? read_direct(i, x, buf, n, off) : read_cached(i, x, buf, n, off);
}

/*
 * O_DIRECT of whole pages at a page boundary from or into a page-aligned
 * buffer: straight between the disk and the program's pages (pinned, as
 * kernel/fs/blkdev.c's zero-copy path), up to EXT4FS_FILL_PAGES pages per
 * step with every request of a step in flight; the cached pages follow (a
 * mapped page overtakes what a read got; a write goes into every cached
 * page).  A write covers blocks in place only, within the file.  Returns
 * the bytes moved; *err is set for a failure the caller must report
 * (-EIO, -ESTALE), and otherwise the caller moves the rest the ordinary
 * way (an unaligned call, the end of the file, blocks to allocate, a page
 * that cannot be pinned, whose EFAULT the bounce path then reports).
 */
static size_t direct_user(struct file *f, uint64_t ubuf, size_t n, uint64_t off, bool wr, long *err)
{
	struct ext4fs_inode *x = X(f->inode);
	struct ext4fs_info *i = info_of(f->inode);
	size_t done = 0, max = MIN(n / PAGE_SIZE, (size_t)EXT4FS_FILL_PAGES);
	struct blk_vec *vec;
	uint64_t *frames;
	int r = 0;

	/* Sized to the call: a large kmalloc maps pages, a cost per 4 KiB call. */
	if (!(f->flags & O_DIRECT) || (f->flags & O_APPEND) || (off | n | ubuf) % PAGE_SIZE || !n ||
	    !(vec = kmalloc(max * (sizeof(*vec) + sizeof(*frames)))))
		return 0;
	frames = (uint64_t *)(vec + max);
	while (done < n && !r) {
		uint64_t pos = off + done, size = x->e.size;
		size_t part = MIN(n - done, (size_t)EXT4FS_FILL_PAGES * PAGE_SIZE);
		int np;

		if (pos >= size || (wr && pos + part > size))
			break;
		part = MIN(part, size - pos); /* a read's last, partial page is zero-filled */
		if ((np = blkdev_pin_user(ubuf + done, ALIGN_UP(part, PAGE_SIZE), !wr, vec,
					  (unsigned)max)) < 0)
			break;
		for (int k = 0; k < np; k++)
			frames[k] = vec[k].pa;
		ext4fs_lock_info(i);
		r = x->dead ? -ESTALE
			    : map_frames(i, x, pos / PAGE_SIZE, (uint64_t)np, frames,
					 wr ? BLK_OP_WRITE : BLK_OP_READ);
		for (int k = 0; !r && k < np; k++)
			pcache_overlay(&x->pc, pos + (uint64_t)k * PAGE_SIZE,
				       phys_to_virt(frames[k]),
				       MIN(PAGE_SIZE, part - k * PAGE_SIZE), wr);
		if (!r && wr)
			r = ext4_data_written(&i->fs, &x->e);
		ext4fs_sync_vfs(x);
		ext4fs_unlock(i);
		blkdev_unpin(vec, (unsigned)np);
		if (!r)
			done += part;
	}
	kfree(vec);
	if (r == -EIO || r == -ESTALE)
		*err = r;
	return done;
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
	char *bounce = NULL;
	long r = 0;
	size_t done = user ? direct_user(f, addr, n, off, false, &r) : 0;

	if (!r && done < n)
		r = xfer_begin(x, user, n - done, &bounce);
	while (!r && done < n) {
		size_t chunk = user ? MIN(n - done, (size_t)EXT4FS_BOUNCE) : n - done;
		char *dst = user ? bounce : (char *)addr + done;

		ext4fs_lock_info(i);
		r = x->dead ? -ESTALE : read_locked(i, x, f, dst, chunk, off + done);
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

static int ext4fs_sync_file(struct inode *ino, bool data);

/* Writes go at `off`, or at the end for O_APPEND (pwrite too, as Linux).
 * With O_DSYNC (or O_SYNC, which holds it) what was written is durable when
 * the call returns, as Linux's generic_write_sync: fdatasync's work, or
 * fsync's under O_SYNC; a failed sync fails the call. */
static long do_write(struct file *f, uint64_t addr, bool user, size_t n, uint64_t off)
{
	struct ext4fs_inode *x = X(f->inode);
	struct ext4fs_info *i = info_of(f->inode);
	char *bounce = NULL;
	long r = 0;
	size_t done = user ? direct_user(f, addr, n, off, true, &r) : 0;

	if (!r && done < n)
		r = xfer_begin(x, user, n - done, &bounce);
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
			pcache_overlay(&x->pc, off + done, src, r, true);
		ext4fs_sync_vfs(x);
		ext4fs_unlock(i);
		if (r <= 0)
			break;
		done += r;
		r = 0;
	}
	kfree(bounce);
	if (done && (f->flags & O_DSYNC) &&
	    (r = ext4fs_sync_file(f->inode, !(f->flags & __O_SYNC))))
		return r;
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
 * cached), which is never dropped as clean again; a private one copies
 * through fill. */
static long ext4fs_vm_frame(struct inode *ino, uint64_t off, bool shared)
{
	struct ext4fs_inode *x = X(ino);
	uint64_t idx = off / PAGE_SIZE;
	struct ext4fs_info *i;
	long r = 0;

	if (!shared)
		return 0;
	if (off >= ALIGN_UP(ino->size, PAGE_SIZE) || x->dead)
		return -EFAULT;
	i = ext4fs_lock(ino);
	if (!pcache_page(&x->pc, idx))
		r = cache_fill(i, x, idx, 1);
	if (r >= 0)
		pcache_set_mapped(&x->pc, idx);
	ext4fs_unlock(i);
	return r < 0 ? (r == -ENOMEM ? -ENOMEM : -EFAULT) : (long)pcache_page(&x->pc, idx);
}

static long ext4fs_vm_fill(struct inode *ino, uint64_t off, void *page, size_t n)
{
	struct file f = { .inode = ino };

	return ext4fs_read(&f, page, n, off);
}

static bool ext4fs_vm_resident(struct inode *ino, uint64_t off)
{
	return pcache_page(&X(ino)->pc, off / PAGE_SIZE);
}

/* An area goes (munmap, exit): what it wrote reaches the file. */
static void ext4fs_vm_put(struct inode *ino)
{
	struct ext4fs_inode *x = X(ino);

	if (x->pc.mapped && !x->dead && !ino->sb->rdonly) {
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
