/*
 * The block layer: the device registry, the checks every request passes
 * before a driver sees it, FUA as write-then-flush, and blk_io, the
 * synchronous transfer of any size (split into requests that are all in
 * flight at once).  The contract is in blk.h.
 */
#include "drivers/blk.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/mem.h"
#include "arch/x86_64/paging.h"
#include "core/waitq.h"
#include <lib/fmt.h>

#define BLK_MIN_BLOCK 512
#define BLK_MAX_BLOCK 65536

static struct blk_dev *devices[BLK_MAX_DEVICES];
static unsigned ndevices;

int blk_register(struct blk_dev *d, const char *prefix)
{
	if (ndevices >= BLK_MAX_DEVICES)
		return -ENOSPC;
	if (d->block_size < BLK_MIN_BLOCK || d->block_size > BLK_MAX_BLOCK ||
	    (d->block_size & (d->block_size - 1)) || d->max_bytes < d->block_size || !d->max_vecs ||
	    d->max_vec_bytes < BLK_SECTOR_SIZE)
		return -EINVAL;
	/* One letter per device of the prefix, as Linux's virtblk names. */
	d->index = ndevices;
	waitq_init(&d->waitq);
	fmt_snprintf(d->name, sizeof(d->name), "%s%c", prefix, 'a' + ndevices);
	devices[ndevices++] = d;
	return 0;
}

unsigned blk_count(void)
{
	return ndevices;
}

struct blk_dev *blk_get(unsigned index)
{
	return index < ndevices ? devices[index] : NULL;
}

struct blk_dev *blk_find(const char *name)
{
	for (unsigned i = 0; i < ndevices; i++)
		if (!strcmp(devices[i]->name, name))
			return devices[i];
	return NULL;
}

/* The data bytes of a read or write, or -EINVAL when its segments break
 * the device's limits. */
static int64_t req_bytes(const struct blk_dev *d, const struct blk_req *r)
{
	uint64_t total = 0;

	if (!r->nvec || r->nvec > d->max_vecs)
		return -EINVAL;
	for (unsigned i = 0; i < r->nvec; i++) {
		if (!r->vec[i].len || r->vec[i].len > d->max_vec_bytes)
			return -EINVAL;
		total += r->vec[i].len;
	}
	return total > d->max_bytes ? -EINVAL : (int64_t)total;
}

/* The checks of blk_submit for a read or write: 0 or -errno. */
static int req_check(const struct blk_dev *d, const struct blk_req *r)
{
	int64_t bytes = req_bytes(d, r);
	uint64_t sectors;

	if (bytes < 0)
		return (int)bytes;
	if ((uint64_t)bytes % d->block_size || (r->sector << BLK_SECTOR_SHIFT) % d->block_size)
		return -EINVAL;
	sectors = (uint64_t)bytes >> BLK_SECTOR_SHIFT;
	if (r->sector > d->sectors || sectors > d->sectors - r->sector)
		return -EIO; /* past the end: Linux's bio check says EIO too */
	if (r->op == BLK_OP_WRITE && d->ro)
		return -EROFS;
	return 0;
}

int blk_submit(struct blk_dev *d, struct blk_req *r)
{
	int err;

	r->dev = d;
	r->status = 0;
	r->fua_flush = false;
	switch (r->op) {
	case BLK_OP_READ:
	case BLK_OP_WRITE:
		if ((err = req_check(d, r)))
			return err;
		break;
	case BLK_OP_FLUSH:
		if (!d->flush) { /* write-through: nothing volatile to flush */
			blk_complete(r, 0);
			return 0;
		}
		break;
	default:
		return -EINVAL;
	}
	d->ops->submit(d, r);
	return 0;
}

