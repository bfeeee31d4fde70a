/*
 * Share file data in the VFS (fs layer): regular files' read, write and
 * fsync as Tread, Twrite and Tfsync on a fid opened for each open file
 * (on its first transfer, with the file's access mode and O_APPEND), and
 * the pages of shared mappings (kernel/fs/v9fs.c has the rest).
 *
 * No data cache (design.md contract 20): the host may change a share's
 * files at any time, so every read asks the server.  The one exception is
 * a MAP_SHARED mapping, which needs pages of its own: they are read when
 * first touched, seen by read() and write() while mapped, written back
 * (all of them: there is no dirty bit to go by) at fsync, msync
 * MS_SYNC (v9fs_vm_sync) and each munmap, and dropped with the last
 * mapping.  O_DIRECT is checked for its alignment here and goes
 * to the server, whose QEMU drops it (the host's page cache serves it).
 */
#include "fs/v9fs.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/mem.h"
#include "core/uaccess.h"
#include "core/vm.h"

/* The open flags the server's open keeps (Linux's P9_DOTL_* equal them on
 * x86-64: include/net/9p/9p.h). */
#define V9FS_OPEN_KEEP (O_ACCMODE | O_APPEND | O_DIRECT)
/* O_DIRECT transfers: buffer, offset and length in multiples of this (a
 * logical block: Linux's bdev_logical_block_size of the host's disk). */
#define V9FS_DIRECT_ALIGN 512
/* Pages a fault on a read-only share reads at once: one 64 KiB Tread. */
#define V9FS_READAHEAD (V9FS_IO / PAGE_SIZE)

/* An open file's fid (f->priv), opened at its first transfer. */
struct v9fs_open {
	uint32_t fid;
};

/* ---- transfers ---- */

/* One Tread or Twrite of at most iounit bytes at `off`, data in kernel
 * buffer `buf`: the count moved, or -errno. */
static long xfer_to(struct v9fs_info *i, uint32_t fid, bool wr, void *buf, const uint64_t *pages,
		    size_t n, uint64_t off)
{
	uint8_t hdr[P9_TWRITE_HDR + 1], rep[P9_RREAD_HDR];
	struct virtio_9p_call c = { .req = hdr, .reply = rep, .replycap = sizeof(rep) };
	uint8_t type = wr ? P9_TWRITE : P9_TREAD;
	uint32_t count;
	int err;

	n = MIN(n, (size_t)i->iounit);
	c.reqlen = p9_build(hdr, sizeof(hdr), type, 0, "dqd", fid, off, (uint32_t)n);
	if (wr) {
		c.wdata = buf, c.wlen = n;
		p9_add_size(hdr, (uint32_t)n);
	} else if (pages) {
		n -= n % PAGE_SIZE;
		c.rpages = pages, c.nrpages = (unsigned)(n / PAGE_SIZE);
	} else {
		c.rdata = buf, c.rlen = n;
	}
	if ((err = virtio_9p_rpc(i->dev, &c)))
		return err;
	err = wr ? p9_parse(rep, MIN((size_t)c.got, sizeof(rep)), type, c.tag, "d", &count)
		 : p9_parse_data(rep, c.got, type, c.tag, &count);
	if (err)
		return err;
	if (count > n) /* the server's count: no more than asked */
		return -EIO;
	return count;
}

/* One Tread or Twrite of at most iounit bytes to or from `buf`. */
static long xfer(struct v9fs_info *i, uint32_t fid, bool wr, void *buf, size_t n, uint64_t off)
{
	return xfer_to(i, fid, wr, buf, NULL, n, off);
}

long v9fs_xfer_fid(struct v9fs_info *i, uint32_t fid, bool wr, void *buf, size_t n)
{
	size_t done = 0;
	long r = 0;

	while (done < n && (r = xfer(i, fid, wr, (char *)buf + done, n - done, done)) > 0)
		done += (size_t)r;
	return done || r >= 0 ? (long)done : r;
}

/* The inode's fid opened O_RDONLY, which every read-only open file of it
 * shares: reads name their offset, so they need no fid of their own, and
 * an open then costs no Twalk, Tlopen and Tclunk (python3 opens hundreds
 * of files at start-up). */
static long read_fid(struct v9fs_info *i, struct v9fs_inode *x, uint32_t *fid)
{
	uint32_t nfid;
	int err;

	if (!x->rd_fid) {
		if ((err = v9fs_open_fid(i, x->fid, O_RDONLY, &nfid)))
			return err;
		if (x->rd_fid) /* another thread's, made while we waited */
			v9fs_clunk(i, nfid);
		else
			x->rd_fid = nfid;
	}
	*fid = x->rd_fid;
	return 0;
}

