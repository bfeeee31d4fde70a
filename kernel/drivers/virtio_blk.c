/*
 * The virtio-blk driver (spec 5.2): each device becomes a block device of
 * the block layer (blk.h: vda, vdb, ... in the order found), on either
 * transport.  One request queue; every request is a descriptor chain of a
 * device-readable header, the data segments (device-writable for a read)
 * and a device-writable status byte.
 *
 * In flight: up to VBLK_SLOTS requests at once, as many as the ring has
 * descriptors for; the rest wait in a FIFO and go out as completions free
 * room.  Completions arrive by interrupt: each one is checked (the status
 * byte was set to a value the device never writes, so a device that did
 * not answer is caught; a read must report its data written) and handed
 * to the block layer with its status.  A device that breaks the ring's
 * protocol (virtio_ring.c stops the queue) fails every request with -EIO,
 * now and later: never a panic.
 *
 * Features: SIZE_MAX and SEG_MAX bound the segments, BLK_SIZE gives the
 * logical block size, RO makes writes -EROFS (the block layer refuses
 * them), FLUSH says there is a volatile cache to flush (without it, the
 * device writes through and a flush has nothing to do).  virtio 1.1 has no
 * FUA: the block layer sends a write then a flush.
 */
#include "core/heap.h"
#include "core/kernel.h"
#include "core/mem.h"
#include "drivers/blk.h"
#include "drivers/virtio.h"

/* Feature bits, configuration layout, request types and statuses (5.2.3,
 * 5.2.4, 5.2.6). */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX  2
#define VIRTIO_BLK_F_RO	      5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH    9
#define VBLK_CFG_CAPACITY     0 /* le64, 512-byte sectors */
#define VBLK_CFG_SIZE_MAX     8 /* le32 */
#define VBLK_CFG_SEG_MAX      12
#define VBLK_CFG_BLK_SIZE     20
#define VIRTIO_BLK_T_IN	      0
#define VIRTIO_BLK_T_OUT      1
#define VIRTIO_BLK_T_FLUSH    4
#define VIRTIO_BLK_S_OK	      0
#define VIRTIO_BLK_S_IOERR    1
#define VIRTIO_BLK_S_UNSUPP   2
#define VBLK_STATUS_UNSET     0xff /* never written by a device: not answered */

#define VBLK_REQUESTQ  0
#define VBLK_RING_SIZE 256	    /* descriptors asked for */
#define VBLK_SLOTS     64	    /* requests in flight at most */
#define VBLK_MAX_VECS  64	    /* segments per request: 256 KiB of pages */
#define VBLK_MAX_BYTES (256u << 10) /* bytes per request */
#define VBLK_HDR_AREA  2048	    /* headers in the first half of the frame, statuses after */

/* struct virtio_blk_req's device-readable part (5.2.6). */
struct vblk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};
_Static_assert(sizeof(struct vblk_hdr) * VBLK_SLOTS <= VBLK_HDR_AREA, "headers fit");
_Static_assert(VBLK_HDR_AREA + VBLK_SLOTS <= PAGE_SIZE, "statuses fit");

/* A request in flight: its header and status byte live in the DMA frame. */
struct vblk_slot {
	struct blk_req *req;
	enum blk_op op;
	uint32_t bytes; /* data bytes, for the check of a read's used length */
	struct vblk_hdr *hdr;
	volatile uint8_t *status;
	uint64_t hdr_pa, status_pa;
};

struct vblk {
	struct virtio_dev *dev;
	struct blk_dev blk;
	struct spinlock lock; /* q, slots, free, waiting, dead */
	struct virtq q;
	struct vblk_slot slots[VBLK_SLOTS];
	struct vblk_slot *free[VBLK_SLOTS]; /* a stack of idle slots */
	unsigned nfree;
	struct list_head waiting; /* struct blk_req.node: no room for them yet */
	bool dead;		  /* the queue broke: every request fails */
};

/* The header, data and status of `r` as operation `op`, posted in slot
 * `s`.  The ring has room (checked by the caller).  Lock held. */