void blk_complete(struct blk_req *r, int status)
{
	struct blk_dev *d = r->dev;

	/* A FUA write is durable only after a flush that follows it: the
	 * write completed, now send the flush (the same request). */
	if (!status && r->op == BLK_OP_WRITE && (r->flags & BLK_REQ_FUA) && d->flush &&
	    !r->fua_flush) {
		r->fua_flush = true;
		d->ops->submit(d, r);
		return;
	}
	r->status = status;
	r->done(r);
}

/* ---- blk_io: a synchronous transfer of any size ---- */

/* What the requests of one blk_io share: how many are out, the first
 * error, and the disk whose queue its thread sleeps on. */
struct blk_wait {
	int pending; /* atomic: completions run in interrupt context */
	int err;
	struct blk_dev *dev;
};

/* One piece of a transfer: a request and its own segments. */
struct blk_piece {
	struct blk_req req;
	struct blk_vec vec[];
};

/* Count one request of a blk_io down.  `w` lives on the waiter's stack:
 * once pending reaches 0 it may be gone, so nothing touches it after. */
static void blk_wait_put(struct blk_wait *w, int status)
{
	struct blk_dev *d = w->dev;
	int none = 0;

	if (status)
		__atomic_compare_exchange_n(&w->err, &none, status, false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED);
	__atomic_sub_fetch(&w->pending, 1, __ATOMIC_RELEASE);
	waitq_wake(&d->waitq);
}

static void blk_io_done(struct blk_req *r)
{
	blk_wait_put(r->priv, r->status);
}

/* A piece is the issuer's memory: freed here, the driver is done with it. */
static void blk_piece_done(struct blk_req *r)
{
	struct blk_wait *w = r->priv;
	int status = r->status;

	kfree(container_of(r, struct blk_piece, req));
	blk_wait_put(w, status);
}

static bool blk_io_over(void *arg)
{
	return __atomic_load_n(&((struct blk_wait *)arg)->pending, __ATOMIC_ACQUIRE) == 0;
}

/*
 * Cut the next piece of a transfer from `vec` (at segment *vi, byte *voff
 * into it) into `p`: at most max_vecs segments of at most max_vec_bytes,
 * max_bytes in all, a whole number of blocks.  Returns its bytes (0 when
 * the transfer is done), or -EINVAL when no whole block fits.
 */
static int64_t blk_io_cut(const struct blk_dev *d, const struct blk_vec *vec, unsigned nvec,
			  unsigned *vi, uint32_t *voff, struct blk_piece *p)
{
	uint64_t total = 0;
	unsigned n = 0, save_vi = *vi;
	uint32_t save_off = *voff, extra;

	while (*vi < nvec && n < d->max_vecs && total < d->max_bytes) {
		uint32_t len = vec[*vi].len - *voff;

		len = MIN(len, d->max_vec_bytes);
		len = (uint32_t)MIN((uint64_t)len, d->max_bytes - total);
		p->vec[n].pa = vec[*vi].pa + *voff;
		p->vec[n++].len = len;
		total += len;
		*voff += len;
		if (*voff == vec[*vi].len)
			(*vi)++, *voff = 0;
	}
	/* Give back the bytes past the last whole block, from the end. */
	extra = (uint32_t)(total % d->block_size);
	if (extra && *vi >= nvec)
		return -EINVAL; /* the transfer itself is not whole blocks */
	total -= extra;
	if (!total && n) {
		*vi = save_vi, *voff = save_off;
		return -EINVAL;
	}
	while (extra) {
		uint32_t back = MIN(extra, p->vec[n - 1].len);

		p->vec[n - 1].len -= back;
		if (!p->vec[n - 1].len)
			n--;
		if (*voff >= back) {
			*voff -= back;
		} else { /* the cut ended a segment: step back into it */
			(*vi)--;
			*voff = vec[*vi].len - back;
		}
		extra -= back;
	}
	p->req.nvec = n;
	return (int64_t)total;
}

/* Send the pieces of a read or write; each one's completion counts `w`
 * down.  Returns 0 or the error that stopped the sending. */