/* The fid of open file `f`, opened now if it is the first transfer. */
static long file_fid(struct file *f, uint32_t *fid)
{
	struct v9fs_info *i = v9fs_info_of(f->inode);
	struct v9fs_open *o;
	uint32_t nfid;
	int err;

	if ((f->flags & O_ACCMODE) == O_RDONLY && !(f->flags & O_DIRECT))
		return read_fid(i, V(f->inode), fid);
	if (f->priv) {
		*fid = ((struct v9fs_open *)f->priv)->fid;
		return 0;
	}
	if (!(o = kmalloc(sizeof(*o))))
		return -ENOMEM;
	if ((err = v9fs_open_fid(i, V(f->inode)->fid, f->flags & V9FS_OPEN_KEEP, &nfid))) {
		kfree(o);
		return err;
	}
	if (f->priv) { /* another thread opened it while we waited */
		v9fs_clunk(i, nfid);
		kfree(o);
	} else {
		o->fid = nfid;
		f->priv = o;
	}
	*fid = ((struct v9fs_open *)f->priv)->fid;
	return 0;
}

static uint64_t cached(const struct v9fs_inode *x, uint64_t idx)
{
	return idx < x->ncache ? x->cache[idx] : 0;
}

/* Copy between the mapped pages and `buf` (file bytes [off, off + n)):
 * to them after a write, from them after a read. */
static void cache_overlay(struct v9fs_inode *x, uint64_t off, char *buf, size_t n, bool to_cache)
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

/*
 * A transfer of `n` bytes at `off` through fid `fid`, to or from the
 * program's buffer (`user`) or the kernel's, in iounit pieces: the count
 * moved (short at the end of the file) or -errno when nothing moved.
 */
static long transfer(struct inode *ino, uint32_t fid, bool wr, uint64_t addr, bool user, size_t n,
		     uint64_t off)
{
	struct v9fs_info *i = v9fs_info_of(ino);
	struct v9fs_inode *x = V(ino);
	char *bounce = user && n ? kmalloc(MIN(n, (size_t)i->iounit)) : NULL;
	size_t done = 0;
	long r = user && n && !bounce ? -ENOMEM : 0;

	while (!r && done < n) {
		size_t chunk = MIN(n - done, (size_t)i->iounit);
		char *p = user ? bounce : (char *)addr + done;

		if (wr && user && copy_from_user(bounce, addr + done, chunk)) {
			r = -EFAULT;
			break;
		}
		if ((r = xfer(i, fid, wr, p, chunk, off + done)) <= 0)
			break;
		cache_overlay(x, off + done, p, r, wr);
		if (!wr && user && copy_to_user(addr + done, bounce, r)) {
			r = -EFAULT;
			break;
		}
		done += r;
		r = (size_t)r < chunk; /* a short transfer: the end */
	}
	kfree(bounce);
	if (wr && done) {
		x->vfs.size = MAX(x->vfs.size, off + done);
		x->vfs.mtime = x->vfs.ctime = vfs_now();
	}
	return done ? (long)done : r;
}

static long do_io(struct file *f, bool wr, uint64_t addr, bool user, size_t n, uint64_t off)
{
	uint32_t fid;
	long err;

	/* O_DIRECT's alignment, as the host filesystem's own would demand
	 * (QEMU's server drops the flag: hw/9pfs/9p.c get_dotl_openflags). */
	if ((f->flags & O_DIRECT) && ((addr | off | n) & (V9FS_DIRECT_ALIGN - 1)))
		return -EINVAL;
	if ((err = file_fid(f, &fid)))
		return err;
	/* O_APPEND: the server's file was opened so, and writes at its end
	 * whatever the offset; the size of now is where that is. */
	if (wr && (f->flags & O_APPEND) && !v9fs_refresh(v9fs_info_of(f->inode), V(f->inode)))
		off = f->inode->size;
	return transfer(f->inode, fid, wr, addr, user, n, off);
}

static long v9fs_read(struct file *f, void *kbuf, size_t n, uint64_t off)
{
	return do_io(f, false, (uint64_t)kbuf, false, n, off);
}

static long v9fs_write(struct file *f, const void *kbuf, size_t n, uint64_t off)
{
	return do_io(f, true, (uint64_t)kbuf, false, n, off);
}

static long v9fs_read_user(struct file *f, uint64_t ubuf, size_t n, uint64_t off)
{
	return do_io(f, false, ubuf, true, n, off);
}

static long v9fs_write_user(struct file *f, uint64_t ubuf, size_t n, uint64_t off)
{
	return do_io(f, true, ubuf, true, n, off);
}

static void v9fs_release(struct file *f)
{
	if (f->priv)
		v9fs_clunk(v9fs_info_of(f->inode), ((struct v9fs_open *)f->priv)->fid);
	kfree(f->priv);
}

