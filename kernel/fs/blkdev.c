/*
 * The block device files /dev/vda, /dev/vdb, ... (Linux's block/fops.c):
 * read and write at any offset and length, straight to the device through
 * the block layer (drivers/blk.h) -- there is no page cache yet, so every
 * call is what Linux calls direct I/O, and a write that covers part of a
 * block reads the block first (read-modify-write).  fsync and fdatasync
 * flush the device's cache, and so does a write with O_SYNC or O_DSYNC;
 * lseek's SEEK_END is the device's size while
 * stat shows size 0, as on Linux; the BLK* ioctls programs use to size a
 * disk.  O_DIRECT asks the alignment Linux asks (offset and length on the
 * logical block size, the buffer on the 512 bytes of the queue's DMA
 * alignment, else EINVAL).
 *
 * Numbers: major 254, minor 16 per disk (vda 254:0, vdb 254:16), the
 * numbers a Linux guest's virtio_blk gets (its major is dynamic, and 254
 * is what it draws on Debian's cloud kernel); owner root, group disk (6).
 *
 * A call whose offset and length are whole blocks goes straight between
 * the device and the program's pages; others (and the kernel-buffer forms
 * that sendfile and copy_file_range use) move through a bounce buffer of
 * frames.  Either way at most BLKDEV_WINDOW bytes at a time, every request
 * of a window in flight at once.  Two writers of parts of one block at the
 * same moment may lose one of the parts (no page lock orders them); Linux
 * orders them in its cache.
 */
#include "arch/x86_64/paging.h"
#include "arch/x86_64/trap.h"
#include "core/cred.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/mem.h"
#include "core/uaccess.h"
#include "core/vm.h"
#include "drivers/blk.h"
#include "fs/vfs.h"

#define BLKDEV_MAJOR	254 /* virtblk's, as a Debian guest gets it */
#define BLKDEV_MINORS	16  /* per disk: the disk and 15 partitions */
#define BLKDEV_MODE	(S_IFBLK | 0660)
#define BLKDEV_GID_DISK 6	   /* Debian's "disk" group */
#define BLKDEV_WINDOW	(1u << 20) /* bytes one bounce buffer holds */
#define BLKDEV_FRAMES	(BLKDEV_WINDOW / PAGE_SIZE)

/* ioctl numbers (include/uapi/linux/fs.h). */
#define BLKROGET     0x125e	/* _IO(0x12, 94): int, 1 if read-only */
#define BLKGETSIZE   0x1260	/* _IO(0x12, 96): unsigned long, sectors */
#define BLKFLSBUF    0x1261	/* _IO(0x12, 97): drop the buffer cache */
#define BLKSSZGET    0x1268	/* _IO(0x12, 104): int, logical block size */
#define BLKBSZGET    0x80081270 /* _IOR(0x12, 112, size_t): int, soft block size */
#define BLKGETSIZE64 0x80081272 /* _IOR(0x12, 114, size_t): u64, bytes */
#define BLKPBSZGET   0x127b	/* _IO(0x12, 123): unsigned, physical block size */

static struct blk_dev *blkdev_of(const struct file *f)
{
	return blk_get((f->inode->rdev & 0xff) / BLKDEV_MINORS);
}

/* A bounce buffer: frames, not contiguous, seen as one run of bytes, and
 * room for the segments of one window. */
struct bounce {
	uint64_t pa[BLKDEV_FRAMES];
	struct blk_vec vec[BLKDEV_FRAMES + 1];
	unsigned n;
};

static void bounce_free(struct bounce *b)
{
	while (b->n)
		mem_free_frame(b->pa[--b->n]);
	kfree(b);
}

/* Enough frames for `bytes` (at most a window); NULL when out of memory. */
static struct bounce *bounce_alloc(uint64_t bytes)
{
	unsigned want =
		(unsigned)((MIN(bytes, (uint64_t)BLKDEV_WINDOW) + PAGE_SIZE - 1) / PAGE_SIZE);
	struct bounce *b = kmalloc(sizeof(*b));

	if (!b)
		return NULL;
	for (b->n = 0; b->n < want; b->n++) {
		if (!(b->pa[b->n] = mem_alloc_frame(0))) {
			bounce_free(b);
			return NULL;
		}
	}
	return b;
}