static int blk_io_send(struct blk_dev *d, enum blk_op op, uint64_t sector,
		       const struct blk_vec *vec, unsigned nvec, struct blk_wait *w)
{
	size_t piece_size = sizeof(struct blk_piece) + d->max_vecs * sizeof(struct blk_vec);
	unsigned vi = 0;
	uint32_t voff = 0;

	while (vi < nvec) {
		struct blk_piece *p = kmalloc(piece_size);
		int64_t bytes;
		unsigned n;
		int err;

		if (!p)
			return -ENOMEM;
		bytes = blk_io_cut(d, vec, nvec, &vi, &voff, p);
		if (bytes <= 0) {
			kfree(p);
			return bytes ? (int)bytes : 0;
		}
		n = p->req.nvec;
		p->req = (struct blk_req){ .op = op,
					   .sector = sector,
					   .vec = p->vec,
					   .nvec = n,
					   .done = blk_piece_done,
					   .priv = w };
		__atomic_add_fetch(&w->pending, 1, __ATOMIC_RELAXED);
		if ((err = blk_submit(d, &p->req))) {
			__atomic_sub_fetch(&w->pending, 1, __ATOMIC_RELAXED);
			kfree(p);
			return err;
		}
		sector += (uint64_t)bytes >> BLK_SECTOR_SHIFT;
	}
	return 0;
}

int blk_io(struct blk_dev *d, enum blk_op op, unsigned flags, uint64_t sector,
	   const struct blk_vec *vec, unsigned nvec)
{
	struct blk_wait w = { .dev = d };
	struct blk_req flush = { .op = BLK_OP_FLUSH, .done = blk_io_done, .priv = &w };
	int err = 0;

	if (op == BLK_OP_FLUSH) {
		w.pending = 1;
		if ((err = blk_submit(d, &flush)))
			return err;
	} else {
		err = blk_io_send(d, op, sector, vec, nvec, &w);
	}
	waitq_wait_uninterruptible(&d->waitq, blk_io_over, &w);
	if (!err)
		err = w.err;
	/* FUA for the whole transfer: one flush after every piece is done. */
	if (!err && op == BLK_OP_WRITE && (flags & BLK_REQ_FUA))
		err = blk_flush(d);
	return err;
}

int blk_flush(struct blk_dev *d)
{
	return blk_io(d, BLK_OP_FLUSH, 0, 0, NULL, 0);
}

/* Add [pa, pa + len) to the segments, merged with the last when they
 * touch.  false when `max` would be passed. */
static bool vec_add(struct blk_vec *out, unsigned *n, unsigned max, uint64_t pa, uint32_t len)
{
	if (*n && out[*n - 1].pa + out[*n - 1].len == pa) {
		out[*n - 1].len += len;
		return true;
	}
	if (*n >= max)
		return false;
	out[(*n)++] = (struct blk_vec){ pa, len };
	return true;
}

int blk_vec_kbuf(const void *buf, size_t len, struct blk_vec *out, unsigned max)
{
	uint64_t va = (uint64_t)buf, end = va + len;
	bool direct = va >= DIRECT_MAP_BASE && end <= DIRECT_MAP_BASE + mem_top();
	bool image = va >= KERNEL_VBASE && end > va;
	unsigned n = 0;

	if (!len)
		return 0;
	if (len > UINT32_MAX || end < va)
		return -EINVAL;
	/* Both areas are physically contiguous: one segment. */
	if (direct || image)
		return vec_add(out, &n, max, virt_to_phys(buf), (uint32_t)len) ? 1 : -EINVAL;
	/* The heap's large blocks: page by page. */
	while (va < end) {
		uint32_t part = (uint32_t)MIN(end - va, PAGE_SIZE - va % PAGE_SIZE);
		uint64_t pa = paging_kernel_pa(va);

		if (!pa || !vec_add(out, &n, max, pa, part))
			return -EINVAL;
		va += part;
	}
	return (int)n;
}
