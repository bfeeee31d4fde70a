/*
 * The block layer (design.md contract 21): a registry of block devices
 * (vda, vdb, ...) and asynchronous requests on them -- read, write, flush,
 * and write with FUA -- each ending in a completion callback with a status.
 * A synchronous helper waits for a transfer of any size.  Drivers
 * (virtio_blk.c) register devices and carry requests out; filesystems and
 * the /dev/vdX files (fs/blkdev.c) issue them.
 *
 * Units: a request's position is in 512-byte sectors (BLK_SECTOR_SIZE), as
 * virtio-blk and Linux count them, whatever the device's logical block
 * size; positions and lengths must be multiples of that logical block size.
 *
 * Data: a request names its bytes by physical segments (struct blk_vec, as
 * Linux's bio_vec names pages), so a buffer need not be contiguous in
 * memory; blk_vec_kbuf makes them from any kernel buffer (frames, kmalloc
 * blocks of any size).
 *
 * Order: requests in flight together complete in any order (the device
 * may reorder them).  A flush covers the writes that completed before it
 * was issued, and only those.  A write with BLK_REQ_FUA completes once its
 * data is durable: the device has no FUA bit in virtio 1.1, so the layer
 * sends the write, then a flush, and completes the request after both.
 */
#ifndef DRIVERS_BLK_H
#define DRIVERS_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <lib/list.h>
#include "core/waitq.h"

#define BLK_SECTOR_SHIFT 9
#define BLK_SECTOR_SIZE	 (1u << BLK_SECTOR_SHIFT)
#define BLK_MAX_DEVICES	 16 /* vda..vdp */
#define BLK_NAME_MAX	 8

enum blk_op { BLK_OP_READ, BLK_OP_WRITE, BLK_OP_FLUSH };

#define BLK_REQ_FUA 1u /* a write: durable when it completes */

/* A physically contiguous piece of a request's data. */
struct blk_vec {
	uint64_t pa;
	uint32_t len;
};

struct blk_dev;
struct blk_req;

/* Completion: runs once per request, in interrupt context (interrupts off)
 * or, for a request refused at submission, not at all (blk_submit's
 * error says why).  It may submit further requests and wake threads. */
typedef void (*blk_done_fn)(struct blk_req *r);

/*
 * One request.  The issuer fills op, flags, sector, vec/nvec, done and
 * priv, and keeps the request and its data untouched until `done` runs;
 * `status` is then 0 or -errno: -EIO (the device failed, or the request
 * lies past the end), -EOPNOTSUPP (the device refused the operation),
 * -EROFS (a write to a read-only device).
 */
struct blk_req {
	enum blk_op op;
	unsigned flags; /* BLK_REQ_FUA */
	uint64_t sector;
	const struct blk_vec *vec; /* nvec segments; none for a flush */
	unsigned nvec;
	blk_done_fn done;
	void *priv; /* the issuer's */
	int status;
	/* The layer's and the driver's: */
	struct blk_dev *dev;
	bool fua_flush;	       /* the write of a FUA pair is done: its flush is out */
	struct list_head node; /* the driver's queue of requests waiting for room */
};

/*
 * What a driver provides.  `submit` starts request `r`: its operation is
 * r->op, or BLK_OP_FLUSH once r->fua_flush is set (the second half of a
 * FUA write).  It never fails: a request that finds the device busy waits
 * in the driver, and any error arrives through blk_complete.  Any context.
 */
struct blk_dev_ops {
	void (*submit)(struct blk_dev *d, struct blk_req *r);
};

struct blk_dev {
	char name[BLK_NAME_MAX]; /* "vda", set by blk_register */
	unsigned index;		 /* registration order: vda is 0 */
	uint64_t sectors;	 /* the size, in 512-byte sectors */
	uint32_t block_size;	 /* logical block size: 512, 4096, ... */
	bool ro;		 /* writes give -EROFS */
	bool flush;		 /* the device has a volatile cache to flush */
	unsigned max_vecs;	 /* segments one request may have */
	uint32_t max_vec_bytes;	 /* bytes one segment may have */
	uint32_t max_bytes;	 /* data bytes one request may carry */
	const struct blk_dev_ops *ops;
	void *priv;	    /* the driver's */
	struct waitq waitq; /* blk_io's sleepers, woken by its completions */
};

/*
 * blk_register - add `d` (static storage or never freed; every field but
 * name, index and waitq filled) under the next name of `prefix` ("vd": vda, vdb,
 * ...).  Returns 0, -ENOSPC past BLK_MAX_DEVICES, -EINVAL for a block size
 * that is not a power of 2 from 512 to 64 KiB or a request too small to
 * hold one block.  Boot only.
 */
int blk_register(struct blk_dev *d, const char *prefix);

/* blk_count, blk_get - the registered devices, by index (NULL past the
 * end); blk_find - by name, or NULL.  Any context. */
unsigned blk_count(void);
struct blk_dev *blk_get(unsigned index);
struct blk_dev *blk_find(const char *name);

/* blk_size - the device's size in bytes. */
static inline uint64_t blk_size(const struct blk_dev *d)
{
	return d->sectors << BLK_SECTOR_SHIFT;
}

/*
 * blk_submit - start `r` on `d`.  Checked first, and refused with nothing
 * sent and `done` not called: -EINVAL (a position or length that is not a
 * multiple of the block size, no data for a read or write, more than
 * max_vecs segments, a segment over max_vec_bytes, more than max_bytes),
 * -EIO (past the end of the device), -EROFS (a write to a read-only
 * device).  Returns 0 once it is on its way.  A flush on a device without
 * a volatile cache completes at once: `done` may then run before
 * blk_submit returns.  Any context.
 */
int blk_submit(struct blk_dev *d, struct blk_req *r);

/* blk_complete - for drivers: `r` ended with `status` (0 or -errno).  Any
 * context. */
void blk_complete(struct blk_req *r, int status);

/*
 * blk_io - a read or write (BLK_REQ_FUA allowed) of the `nvec` segments
 * `vec` at `sector`, or a flush (nvec 0), of any size: split into requests
 * the device takes, all sent at once, and waited for.  Returns 0 or the
 * first error (blk_submit's, or a request's status).  Process context: it
 * sleeps uninterruptibly (a signal cannot abandon a buffer the device
 * still writes into).
 */
int blk_io(struct blk_dev *d, enum blk_op op, unsigned flags, uint64_t sector,
	   const struct blk_vec *vec, unsigned nvec);

/* blk_flush - blk_io of a flush: what completed before is durable. */
int blk_flush(struct blk_dev *d);

/*
 * blk_vec_kbuf - the physical segments of kernel buffer [buf, buf + len)
 * into `out` (room for `max`): one per physically contiguous run.  Any
 * kernel memory: frames through the direct map, any kmalloc block (large
 * ones are mapped page by page), static data.  Returns the count, or
 * -EINVAL for an address with nothing mapped or more than `max` runs.
 * Any context.
 */
int blk_vec_kbuf(const void *buf, size_t len, struct blk_vec *out, unsigned max);

/* blk_selftest - kernel option monos.blktest=1 (blk_test.c): check kernel
 * buffers, FUA, flush and refusals on the first disk, writing its sectors
 * 8-23; logs each check.  Boot, process context (it sleeps). */
void blk_selftest(void);

#endif