/* The segments of bytes [from, from + len) of `b` into `vec`: their count. */
static unsigned bounce_vec(const struct bounce *b, uint64_t from, uint64_t len, struct blk_vec *vec)
{
	unsigned n = 0;

	while (len) {
		uint32_t in = (uint32_t)(from % PAGE_SIZE),
			 part = (uint32_t)MIN(len, (uint64_t)PAGE_SIZE - in);
		vec[n++] = (struct blk_vec){ b->pa[from / PAGE_SIZE] + in, part };
		from += part;
		len -= part;
	}
	return n;
}

/* The caller's buffer: the program's memory, or the kernel's. */
struct buf {
	uint64_t addr;
	bool kernel;
};

/* Move `len` bytes between the caller's buffer at `ubuf` and `b` at
 * `from`; 0 or -EFAULT. */
static int bounce_user(const struct bounce *b, uint64_t from, struct buf ubuf, uint64_t len,
		       bool to_user)
{
	while (len) {
		uint32_t in = (uint32_t)(from % PAGE_SIZE),
			 part = (uint32_t)MIN(len, (uint64_t)PAGE_SIZE - in);
		uint8_t *k = (uint8_t *)phys_to_virt(b->pa[from / PAGE_SIZE]) + in;
		void *kb = (void *)ubuf.addr;

		if (ubuf.kernel)
			memcpy(to_user ? kb : k, to_user ? k : kb, part);
		else if (to_user ? copy_to_user(ubuf.addr, k, part)
				 : copy_from_user(k, ubuf.addr, part))
			return -EFAULT;
		from += part;
		ubuf.addr += part;
		len -= part;
	}
	return 0;
}

/* Read or write bytes [from, from + len) of the device through `b` (whose
 * byte 0 is the device's byte `base`). */
static int bounce_io(struct blk_dev *d, struct bounce *b, uint64_t base, uint64_t from,
		     uint64_t len, enum blk_op op)
{
	unsigned n = bounce_vec(b, from - base, len, b->vec);

	return blk_io(d, op, 0, from >> BLK_SECTOR_SHIFT, b->vec, n);
}

/* The window of a transfer at `off` with `left` bytes to go: the aligned
 * device range [*start, *end) it lies in, at most BLKDEV_WINDOW; returns
 * the bytes of the transfer it covers. */
static uint64_t window(const struct blk_dev *d, uint64_t off, uint64_t left, uint64_t *start,
		       uint64_t *end)
{
	uint64_t bs = d->block_size;

	*start = off / bs * bs;
	*end = MIN(*start + BLKDEV_WINDOW, (off + left + bs - 1) / bs * bs);
	return MIN(left, *end - off);
}

/* One window of a read: 0 or -errno. */
static int read_window(struct blk_dev *d, struct bounce *b, struct buf ubuf, uint64_t off,
		       uint64_t part, uint64_t start, uint64_t end)
{
	int err = bounce_io(d, b, start, start, end - start, BLK_OP_READ);

	return err ? err : bounce_user(b, off - start, ubuf, part, true);
}

/* One window of a write: the partial blocks at its edges are read first. */
static int write_window(struct blk_dev *d, struct bounce *b, struct buf ubuf, uint64_t off,
			uint64_t part, uint64_t start, uint64_t end)
{
	uint64_t bs = d->block_size;
	int err = 0;

	if (off != start)
		err = bounce_io(d, b, start, start, bs, BLK_OP_READ);
	if (!err && off + part != end && (end - bs != start || off == start))
		err = bounce_io(d, b, start, end - bs, bs, BLK_OP_READ);
	if (!err)
		err = bounce_user(b, off - start, ubuf, part, false);
	return err ? err : bounce_io(d, b, start, start, end - start, BLK_OP_WRITE);
}

/*
 * The zero-copy path.  A transfer whose offset and length are whole blocks
 * goes straight between the device and the program's pages, a window at a
 * time: each page is faulted in (for writing, when the device writes it),
 * its frame referenced so that an munmap meanwhile frees nothing the device
 * still touches (Linux's pin_user_pages), and given to the device as a
 * segment.  Where a page cannot be had, the bounce path takes over and
 * says EFAULT as copy_to_user would.
 */
struct pinned {
	struct blk_vec vec[BLKDEV_FRAMES + 1]; /* a window may straddle a page */
	unsigned n;
};

/* The frame of the program's page at `va`, present (and writable, with
 * `write`) after a fault if needed; 0 when it cannot be. */