/* fsync, fdatasync: the mapped pages, then the host file's (Tfsync). */
/* Tfsync of opened `fid`: the host file made durable.  0 or -errno. */
static int fsync_fid(struct v9fs_info *i, uint32_t fid)
{
	uint8_t *m = v9fs_msg();
	int err;

	if (!m)
		return -ENOMEM;
	err = v9fs_rpc(i, m, p9_build(m, V9FS_MSG, P9_TFSYNC, 0, "dd", fid, 0u), P9_TFSYNC, "");
	kfree(m);
	return err;
}

static long v9fs_fsync(struct file *f)
{
	struct v9fs_info *i = v9fs_info_of(f->inode);
	uint32_t fid;
	long err = v9fs_cache_writeback(i, V(f->inode));

	if (err || (err = file_fid(f, &fid)))
		return err;
	return fsync_fid(i, fid);
}

/* 9P2000.L has no fallocate (Linux's 9p answers EOPNOTSUPP too). */
static int v9fs_fallocate(struct file *f, uint64_t off, uint64_t len, bool keep_size)
{
	(void)f, (void)off, (void)len, (void)keep_size;
	return -EOPNOTSUPP;
}

/* ---- shared mappings (core/vm.h) ---- */

/* The inode's own opened fid for the mapped pages: read-write when the
 * host lets us, else read-only (then nothing is written back). */
static int io_fid(struct v9fs_info *i, struct v9fs_inode *x)
{
	uint32_t fid;

	if (x->io_fid)
		return 0;
	if (!i->sb.rdonly && !v9fs_open_fid(i, x->fid, O_RDWR, &fid))
		x->io_writable = true;
	else if (v9fs_open_fid(i, x->fid, O_RDONLY, &fid))
		return -EACCES;
	if (x->io_fid) /* another thread's, made while we waited */
		v9fs_clunk(i, fid);
	else
		x->io_fid = fid;
	return 0;
}

int v9fs_cache_writeback(struct v9fs_info *i, struct v9fs_inode *x)
{
	for (uint64_t n = 0; n < x->ncache && x->io_writable; n++) {
		uint64_t off = n * PAGE_SIZE;
		long r;

		if (!x->cache[n] || off >= x->vfs.size)
			continue;
		r = transfer(&x->vfs, x->io_fid, true, (uint64_t)phys_to_virt(x->cache[n]), false,
			     MIN((uint64_t)PAGE_SIZE, x->vfs.size - off), off);
		if (r < 0)
			return (int)r;
	}
	return 0;
}

void v9fs_cache_drop(struct v9fs_inode *x)
{
	for (uint64_t n = 0; n < x->ncache; n++)
		if (x->cache[n])
			mem_free_frame(x->cache[n]);
	kfree(x->cache);
	x->cache = NULL;
	x->ncache = 0;
}

static int cache_grow(struct v9fs_inode *x, uint64_t idx)
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

/*
 * Read the pages [idx, idx + n) that are not cached yet into new frames of
 * the cache, in one Tread straight into them (a page's bytes past the end
 * of the file are zeros).  0 or -errno (-ENOMEM, the server's).
 */
static int cache_fill(struct v9fs_info *i, struct v9fs_inode *x, uint64_t idx, uint64_t n)
{
	uint64_t pages[V9FS_READAHEAD];
	long r = 0;

	n = MIN(n, MIN((uint64_t)V9FS_READAHEAD, (uint64_t)i->iounit / PAGE_SIZE));
	if (!n || io_fid(i, x) || cache_grow(x, idx + n - 1))
		return -ENOMEM;
	/* Not zeroed: the read and the zeros past the end fill them whole. */
	for (uint64_t k = 0; k < n; k++)
		if (!(pages[k] = mem_alloc_frame(0)))
			r = -ENOMEM;
	if (!r)
		r = xfer_to(i, x->io_fid, false, NULL, pages, n * PAGE_SIZE, idx * PAGE_SIZE);
	for (uint64_t k = 0; k < n; k++) {
		size_t have = r > 0 ? MIN((size_t)r - MIN((size_t)r, k * PAGE_SIZE), PAGE_SIZE) : 0;

		if (!pages[k])
			continue;
		/* A page another thread cached while we waited stays; one
		 * wholly past the end is not made (but the first). */
		if (r < 0 || cached(x, idx + k) || (k && !have)) {
			mem_free_frame(pages[k]);
			continue;
		}
		memset((char *)phys_to_virt(pages[k]) + have, 0, PAGE_SIZE - have);
		x->cache[idx + k] = pages[k];
	}
	return r < 0 ? (int)r : 0;
}

/* The frame of the cached page at `off`, read now if it is not (a
 * read-only share's in its aligned window of V9FS_READAHEAD pages);
 * -EFAULT past the end of the file, 0 (shared: -EFAULT) on error. */
