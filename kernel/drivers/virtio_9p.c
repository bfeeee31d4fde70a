/*
 * The virtio-9p driver (virtio spec 1.1 section 5.11 is absent: the device
 * is described in "Plan 9 resource sharing" of the virtio 1.2 spec, 5.13
 * here; QEMU's hw/9pfs/virtio-9p-device.c is the reference): a transport
 * for 9P2000.L messages to QEMU's built-in server, on either virtio
 * transport (virtio-9p-device on microvm, virtio-9p-pci on q35).
 *
 * One request queue.  A call is one descriptor chain: the request (and
 * Twrite's data) device-readable, then the reply buffer (and Rread's data)
 * device-writable; each kernel buffer becomes its physical segments
 * (blk_vec_kbuf).  Each call in flight holds a slot, whose index is the
 * message's tag; a thread waits on the device's wait queue for its slot's
 * completion, and for a free slot when all are out.  Slots are as many as
 * the ring can hold calls of the largest size at once, so a slot always
 * finds room.
 *
 * The session: Tversion once per device at its first use, which agrees
 * on msize (ours at most); fids are numbered by the driver for every
 * mount of the device.  A device that breaks the ring's protocol fails
 * every call with -EIO, never the kernel.
 */
#include "drivers/virtio_9p.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/waitq.h"
#include "drivers/blk.h"
#include "drivers/virtio.h"
#include <lib/p9.h>

#define VIRTIO_ID_9P	    9 /* spec 5 */
#define VIRTIO_9P_MOUNT_TAG 0 /* feature: the config space holds a tag */
#define V9P_CFG_TAG_LEN	    0 /* le16, then the tag's bytes */
#define V9P_TAG_MAX	    64
#define V9P_REQUESTQ	    0
#define V9P_RING_SIZE	    256
/* Our msize: 64 KiB of data per Tread/Twrite plus their header, as
 * Linux's 9p client asked before 5.15 (net/9p/client.c). */
#define V9P_MSIZE    (64 * 1024 + P9_TWRITE_HDR + 1)
#define V9P_BUF_SEGS (V9P_MSIZE / PAGE_SIZE + 2) /* pages one buffer may touch */
/* A call: one buffer of msize at most each way (the request or Twrite's
 * data; the reply or Rread's data), and a small header on each side. */
#define V9P_CALL_SEGS (2 * V9P_BUF_SEGS + 4)
#define V9P_SLOTS     16

struct v9p_slot {
	struct virtio_9p_call *call;
	bool done; /* the device answered (or the queue broke: `status`) */
	int status;
};

struct virtio_9p {
	struct virtio_dev *dev;
	char tag[V9P_TAG_MAX + 1];
	struct spinlock lock; /* q, slots, nfree, dead */
	struct virtq q;
	struct v9p_slot slots[V9P_SLOTS];
	unsigned nslots, nfree;
	bool dead;
	struct waitq waiters; /* threads waiting for a slot or a reply */
	uint32_t msize;	      /* 0: no session yet */
	uint32_t root_fid;    /* the session's Tattach; 0: none yet */
	uint32_t next_fid;
	struct virtio_9p *next; /* the list of devices */
};

static struct virtio_9p *v9p_devices;

/* ---- calls ---- */

/* Append buffer [p, p + n) to `bufs` (V9P_CALL_SEGS entries) as segments
 * the device reads or writes.  false when it cannot be carried. */
static bool v9p_segments(struct virtq_buf *bufs, unsigned *nb, const void *p, size_t n,
			 bool device_writes)
{
	struct blk_vec vec[V9P_BUF_SEGS];
	int k;

	if (!n)
		return true;
	k = blk_vec_kbuf(p, n, vec, MIN((unsigned)V9P_BUF_SEGS, V9P_CALL_SEGS - *nb));
	if (k < 0)
		return false;
	for (int i = 0; i < k; i++)
		bufs[(*nb)++] = (struct virtq_buf){ vec[i].pa, vec[i].len, device_writes };
	return true;
}

static bool v9p_slot_free(void *arg)
{
	struct virtio_9p *d = arg;

	return d->nfree || d->dead;
}