static uint64_t user_frame(uint64_t va, bool write)
{
	for (int tries = 0; tries < 2; tries++) {
		uint64_t *pte = paging_pte(&mm_current()->pt, va);

		if (pte && (*pte & PTE_P) && (!write || (*pte & PTE_W)))
			return *pte & PTE_ADDR_MASK;
		if (tries || vm_fault(va, write ? PF_WRITE : 0))
			break;
	}
	return 0;
}

void blkdev_unpin(struct blk_vec *vec, unsigned n)
{
	while (n--)
		mem_frame_put(vec[n].pa & ~(uint64_t)(PAGE_SIZE - 1));
}

int blkdev_pin_user(uint64_t ubuf, uint64_t len, bool write, struct blk_vec *vec, unsigned max)
{
	unsigned n = 0;

	if (!uaccess_range_ok(ubuf, len))
		return -EFAULT;
	while (len) {
		uint64_t in = ubuf % PAGE_SIZE, part = MIN(len, PAGE_SIZE - in);
		uint64_t pa = n < max ? user_frame(ubuf - in, write) : 0;

		if (!pa) {
			blkdev_unpin(vec, n);
			return -EFAULT;
		}
		mem_frame_get(pa);
		vec[n++] = (struct blk_vec){ pa + in, (uint32_t)part };
		ubuf += part;
		len -= part;
	}
	return (int)n;
}

static void unpin(struct pinned *p)
{
	blkdev_unpin(p->vec, p->n);
	p->n = 0;
}

/* Pin [ubuf, ubuf + len) into p->vec: 0, or -EFAULT (nothing left pinned). */
static int pin_user(struct pinned *p, uint64_t ubuf, uint64_t len, bool write)
{
	int n = blkdev_pin_user(ubuf, len, write, p->vec, BLKDEV_FRAMES + 1);

	p->n = n < 0 ? 0 : (unsigned)n;
	return n < 0 ? n : 0;
}

/* Move [off, off + n) (whole blocks) between the device and the program's
 * buffer directly.  Returns the bytes moved, or -errno when none were;
 * -EFAULT when a page could not be had (the caller retries through the
 * bounce buffer, which reports it as Linux does). */
static long direct_rw(struct blk_dev *d, uint64_t ubuf, uint64_t n, uint64_t off, bool wr)
{
	struct pinned *p = kmalloc(sizeof(*p));
	uint64_t done = 0;
	int err = 0;

	if (!p)
		return -ENOMEM;
	while (done < n && !err) {
		uint64_t part = MIN(n - done, (uint64_t)BLKDEV_WINDOW);

		if ((err = pin_user(p, ubuf + done, part, !wr)))
			break;
		err = blk_io(d, wr ? BLK_OP_WRITE : BLK_OP_READ, 0,
			     (off + done) >> BLK_SECTOR_SHIFT, p->vec, p->n);
		unpin(p);
		if (!err)
			done += part;
	}
	kfree(p);
	return done ? (long)done : err;
}

/* O_DIRECT: Linux's blkdev_direct_IO refuses what is not aligned. */
static bool direct_misaligned(const struct file *f, const struct blk_dev *d, uint64_t ubuf,
			      size_t n, uint64_t off)
{
	return (f->flags & O_DIRECT) &&
	       (((n | off) & (d->block_size - 1)) || (ubuf & (BLK_SECTOR_SIZE - 1)));
}

/* A read or write at `off` of the caller's buffer `ubuf`. */
static long blkdev_rw(struct file *f, struct buf ubuf, size_t n, uint64_t off, bool wr)
{
	struct blk_dev *d = blkdev_of(f);
	uint64_t size = blk_size(d), done = 0;
	struct bounce *b;
	int err = 0;

	if (direct_misaligned(f, d, ubuf.addr, n, off))
		return -EINVAL;
	if (wr && d->ro)
		return -EPERM; /* Linux's blkdev_write_iter */
	if (off >= size)
		return wr && n ? -ENOSPC : 0;
	n = MIN((uint64_t)n, size - off);
	if (!ubuf.kernel && !((off | n) & (d->block_size - 1))) {
		long r = direct_rw(d, ubuf.addr, n, off, wr);

		if (r != -EFAULT)
			return r;
	}
	if (!(b = bounce_alloc(n + 2 * d->block_size)))
		return -ENOMEM;
	while (done < n) {
		uint64_t start, end, part = window(d, off + done, n - done, &start, &end);
		struct buf at = { ubuf.addr + done, ubuf.kernel };

		err = (wr ? write_window : read_window)(d, b, at, off + done, part, start, end);
		if (err)
			break;
		done += part;
	}
	bounce_free(b);
	return done ? (long)done : err;
}

