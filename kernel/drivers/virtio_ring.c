/*
 * The transport-independent virtio core: split virtqueues (spec 2.7) in DMA
 * frames, and the device handshake every transport shares (spec 3.1: reset,
 * ACKNOWLEDGE, DRIVER, features, FEATURES_OK, queues, DRIVER_OK) with the
 * matching of devices to registered drivers.
 *
 * Memory: frames from mem_alloc_frame() are reached through the direct map
 * and their physical address is what the device sees (no IOMMU).  x86 is
 * TSO, so ordering against the device needs only compiler barriers, except
 * before reading whether to notify (a full fence: the store of avail->idx
 * must not pass the load of used->flags).
 */
#include "core/heap.h"
#include "core/kernel.h"
#include "core/mem.h"
#include "drivers/virtio.h"

#define VIRTQ_DESC_F_NEXT	   1 /* spec 2.7.5 */
#define VIRTQ_DESC_F_WRITE	   2
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1 /* spec 2.7.6 */
#define VIRTQ_USED_F_NO_NOTIFY	   1 /* spec 2.7.8 */
#define VIRTIO_MAX_DRIVERS	   4

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* size entries, then used_event (unused: no EVENT_IDX) */
};

struct virtq_used_elem {
	uint32_t id; /* head descriptor of the buffer */
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[]; /* size entries, then avail_event */
};

_Static_assert(sizeof(struct virtq_desc) * VIRTQ_MAX_SIZE <= PAGE_SIZE, "desc table > frame");
_Static_assert(sizeof(struct virtq_used) + 8 * VIRTQ_MAX_SIZE + 2 <= PAGE_SIZE, "used > frame");

#define barrier() __asm__ volatile("" ::: "memory")
#define mb()	  __atomic_thread_fence(__ATOMIC_SEQ_CST)

/* A ring field the device reads or writes behind the compiler's back. */
#define SHARED16(x) (*(volatile uint16_t *)&(x))

static const struct virtio_driver *drivers[VIRTIO_MAX_DRIVERS];
static unsigned ndrivers;

/* A zeroed frame through the direct map; its physical address in *pa. */
static void *dma_frame(uint64_t *pa)
{
	*pa = mem_alloc_frame(1);
	return *pa ? phys_to_virt(*pa) : NULL;
}

int virtq_init(struct virtq *q, struct virtio_dev *dev, unsigned index, unsigned size)
{
	memset(q, 0, sizeof(*q));
	q->dev = dev;
	q->index = index;
	q->size = size;
	q->token = kzalloc(size * sizeof(*q->token));
	q->chain = kzalloc(2 * size * sizeof(*q->chain)); /* chain, then link */
	q->link = q->chain + size;
	q->desc = dma_frame(&q->desc_pa);
	q->avail = dma_frame(&q->avail_pa);
	q->used = dma_frame(&q->used_pa);
	if (!q->token || !q->chain || !q->desc || !q->avail || !q->used)
		goto out_free;
	/* All descriptors free, chained through our own links. */
	for (unsigned i = 0; i + 1 < size; i++)
		q->link[i] = (uint16_t)(i + 1);
	q->num_free = (uint16_t)size;
	return 0;

out_free:
	kfree(q->token);
	kfree(q->chain);
	if (q->desc)
		mem_free_frame(q->desc_pa);
	if (q->avail)
		mem_free_frame(q->avail_pa);
	if (q->used)
		mem_free_frame(q->used_pa);
	return -ENOMEM;
}

int virtq_add_chain(struct virtq *q, const struct virtq_buf *bufs, unsigned n, void *token)
{
	uint16_t head = q->free_head, i = head;
	struct virtq_desc *d = NULL;

	if (!n || n > q->size)
		return -EINVAL;
	if (n > q->num_free)
		return -ENOSPC;
	for (unsigned k = 0; k < n; k++) {
		d = &q->desc[i];
		d->addr = bufs[k].pa;
		d->len = bufs[k].len;
		d->flags = (bufs[k].device_writes ? VIRTQ_DESC_F_WRITE : 0) |
			   (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0);
		/* Free descriptors are linked already: the chain is the
		 * next n of the free list, and the device sees the links. */
		d->next = q->link[i];
		i = q->link[i];
	}
	q->free_head = i;
	q->num_free = (uint16_t)(q->num_free - n);
	q->token[head] = token;
	q->chain[head] = (uint16_t)n;
	/* The slot may be read by the device as soon as idx moves (kick). */
	q->avail->ring[(q->avail_idx + q->added) & (q->size - 1)] = head;
	q->added++;
	return 0;
}

int virtq_add(struct virtq *q, uint64_t pa, uint32_t len, bool device_writes, void *token)
{
	struct virtq_buf b = { .pa = pa, .len = len, .device_writes = device_writes };

	return virtq_add_chain(q, &b, 1, token);
}

/* Make the buffers added visible to the device.  Caller holds the lock. */
static void virtq_publish(struct virtq *q)
{
	barrier(); /* descriptors and ring entries before the index */
	q->avail_idx = (uint16_t)(q->avail_idx + q->added);
	q->added = 0;
	SHARED16(q->avail->idx) = q->avail_idx;
}