static void vblk_post(struct vblk *v, struct vblk_slot *s, struct blk_req *r, enum blk_op op)
{
	struct virtq_buf bufs[VBLK_MAX_VECS + 2];
	bool rd = op == BLK_OP_READ;
	unsigned n = 0, nvec = op == BLK_OP_FLUSH ? 0 : r->nvec;

	s->req = r;
	s->op = op;
	s->bytes = 0;
	s->hdr->type = rd		    ? VIRTIO_BLK_T_IN
		       : op == BLK_OP_WRITE ? VIRTIO_BLK_T_OUT
					    : VIRTIO_BLK_T_FLUSH;
	s->hdr->reserved = 0;
	s->hdr->sector = op == BLK_OP_FLUSH ? 0 : r->sector;
	*s->status = VBLK_STATUS_UNSET;
	bufs[n++] = (struct virtq_buf){ .pa = s->hdr_pa, .len = sizeof(*s->hdr) };
	for (unsigned i = 0; i < nvec; i++) {
		bufs[n++] = (struct virtq_buf){ r->vec[i].pa, r->vec[i].len, rd };
		s->bytes += r->vec[i].len;
	}
	bufs[n++] = (struct virtq_buf){ .pa = s->status_pa, .len = 1, .device_writes = true };
	BUG_ON(virtq_add_chain(&v->q, bufs, n, s)); /* room was checked */
}

/* Post the waiting requests that fit, oldest first.  Lock held. */
static void vblk_dispatch(struct vblk *v)
{
	while (!list_empty(&v->waiting) && v->nfree) {
		struct blk_req *r = list_first_entry(&v->waiting, struct blk_req, node);
		enum blk_op op = r->fua_flush ? BLK_OP_FLUSH : r->op;
		unsigned need = 2 + (op == BLK_OP_FLUSH ? 0 : r->nvec);

		if (v->q.num_free < need)
			break;
		list_del(&r->node);
		vblk_post(v, v->free[--v->nfree], r, op);
	}
	virtq_kick(&v->q);
}

/* Queue `r` behind those waiting (so requests go out in order) and post
 * what fits. */
static void vblk_submit(struct blk_dev *d, struct blk_req *r)
{
	struct vblk *v = d->priv;
	uint64_t flags = spin_lock_irqsave(&v->lock);
	bool dead = v->dead;

	if (!dead) {
		list_add_tail(&r->node, &v->waiting);
		vblk_dispatch(v);
	}
	spin_unlock_irqrestore(&v->lock, flags);
	if (dead)
		blk_complete(r, -EIO);
}

/* The status of a finished slot, from what the device wrote. */
static int vblk_status(const struct vblk_slot *s, uint32_t used_len)
{
	switch (*s->status) {
	case VIRTIO_BLK_S_OK:
		/* A read reports its data and the status byte written. */
		if (s->op == BLK_OP_READ && used_len != s->bytes + 1)
			return -EIO;
		return 0;
	case VIRTIO_BLK_S_UNSUPP:
		return -EOPNOTSUPP;
	default: /* IOERR, or a byte the device never set */
		return -EIO;
	}
}

/*
 * Take the finished requests off the ring onto `done` with their statuses,
 * then post what waits.  After a protocol error, every request in flight or
 * waiting ends with -EIO.  Lock held.
 */
static void vblk_harvest(struct vblk *v, struct list_head *done)
{
	struct vblk_slot *s;
	uint32_t len;

	while ((s = virtq_get_used(&v->q, &len))) {
		s->req->status = vblk_status(s, len);
		list_add_tail(&s->req->node, done);
		s->req = NULL;
		v->free[v->nfree++] = s;
	}
	if (v->q.broken && !v->dead) {
		v->dead = true;
		klog("monos: %s: the device broke its queue: I/O fails from now on\n", v->blk.name);
		for (unsigned i = 0; i < VBLK_SLOTS; i++) {
			if (!v->slots[i].req)
				continue;
			v->slots[i].req->status = -EIO;
			list_add_tail(&v->slots[i].req->node, done);
			v->slots[i].req = NULL;
		}
	}
	if (v->dead) {
		while (!list_empty(&v->waiting)) {
			struct blk_req *r = list_first_entry(&v->waiting, struct blk_req, node);
			list_del(&r->node);
			r->status = -EIO;
			list_add_tail(&r->node, done);
		}
	} else {
		vblk_dispatch(v);
	}
}

static void vblk_interrupt(struct virtio_dev *d, unsigned why)
{
	struct vblk *v = d->priv;
	struct list_head done;
	uint64_t flags;

	if (!(why & VIRTIO_IRQ_USED))
		return; /* config change (a resize): not followed yet */
	list_init(&done);
	flags = spin_lock_irqsave(&v->lock);
	vblk_harvest(v, &done);
	spin_unlock_irqrestore(&v->lock, flags);
	/* Completions may submit again (a FUA write's flush): not under the
	 * lock. */
	while (!list_empty(&done)) {
		struct blk_req *r = list_first_entry(&done, struct blk_req, node);
		list_del(&r->node);
		blk_complete(r, r->status);
	}
}