static long cache_page(struct v9fs_info *i, struct v9fs_inode *x, uint64_t off, bool shared)
{
	uint64_t idx = off / PAGE_SIZE, last = ALIGN_UP(x->vfs.size, PAGE_SIZE) / PAGE_SIZE, n = 1;

	if (idx >= last)
		return -EFAULT;
	if (cached(x, idx))
		return cached(x, idx);
	if (i->sb.rdonly) { /* aligned windows: each is read once, whatever the order */
		uint64_t first = idx / V9FS_READAHEAD * V9FS_READAHEAD;

		n = MIN((uint64_t)V9FS_READAHEAD, last - first);
		idx = first;
	}
	if (cache_fill(i, x, idx, n) || !cached(x, off / PAGE_SIZE))
		return shared ? -EFAULT : 0;
	return cached(x, off / PAGE_SIZE);
}

/*
 * A shared mapping maps the file's page (read when first touched).  A
 * private one copies through fill, but on a read-only share, whose files
 * are taken not to change (design.md contract 20: it may cache), where
 * the pages stay cached and are mapped in place (programs and libraries
 * run from a share), read V9FS_READAHEAD pages at a time.
 */
static long v9fs_vm_frame(struct inode *ino, uint64_t off, bool shared)
{
	struct v9fs_info *i = v9fs_info_of(ino);

	if (!shared && (!i->sb.rdonly || off + PAGE_SIZE > ino->size))
		return 0; /* fill copies: the file may change, or the page is not whole */
	return cache_page(i, V(ino), off, shared);
}

/* A private mapping's copy, read through the read-only fid: opening the
 * file for writing would be a change on the host (an overlayfs root
 * copies the file up, and `podman diff` lists every library run). */
static long v9fs_vm_fill(struct inode *ino, uint64_t off, void *page, size_t n)
{
	struct v9fs_info *i = v9fs_info_of(ino);
	uint32_t fid;
	long err;

	/* A read-only share's pages stay cached: a program's data segment
	 * (copied, being writable) is read a window at a time, as its text. */
	if (i->sb.rdonly && off % PAGE_SIZE + n <= PAGE_SIZE && off + n <= ino->size &&
	    (err = cache_page(i, V(ino), off, false)) > 0) {
		memcpy(page, (char *)phys_to_virt((uint64_t)err) + off % PAGE_SIZE, n);
		return (long)n;
	}
	err = read_fid(i, V(ino), &fid);
	return err ? err : transfer(ino, fid, false, (uint64_t)page, false, n, off);
}

static bool v9fs_vm_resident(struct inode *ino, uint64_t off)
{
	return cached(V(ino), off / PAGE_SIZE);
}

static void v9fs_vm_get(struct inode *ino)
{
	V(ino)->maps++;
	vfs_iget(ino);
}

/* An area goes (munmap, exit): what it wrote reaches the host; the last
 * one takes the pages with it. */
static void v9fs_vm_put(struct inode *ino)
{
	struct v9fs_inode *x = V(ino);
	int err = x->ncache ? v9fs_cache_writeback(v9fs_info_of(ino), x) : 0;

	if (err)
		klog("9p: writing back a shared mapping failed: error %d\n", -err);
	/* A read-only share keeps its pages (v9fs_vm_frame). */
	if (!--x->maps && !ino->sb->rdonly)
		v9fs_cache_drop(x);
	vfs_iput(ino);
}

/* msync MS_SYNC: the mapped pages reach the host file now, then the
 * server's fsync of it (Tfsync on the pages' fid). */
static int v9fs_vm_sync(struct inode *ino)
{
	struct v9fs_info *i = v9fs_info_of(ino);
	struct v9fs_inode *x = V(ino);
	int err = x->ncache ? v9fs_cache_writeback(i, x) : 0;

	if (!err && x->io_fid && x->io_writable)
		err = fsync_fid(i, x->io_fid);
	return err;
}

static const struct vm_file_ops v9fs_vm_ops = {
	.get = v9fs_vm_get,
	.put = v9fs_vm_put,
	.frame = v9fs_vm_frame,
	.fill = v9fs_vm_fill,
	.resident = v9fs_vm_resident,
	.sync = v9fs_vm_sync,
	.shared_pages = true,
};

const struct file_ops v9fs_file_ops = {
	.read = v9fs_read,
	.write = v9fs_write,
	.read_user = v9fs_read_user,
	.write_user = v9fs_write_user,
	.release = v9fs_release,
	.fsync = v9fs_fsync,
	.fallocate = v9fs_fallocate,
	.vm_ops = &v9fs_vm_ops,
	.fs_data = true,
	.seekable = true,
};