void virtq_kick(struct virtq *q)
{
	if (!q->added)
		return;
	virtq_publish(q);
	mb(); /* the index store before the flags load (spec 2.7.13.4) */
	if (!(SHARED16(q->used->flags) & VIRTQ_USED_F_NO_NOTIFY))
		q->dev->ops->notify(q->dev, q->index);
}

void virtq_kick_if_idle(struct virtq *q)
{
	uint16_t before = q->avail_idx;

	if (!q->added)
		return;
	virtq_publish(q);
	/* Our avail->idx store before the used->idx load, as the device puts
	 * a full fence between its used->idx store and its next look at
	 * avail->idx (QEMU's virtio_notify): so either we see that it used
	 * every buffer, or it sees the new ones. */
	mb();
	if (SHARED16(q->used->idx) == before &&
	    !(SHARED16(q->used->flags) & VIRTQ_USED_F_NO_NOTIFY))
		q->dev->ops->notify(q->dev, q->index);
}

/* Put the chain of `n` descriptors at `head` back on the free list.  Its
 * length and links are our own records, never read back from the table the
 * device shares (it could have written there), so a device cannot corrupt
 * the free list. */
static void virtq_free_chain(struct virtq *q, uint16_t head)
{
	uint16_t tail = head, n = q->chain[head];

	for (uint16_t k = 1; k < n; k++)
		tail = q->link[tail];
	q->link[tail] = q->free_head;
	q->free_head = head;
	q->num_free = (uint16_t)(q->num_free + n);
	q->chain[head] = 0;
}

void *virtq_get_used(struct virtq *q, uint32_t *len)
{
	struct virtq_used_elem *e;
	void *token;
	uint32_t id;

	if (q->broken || q->last_used == SHARED16(q->used->idx))
		return NULL;
	barrier(); /* the index before the element it covers */
	e = &q->used->ring[q->last_used & (q->size - 1)];
	id = e->id;
	*len = e->len;
	q->last_used++;
	if (id >= q->size || !q->token[id]) {
		/* The device broke the protocol: nothing it says can be
		 * trusted any more, so the queue stops (the driver sees
		 * q->broken) rather than the kernel. */
		klog("virtio: %s queue %u: device returned bad descriptor %u: queue stopped\n",
		     q->dev->name, q->index, id);
		q->broken = true;
		return NULL;
	}
	token = q->token[id];
	q->token[id] = NULL;
	virtq_free_chain(q, (uint16_t)id);
	return token;
}

void virtq_set_interrupts(struct virtq *q, bool on)
{
	SHARED16(q->avail->flags) = on ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT;
}

void virtio_register_driver(const struct virtio_driver *drv)
{
	BUG_ON(ndrivers >= VIRTIO_MAX_DRIVERS);
	drivers[ndrivers++] = drv;
}

int virtio_probe(struct virtio_dev *d)
{
	const struct virtio_driver *drv = NULL;
	int err;

	for (unsigned i = 0; i < ndrivers && !drv; i++)
		if (drivers[i]->device_id == d->device_id)
			drv = drivers[i];
	d->ops->set_status(d, 0); /* reset (spec 3.1.1 step 1) */
	if (!drv)
		return -ENODEV;
	d->driver = drv;
	d->ops->set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	d->ops->set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	err = drv->probe(d);
	if (err) {
		d->ops->set_status(d, d->ops->get_status(d) | VIRTIO_STATUS_FAILED);
		d->driver = NULL;
		klog("monos: %s: %s driver failed: %s\n", d->name, drv->name, errno_name(-err));
	}
	return err;
}

int virtio_negotiate(struct virtio_dev *d, uint64_t wanted)
{
	uint64_t offered = d->ops->get_features(d);
	uint8_t status;

	/* A legacy device speaks another layout: monos drives modern ones only. */
	if (!((offered >> VIRTIO_F_VERSION_1) & 1))
		return -ENODEV;
	d->features = offered & (wanted | 1ull << VIRTIO_F_VERSION_1);
	d->ops->set_features(d, d->features);
	status = d->ops->get_status(d);
	d->ops->set_status(d, status | VIRTIO_STATUS_FEATURES_OK);
	if (!(d->ops->get_status(d) & VIRTIO_STATUS_FEATURES_OK))
		return -EIO;
	return 0;
}

int virtio_setup_queue(struct virtio_dev *d, struct virtq *q, unsigned index, unsigned want)
{
	unsigned max = d->ops->queue_max(d, index), size = 1;
	int err;

	if (!max)
		return -ENOENT;
	/* The largest power of 2 within both limits (split rings need one). */
	while (size * 2 <= MIN(MIN(max, want), (unsigned)VIRTQ_MAX_SIZE))
		size *= 2;
	err = virtq_init(q, d, index, size);
	if (err)
		return err;
	return d->ops->queue_enable(d, q);
}

void virtio_ready(struct virtio_dev *d)
{
	d->ops->set_status(d, d->ops->get_status(d) | VIRTIO_STATUS_DRIVER_OK);
}