static bool v9p_slot_done(void *arg)
{
	return __atomic_load_n(&((struct v9p_slot *)arg)->done, __ATOMIC_ACQUIRE);
}

/* A free slot (waiting for one), or NULL when the device is dead.  Lock
 * held on return, `*flags` its saved state. */
static struct v9p_slot *v9p_slot_get(struct virtio_9p *d, uint64_t *flags)
{
	for (;;) {
		*flags = spin_lock_irqsave(&d->lock);
		if (d->dead)
			return NULL;
		for (unsigned i = 0; i < d->nslots && d->nfree; i++)
			if (!d->slots[i].call) {
				d->nfree--;
				return &d->slots[i];
			}
		spin_unlock_irqrestore(&d->lock, *flags);
		waitq_wait_uninterruptible(&d->waiters, v9p_slot_free, d);
	}
}

int virtio_9p_rpc(struct virtio_9p *d, struct virtio_9p_call *c)
{
	struct virtq_buf bufs[V9P_CALL_SEGS];
	unsigned n = 0;
	uint64_t flags;
	struct v9p_slot *s;
	int err;

	if (c->reqlen < P9_HDR_SIZE)
		return -EINVAL;
	if (!v9p_segments(bufs, &n, c->req, c->reqlen, false) ||
	    !v9p_segments(bufs, &n, c->wdata, c->wlen, false) ||
	    !v9p_segments(bufs, &n, c->reply, c->replycap, true) ||
	    !v9p_segments(bufs, &n, c->rdata, c->rlen, true) || c->nrpages > V9P_CALL_SEGS - n)
		return -EINVAL;
	for (unsigned k = 0; k < c->nrpages; k++)
		bufs[n++] = (struct virtq_buf){ c->rpages[k], PAGE_SIZE, true };
	if (!(s = v9p_slot_get(d, &flags))) {
		spin_unlock_irqrestore(&d->lock, flags);
		return -EIO;
	}
	c->tag = (uint16_t)(s - d->slots);
	((uint8_t *)c->req)[5] = (uint8_t)c->tag;
	((uint8_t *)c->req)[6] = (uint8_t)(c->tag >> 8);
	s->call = c;
	s->done = false;
	err = virtq_add_chain(&d->q, bufs, n, s);
	if (!err)
		virtq_kick(&d->q);
	spin_unlock_irqrestore(&d->lock, flags);
	if (!err)
		waitq_wait_uninterruptible(&d->waiters, v9p_slot_done, s);
	flags = spin_lock_irqsave(&d->lock);
	err = err ? err : s->status;
	s->call = NULL;
	d->nfree++;
	spin_unlock_irqrestore(&d->lock, flags);
	waitq_wake(&d->waiters); /* a thread may wait for the slot */
	return err;
}

/* Finish what the device used; after a protocol error, everything. */
static void v9p_interrupt(struct virtio_dev *vd, unsigned why)
{
	struct virtio_9p *d = vd->priv;
	struct v9p_slot *s;
	uint64_t flags;
	uint32_t len;

	if (!(why & VIRTIO_IRQ_USED))
		return;
	flags = spin_lock_irqsave(&d->lock);
	while ((s = virtq_get_used(&d->q, &len))) {
		s->call->got = len;
		s->status = 0;
		__atomic_store_n(&s->done, true, __ATOMIC_RELEASE);
	}
	if (d->q.broken && !d->dead) {
		d->dead = true;
		klog("monos: 9p %s: the device broke its queue: the share fails from now on\n",
		     d->tag);
		for (unsigned i = 0; i < d->nslots; i++)
			if (d->slots[i].call && !d->slots[i].done) {
				d->slots[i].status = -EIO;
				__atomic_store_n(&d->slots[i].done, true, __ATOMIC_RELEASE);
			}
	}
	spin_unlock_irqrestore(&d->lock, flags);
	waitq_wake(&d->waiters);
}

/* ---- the session ---- */

/* Tversion: the server's msize (at most ours, at least P9_MIN_MSIZE) and
 * its agreement to 9P2000.L.  0 or -errno. */