static long blkdev_read_user(struct file *f, uint64_t ubuf, size_t n, uint64_t off)
{
	return blkdev_rw(f, (struct buf){ ubuf, false }, n, off, false);
}

/* O_DSYNC (and O_SYNC, which includes it): a write is durable when it
 * returns, so the device's cache is flushed after it (Linux's
 * generic_write_sync). */
static long blkdev_write_at(struct file *f, struct buf buf, size_t n, uint64_t off)
{
	long r = blkdev_rw(f, buf, n, off, true);
	int err;

	if (r > 0 && (f->flags & O_DSYNC) && (err = blk_flush(blkdev_of(f))))
		return err;
	return r;
}

static long blkdev_write_user(struct file *f, uint64_t ubuf, size_t n, uint64_t off)
{
	return blkdev_write_at(f, (struct buf){ ubuf, false }, n, off);
}

/* The kernel-buffer forms: sendfile and copy_file_range. */
static long blkdev_read(struct file *f, void *kbuf, size_t n, uint64_t off)
{
	return blkdev_rw(f, (struct buf){ (uint64_t)kbuf, true }, n, off, false);
}

static long blkdev_write(struct file *f, const void *kbuf, size_t n, uint64_t off)
{
	return blkdev_write_at(f, (struct buf){ (uint64_t)kbuf, true }, n, off);
}

static long blkdev_fsync(struct file *f)
{
	return blk_flush(blkdev_of(f));
}

static uint64_t blkdev_size(struct file *f)
{
	return blk_size(blkdev_of(f));
}

static long put_user_int(uint64_t arg, int v)
{
	return copy_to_user(arg, &v, sizeof(v)) ? -EFAULT : 0;
}

static long blkdev_ioctl(struct file *f, unsigned cmd, uint64_t arg)
{
	struct blk_dev *d = blkdev_of(f);
	uint64_t v64 = blk_size(d);
	unsigned long sectors = d->sectors;

	switch (cmd) {
	case BLKGETSIZE64:
		return copy_to_user(arg, &v64, sizeof(v64)) ? -EFAULT : 0;
	case BLKGETSIZE:
		return copy_to_user(arg, &sectors, sizeof(sectors)) ? -EFAULT : 0;
	case BLKSSZGET:
	case BLKPBSZGET:
		return put_user_int(arg, (int)d->block_size);
	case BLKBSZGET: /* the soft block size: Linux's default is the page */
		return put_user_int(arg, (int)MAX(d->block_size, (uint32_t)PAGE_SIZE));
	case BLKROGET:
		return put_user_int(arg, d->ro);
	case BLKFLSBUF:
		/* Nothing is cached above the device, so nothing to drop. */
		return cred_capable(CAP_SYS_ADMIN) ? 0 : -EACCES;
	}
	return -ENOTTY;
}

static const struct file_ops blkdev_ops = {
	.read = blkdev_read,
	.write = blkdev_write,
	.read_user = blkdev_read_user,
	.write_user = blkdev_write_user,
	.ioctl = blkdev_ioctl,
	.fsync = blkdev_fsync,
	.size = blkdev_size,
	.seekable = true,
};

void blkdev_init(struct inode *dev, struct vfs_sb *sb)
{
	for (unsigned i = 0; i < blk_count(); i++) {
		struct blk_dev *d = blk_get(i);
		struct inode *ino = vfs_mknode(dev, d->name, BLKDEV_MODE);

		if (!ino)
			boot_out_of_memory("/dev");
		ino->mode = BLKDEV_MODE;
		ino->rdev = BLKDEV_MAJOR << 8 | i * BLKDEV_MINORS;
		ino->gid = BLKDEV_GID_DISK;
		ino->fops = &blkdev_ops;
		ino->size = 0;
		ino->sb = sb;
	}
}

struct blk_dev *blkdev_disk(const struct inode *ino)
{
	return ino->fops == &blkdev_ops ? blk_get((ino->rdev & 0xff) / BLKDEV_MINORS) : NULL;
}