static const struct blk_dev_ops vblk_ops = { .submit = vblk_submit };

/* The limits and size from the configuration space.  0 or -EINVAL. */
static int vblk_config(struct vblk *v)
{
	struct virtio_dev *d = v->dev;
	struct blk_dev *b = &v->blk;
	uint32_t size_max = 0, seg_max = 0, blk_size = BLK_SECTOR_SIZE;

	d->ops->read_config(d, VBLK_CFG_CAPACITY, &b->sectors, sizeof(b->sectors));
	if (virtio_has(d, VIRTIO_BLK_F_SIZE_MAX))
		d->ops->read_config(d, VBLK_CFG_SIZE_MAX, &size_max, sizeof(size_max));
	if (virtio_has(d, VIRTIO_BLK_F_SEG_MAX))
		d->ops->read_config(d, VBLK_CFG_SEG_MAX, &seg_max, sizeof(seg_max));
	if (virtio_has(d, VIRTIO_BLK_F_BLK_SIZE))
		d->ops->read_config(d, VBLK_CFG_BLK_SIZE, &blk_size, sizeof(blk_size));
	b->block_size = blk_size;
	b->ro = virtio_has(d, VIRTIO_BLK_F_RO);
	b->flush = virtio_has(d, VIRTIO_BLK_F_FLUSH);
	/* Two descriptors go to the header and the status. */
	b->max_vecs = MIN((unsigned)VBLK_MAX_VECS, v->q.size - 2);
	if (seg_max)
		b->max_vecs = MIN(b->max_vecs, seg_max);
	b->max_vec_bytes = size_max ? size_max : UINT32_MAX;
	b->max_bytes = VBLK_MAX_BYTES;
	/* A size past 2^64 bytes could not be addressed. */
	if (b->sectors >> (64 - BLK_SECTOR_SHIFT))
		return -EINVAL;
	b->ops = &vblk_ops;
	b->priv = v;
	return 0;
}

/* The slots' headers and statuses in one DMA frame. */
static int vblk_slots(struct vblk *v)
{
	uint64_t pa = mem_alloc_frame(1);

	if (!pa)
		return -ENOMEM;
	for (unsigned i = 0; i < VBLK_SLOTS; i++) {
		struct vblk_slot *s = &v->slots[i];
		s->hdr_pa = pa + i * sizeof(struct vblk_hdr);
		s->status_pa = pa + VBLK_HDR_AREA + i;
		s->hdr = phys_to_virt(s->hdr_pa);
		s->status = phys_to_virt(s->status_pa);
		v->free[v->nfree++] = s;
	}
	return 0;
}

static int vblk_probe(struct virtio_dev *d)
{
	struct vblk *v;
	int err;

	err = virtio_negotiate(d, 1ull << VIRTIO_BLK_F_SIZE_MAX | 1ull << VIRTIO_BLK_F_SEG_MAX |
					  1ull << VIRTIO_BLK_F_RO | 1ull << VIRTIO_BLK_F_BLK_SIZE |
					  1ull << VIRTIO_BLK_F_FLUSH);
	if (err)
		return err;
	if (!(v = kzalloc(sizeof(*v))))
		return -ENOMEM;
	v->dev = d;
	d->priv = v;
	list_init(&v->waiting);
	/* Boot: on failure the partial device is abandoned, marked FAILED. */
	if ((err = virtio_setup_queue(d, &v->q, VBLK_REQUESTQ, VBLK_RING_SIZE)) ||
	    (err = vblk_slots(v)) || (err = vblk_config(v)) || (err = d->ops->enable_irq(d)))
		return err;
	if ((err = blk_register(&v->blk, "vd")))
		return err;
	virtio_ready(d);
	klog("monos: %s: virtio-blk %s, %lu sectors, block %u%s%s, queue %u\n", d->name,
	     v->blk.name, v->blk.sectors, v->blk.block_size, v->blk.ro ? ", read-only" : "",
	     v->blk.flush ? ", flush" : "", v->q.size);
	return 0;
}

static const struct virtio_driver vblk_driver = {
	.device_id = VIRTIO_ID_BLK,
	.name = "virtio-blk",
	.probe = vblk_probe,
	.interrupt = vblk_interrupt,
};

void virtio_blk_init(void)
{
	virtio_register_driver(&vblk_driver);
}