static int v9p_version(struct virtio_9p *d)
{
	uint8_t *buf = kmalloc(2 * 64);
	struct virtio_9p_call c = { .req = buf, .reply = buf + 64, .replycap = 64 };
	const char *v;
	uint16_t vlen;
	uint32_t msize;
	int err;

	if (!buf)
		return -ENOMEM;
	c.reqlen = p9_build(buf, 64, P9_TVERSION, P9_NOTAG, "ds", (uint32_t)V9P_MSIZE, P9_VERSION,
			    strlen(P9_VERSION));
	err = virtio_9p_rpc(d, &c);
	if (!err)
		err = p9_parse(c.reply, MIN(c.got, c.replycap), P9_TVERSION, c.tag, "ds", &msize,
			       &v, &vlen);
	if (!err && (vlen != strlen(P9_VERSION) || memcmp(v, P9_VERSION, vlen) ||
		     msize < P9_MIN_MSIZE || msize > V9P_MSIZE))
		err = -EPROTO;
	if (!err)
		d->msize = msize;
	kfree(buf);
	return err;
}

struct virtio_9p *virtio_9p_find(const char *tag)
{
	struct virtio_9p *d;
	int err;

	for (d = v9p_devices; d; d = d->next)
		if (!strcmp(d->tag, tag))
			break;
	if (!d)
		return ERR_PTR(-ENODEV);
	if (!d->msize && (err = v9p_version(d))) {
		klog("monos: 9p %s: the server refused %s: error %d\n", tag, P9_VERSION, -err);
		return ERR_PTR(err);
	}
	return d;
}

uint32_t virtio_9p_msize(const struct virtio_9p *d)
{
	return d->msize;
}

uint32_t virtio_9p_root(const struct virtio_9p *d)
{
	return d->root_fid;
}

bool virtio_9p_set_root(struct virtio_9p *d, uint32_t fid)
{
	if (d->root_fid)
		return false;
	d->root_fid = fid;
	return true;
}

uint32_t virtio_9p_fid(struct virtio_9p *d)
{
	/* A 32-bit counter: a run would need four billion opens to wrap. */
	return ++d->next_fid == P9_NOFID ? ++d->next_fid : d->next_fid;
}

/* ---- the device ---- */

static int v9p_probe(struct virtio_dev *vd)
{
	struct virtio_9p *d;
	uint16_t len = 0;
	int err;

	if ((err = virtio_negotiate(vd, 1ull << VIRTIO_9P_MOUNT_TAG)))
		return err;
	if (!virtio_has(vd, VIRTIO_9P_MOUNT_TAG))
		return -ENODEV; /* a share we could not name */
	if (!(d = kzalloc(sizeof(*d))))
		return -ENOMEM;
	d->dev = vd;
	vd->priv = d;
	waitq_init(&d->waiters);
	vd->ops->read_config(vd, V9P_CFG_TAG_LEN, &len, sizeof(len));
	if (!len || len > V9P_TAG_MAX)
		return -EINVAL;
	vd->ops->read_config(vd, V9P_CFG_TAG_LEN + 2, d->tag, len);
	if ((err = virtio_setup_queue(vd, &d->q, V9P_REQUESTQ, V9P_RING_SIZE)) ||
	    (err = vd->ops->enable_irq(vd)))
		return err;
	d->nslots = MIN((unsigned)V9P_SLOTS, d->q.size / V9P_CALL_SEGS);
	if (!d->nslots)
		return -EINVAL; /* a ring too small for one call */
	d->nfree = d->nslots;
	d->next = v9p_devices;
	v9p_devices = d;
	virtio_ready(vd);
	klog("monos: %s: virtio-9p '%s', queue %u, %u calls in flight\n", vd->name, d->tag,
	     d->q.size, d->nslots);
	return 0;
}

static const struct virtio_driver v9p_driver = {
	.device_id = VIRTIO_ID_9P,
	.name = "virtio-9p",
	.probe = v9p_probe,
	.interrupt = v9p_interrupt,
};

void virtio_9p_init(void)
{
	virtio_register_driver(&v9p_driver);
}
