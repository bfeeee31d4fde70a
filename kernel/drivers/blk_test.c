/*
 * The block layer's boot self-test (kernel option monos.blktest=1), the
 * in-kernel side that /dev/vdX does not reach: buffers a filesystem will
 * use (a large kmalloc block, mapped page by page; a small one), FUA
 * writes, flushes, and what blk_submit refuses before anything is sent.
 * It writes sectors 8-23 of the first disk (tests/cli/disk.sh checks them
 * in the disk file) and logs one line per check: "monos: blktest: ok ..."
 * or "monos: blktest: FAILED ...".
 */
#include "core/heap.h"
#include "core/kernel.h"
#include "core/waitq.h"
#include "drivers/blk.h"

#define BLKTEST_SECTOR 8    /* where the pattern goes */
#define BLKTEST_BYTES  8192 /* a large kmalloc block: the heap's page-mapped area */
#define BLKTEST_SMALL  512  /* a small one: the direct map */
#define BLKTEST_VECS   4

static void report(const char *what, bool ok)
{
	klog("monos: blktest: %s %s\n", ok ? "ok" : "FAILED", what);
}

/* blk_io of a kernel buffer. */
static int kbuf_io(struct blk_dev *d, enum blk_op op, unsigned flags, uint64_t sector, void *buf,
		   size_t len)
{
	struct blk_vec vec[BLKTEST_VECS];
	int n = blk_vec_kbuf(buf, len, vec, BLKTEST_VECS);

	return n < 0 ? n : blk_io(d, op, flags, sector, vec, (unsigned)n);
}

static void async_done(struct blk_req *r)
{
	__atomic_store_n((bool *)r->priv, true, __ATOMIC_RELEASE);
	waitq_wake(&r->dev->waitq);
}

static bool async_over(void *arg)
{
	return __atomic_load_n((bool *)arg, __ATOMIC_ACQUIRE);
}

/* blk_submit's own FUA: one request, the write then its flush, then done. */
static void blktest_async_fua(struct blk_dev *d, void *buf)
{
	struct blk_vec v;
	bool over = false;
	struct blk_req r = { .op = BLK_OP_WRITE,
			     .flags = BLK_REQ_FUA,
			     .sector = BLKTEST_SECTOR,
			     .vec = &v,
			     .nvec = 1,
			     .done = async_done,
			     .priv = &over };

	if (blk_vec_kbuf(buf, BLK_SECTOR_SIZE, &v, 1) != 1 || blk_submit(d, &r)) {
		report("an asynchronous FUA write", false);
		return;
	}
	waitq_wait_uninterruptible(&d->waitq, async_over, &over);
	report("an asynchronous FUA write, its flush sent", !r.status && r.fua_flush == d->flush);
}

/* Write a pattern with FUA from a large block, read it back into another
 * and into a small one. */
static void blktest_data(struct blk_dev *d)
{
	uint8_t *w = kmalloc(BLKTEST_BYTES), *r = kmalloc(BLKTEST_BYTES),
		*s = kmalloc(BLKTEST_SMALL);

	if (!w || !r || !s) {
		report("buffers (out of memory)", false);
		goto out;
	}
	for (unsigned i = 0; i < BLKTEST_BYTES; i++)
		w[i] = (uint8_t)(i * 13 + 1);
	memset(r, 0, BLKTEST_BYTES);
	report("a FUA write from a large kmalloc block",
	       !kbuf_io(d, BLK_OP_WRITE, BLK_REQ_FUA, BLKTEST_SECTOR, w, BLKTEST_BYTES));
	report("read back into a large kmalloc block",
	       !kbuf_io(d, BLK_OP_READ, 0, BLKTEST_SECTOR, r, BLKTEST_BYTES) &&
		       !memcmp(w, r, BLKTEST_BYTES));
	report("read back into a small kmalloc block",
	       !kbuf_io(d, BLK_OP_READ, 0, BLKTEST_SECTOR + 1, s, BLKTEST_SMALL) &&
		       !memcmp(w + BLK_SECTOR_SIZE, s, BLKTEST_SMALL));
	report("a flush", !blk_flush(d));
	blktest_async_fua(d, w);
out:
	kfree(w);
	kfree(r);
	kfree(s);
}

static void nothing_done(struct blk_req *r)
{
	report("a refused request completed", false);
}

/* What blk_submit refuses, with the error it gives. */
static void blktest_refusals(struct blk_dev *d)
{
	static uint8_t buf[BLK_SECTOR_SIZE];
	struct blk_vec v = { virt_to_phys(buf), BLK_SECTOR_SIZE };
	struct blk_req r = { .op = BLK_OP_READ, .vec = &v, .nvec = 1, .done = nothing_done };

	r.sector = d->sectors;
	report("a read past the end is EIO", blk_submit(d, &r) == -EIO);
	r.sector = d->sectors - 1;
	v.len = 2 * BLK_SECTOR_SIZE;
	report("a read across the end is EIO", blk_submit(d, &r) == -EIO);
	v.len = BLK_SECTOR_SIZE - 1;
	r.sector = 0;
	report("a partial sector is EINVAL", blk_submit(d, &r) == -EINVAL);
	r.nvec = 0;
	report("no data is EINVAL", blk_submit(d, &r) == -EINVAL);
}

void blk_selftest(void)
{
	struct blk_dev *d = blk_get(0);

	if (!d) {
		klog("monos: blktest: no disk\n");
		return;
	}
	if (d->ro) {
		static uint8_t buf[BLK_SECTOR_SIZE];
		report("a write to a read-only disk is EROFS",
		       kbuf_io(d, BLK_OP_WRITE, 0, 0, buf, sizeof(buf)) == -EROFS);
		return;
	}
	blktest_data(d);
	blktest_refusals(d);
}
