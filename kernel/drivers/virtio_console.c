/*
 * The virtio console driver (spec 5.3): the fast wire of the host channel.
 * The driver moves bytes, not frames: core/console.c frames them, as it does
 * on the UART.  One port carries them:
 *
 * - With VIRTIO_CONSOLE_F_MULTIPORT (what `monos run` gives QEMU: a
 *   virtserialport at nr=1 of a virtio-serial with max_ports=2), port 1:
 *   its queues 4 and 5, opened through the control transmitq 3 (spec
 *   5.3.6.2: DEVICE_READY, PORT_READY, PORT_OPEN).  The device's own control
 *   messages are not read (its control receiveq 2 stays off).  Why not port
 *   0: QEMU reserves it for a virtconsole, and QEMU's virtconsole drops what
 *   the guest sends when the host's socket is full (virtio-console.c,
 *   flush_buf: no throttling for console ports), where a virtserialport
 *   waits for the host.
 * - Without it (a plain virtconsole elsewhere), port 0 on queues 0 and 1,
 *   which QEMU connects at DRIVER_OK.
 *
 * Receive: VCON_RX_BUFS page-sized buffers stay posted.  A buffer the device
 * filled is handed to the consumer's callback, which takes what it has room
 * for; the rest waits in the buffer, which is not posted again until it is
 * emptied (virtio_console_rx_resume).  So a program that does not read its
 * stdin stops the host, which keeps the bytes: nothing is lost and nothing
 * grows.
 *
 * Transmit: the caller takes a page-sized buffer, fills it (core/console.c
 * puts one frame in each, copied straight from the program's memory) and
 * puts it back to be sent; virtio_console_push notifies the device.  Buffers
 * the device is done with are taken back when one is asked for; transmit
 * interrupts are on only while a writer sleeps for one
 * (virtio_console_tx_wake), so a steady stream costs no interrupts.
 *
 * Memory: nothing before a device is found; then 2 * 8 pages of buffers and
 * the rings, allocated once at probe.
 */
#include "core/heap.h"
#include "core/kernel.h"
#include "core/mem.h"
#include "core/sched.h"
#include "core/time.h"
#include "drivers/virtio.h"

/* Feature, queues and control messages (spec 5.3.3, 5.3.2, 5.3.6.2). */
#define VIRTIO_CONSOLE_F_MULTIPORT 1
#define VCON_CTRL_TXQ		   3 /* control transmitq */
#define VCON_PORT		   1 /* the channel's port with MULTIPORT */
#define VCON_RXQ(port)		   ((port) ? 2 * (port) + 2 : 0) /* receiveq(port) */
#define VCON_TXQ(port)		   ((port) ? 2 * (port) + 3 : 1) /* transmitq(port) */
#define VCON_DEVICE_READY	   0
#define VCON_PORT_READY		   3
#define VCON_PORT_OPEN		   6
#define VCON_CTRL_RING		   4		 /* the three messages vcon_open_port sends */
#define VCON_CTRL_WAIT_NS	   1000000000ull /* QEMU answers at the notify */
#define VCON_BUF_SIZE		   VIRTIO_CONSOLE_BUF_SIZE
_Static_assert(VCON_BUF_SIZE == PAGE_SIZE, "a buffer is one frame");
#define VCON_RX_BUFS   8	     /* 32 KiB posted for the host to fill */
#define VCON_TX_BUFS   8	     /* 32 KiB in flight to the host */
#define VCON_RING_SIZE 8	     /* descriptors asked for: one per buffer */
#define VCON_FLUSH_NS  2000000000ull /* bound on waiting for a host that stopped reading */

struct vcon_buf {
	uint8_t *va;
	uint64_t pa;
	uint32_t len, off; /* receive: bytes filled, bytes consumed */
};

struct vcon {
	struct virtio_dev *dev;
	struct spinlock rx_lock; /* rxq, rx_filled, rx_nfilled, rx_first */
	struct spinlock tx_lock; /* txq, tx_free, ntx_free, tx_inflight, tx_waiters */
	struct virtq rxq, txq;
	struct virtq ctrlq; /* control transmitq (multiport), used at probe only */
	struct vcon_buf rx[VCON_RX_BUFS], tx[VCON_TX_BUFS];
	/* Filled receive buffers not yet emptied, in arrival order (a ring). */
	struct vcon_buf *rx_filled[VCON_RX_BUFS];
	unsigned rx_first, rx_nfilled;
	struct vcon_buf *tx_free[VCON_TX_BUFS]; /* a stack of idle buffers */
	unsigned ntx_free, tx_inflight;
	unsigned tx_waiters; /* virtio_console_tx_wake(true) not yet undone */
};

static struct vcon *vcon; /* set once, at the end of a successful probe */
static virtio_console_rx_fn vcon_rx_fn;

static int vcon_alloc_bufs(struct vcon_buf *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		b[i].pa = mem_alloc_frame(0);
		if (!b[i].pa)
			return -ENOMEM; /* boot: what was taken stays taken */
		b[i].va = phys_to_virt(b[i].pa);
	}
	return 0;
}

/*
 * Move what the device filled to rx_filled, then hand it to the consumer in
 * order; each emptied buffer is posted again.  Stops at the first buffer the
 * consumer cannot finish.  rx_lock held.
 */
static void vcon_rx_deliver(struct vcon *v)
{
	struct vcon_buf *b;
	uint32_t len;
	bool posted = false;

	while ((b = virtq_get_used(&v->rxq, &len))) {
		b->len = MIN(len, (uint32_t)VCON_BUF_SIZE);
		b->off = 0;
		v->rx_filled[(v->rx_first + v->rx_nfilled++) % VCON_RX_BUFS] = b;
	}
	while (v->rx_nfilled) {
		b = v->rx_filled[v->rx_first];
		if (b->off < b->len && vcon_rx_fn)
			b->off += (uint32_t)vcon_rx_fn(b->va + b->off, b->len - b->off);
		if (b->off < b->len)
			break; /* the consumer is full: resumed by virtio_console_rx_resume */
		v->rx_first = (v->rx_first + 1) % VCON_RX_BUFS;
		v->rx_nfilled--;
		virtq_add(&v->rxq, b->pa, VCON_BUF_SIZE, true, b); /* its slot came free */
		posted = true;
	}
	/* QEMU reads the host's socket while it holds a receive buffer and
	 * looks at the ring before it stops: only a starved device needs a
	 * notification. */
	if (posted)
		virtq_kick_if_idle(&v->rxq);
}

/* Take back the transmit buffers the device has sent.  tx_lock held. */
static void vcon_tx_reclaim(struct vcon *v)
{
	struct vcon_buf *b;
	uint32_t len;

	while ((b = virtq_get_used(&v->txq, &len))) {
		v->tx_free[v->ntx_free++] = b;
		v->tx_inflight--;
	}
}

static void vcon_interrupt(struct virtio_dev *d, unsigned why)
{
	struct vcon *v = d->priv;
	uint64_t flags;
	bool waiters;

	if (!(why & VIRTIO_IRQ_USED))
		return; /* config change: no size or ports without their features */
	flags = spin_lock_irqsave(&v->rx_lock);
	vcon_rx_deliver(v);
	spin_unlock_irqrestore(&v->rx_lock, flags);
	flags = spin_lock_irqsave(&v->tx_lock);
	vcon_tx_reclaim(v);
	waiters = v->tx_waiters != 0;
	spin_unlock_irqrestore(&v->tx_lock, flags);
	/* Readers were woken by the consumer; a wake-up costs every blocked
	 * thread a run, and the scheduler a timer write (a VM exit). */
	if (waiters)
		sched_wake_all(); /* a writer waits for room (virtio_console_tx_wake) */
}

/* struct virtio_console_control (spec 5.3.6.2), little endian. */
struct vcon_control {
	uint32_t id; /* port number */
	uint16_t event, value;
};

/*
 * Open port VCON_PORT (multiport only): tell the device the driver is
 * ready, the port is ready and a program has it open, so that QEMU passes
 * host bytes to it.  The messages go through the control transmitq in the
 * first transmit buffer, free until probe ends.  0, or -errno.
 */
static int vcon_open_port(struct vcon *v)
{
	static const struct vcon_control msgs[] = {
		{ 0, VCON_DEVICE_READY, 1 },
		{ VCON_PORT, VCON_PORT_READY, 1 },
		{ VCON_PORT, VCON_PORT_OPEN, 1 },
	};
	struct virtq *ctrl = &v->ctrlq;
	uint64_t until = time_monotonic_ns() + VCON_CTRL_WAIT_NS;
	unsigned done = 0;
	uint32_t len;

	memcpy(v->tx[0].va, msgs, sizeof(msgs));
	for (unsigned i = 0; i < ARRAY_SIZE(msgs); i++)
		virtq_add(ctrl, v->tx[0].pa + i * sizeof(msgs[0]), sizeof(msgs[0]), false,
			  (void *)&msgs[i]);
	virtq_kick(ctrl);
	while (done < ARRAY_SIZE(msgs) && time_monotonic_ns() < until)
		if (virtq_get_used(ctrl, &len))
			done++;
	return done == ARRAY_SIZE(msgs) ? 0 : -ETIMEDOUT;
}

static int vcon_setup(struct vcon *v)
{
	unsigned port = virtio_has(v->dev, VIRTIO_CONSOLE_F_MULTIPORT) ? VCON_PORT : 0;
	int err = virtio_setup_queue(v->dev, &v->rxq, VCON_RXQ(port), VCON_RING_SIZE);

	if (!err && port)
		err = virtio_setup_queue(v->dev, &v->ctrlq, VCON_CTRL_TXQ, VCON_CTRL_RING);
	if (!err)
		err = virtio_setup_queue(v->dev, &v->txq, VCON_TXQ(port), VCON_RING_SIZE);
	if (!err)
		err = vcon_alloc_bufs(v->rx, MIN((unsigned)VCON_RX_BUFS, v->rxq.size));
	if (!err)
		err = vcon_alloc_bufs(v->tx, MIN((unsigned)VCON_TX_BUFS, v->txq.size));
	if (err)
		return err;
	/* No more buffers than descriptors, so a submit never lacks one. */
	for (unsigned i = 0; i < MIN((unsigned)VCON_TX_BUFS, v->txq.size); i++)
		v->tx_free[v->ntx_free++] = &v->tx[i];
	virtq_set_interrupts(&v->txq, false);
	return 0;
}

static int vcon_probe(struct virtio_dev *d)
{
	struct vcon *v;
	int err;

	if (vcon)
		return -EBUSY;					       /* the channel needs one */
	err = virtio_negotiate(d, 1ull << VIRTIO_CONSOLE_F_MULTIPORT); /* no SIZE, EMERG_WRITE */
	if (err)
		return err;
	v = kzalloc(sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->dev = d;
	d->priv = v;
	err = vcon_setup(v);
	if (!err)
		err = d->ops->enable_irq(d);
	if (err)
		return err; /* boot: the partial device is abandoned, marked FAILED */
	virtio_ready(d);
	if (virtio_has(d, VIRTIO_CONSOLE_F_MULTIPORT) && (err = vcon_open_port(v)))
		return err;
	for (unsigned i = 0; i < MIN((unsigned)VCON_RX_BUFS, v->rxq.size); i++)
		virtq_add(&v->rxq, v->rx[i].pa, VCON_BUF_SIZE, true, &v->rx[i]);
	virtq_kick(&v->rxq);
	vcon = v;
	klog("monos: %s: virtio console, port %u, queues %u/%u\n", d->name,
	     virtio_has(d, VIRTIO_CONSOLE_F_MULTIPORT) ? VCON_PORT : 0, v->rxq.size, v->txq.size);
	return 0;
}

static const struct virtio_driver vcon_driver = {
	.device_id = VIRTIO_ID_CONSOLE,
	.name = "virtio-console",
	.probe = vcon_probe,
	.interrupt = vcon_interrupt,
};

void virtio_console_init(virtio_console_rx_fn rx)
{
	vcon_rx_fn = rx;
	virtio_register_driver(&vcon_driver);
}

bool virtio_console_present(void)
{
	return vcon != NULL;
}

void virtio_console_rx_resume(void)
{
	uint64_t flags;

	if (!vcon)
		return;
	flags = spin_lock_irqsave(&vcon->rx_lock);
	vcon_rx_deliver(vcon);
	spin_unlock_irqrestore(&vcon->rx_lock, flags);
}

unsigned virtio_console_tx_free(void)
{
	struct vcon *v = vcon;
	uint64_t flags;
	unsigned n;

	if (!v)
		return 0;
	flags = spin_lock_irqsave(&v->tx_lock);
	vcon_tx_reclaim(v);
	n = v->ntx_free;
	spin_unlock_irqrestore(&v->tx_lock, flags);
	return n;
}

void *virtio_console_tx_get(void)
{
	struct vcon *v = vcon;
	void *va = NULL;
	uint64_t flags;

	if (!v)
		return NULL;
	flags = spin_lock_irqsave(&v->tx_lock);
	vcon_tx_reclaim(v);
	if (v->ntx_free)
		va = v->tx_free[--v->ntx_free]->va;
	spin_unlock_irqrestore(&v->tx_lock, flags);
	return va;
}

void virtio_console_tx_put(void *buf, size_t len)
{
	struct vcon *v = vcon;
	struct vcon_buf *b = NULL;
	uint64_t flags;

	for (unsigned i = 0; i < VCON_TX_BUFS && !b; i++)
		if (v->tx[i].va == buf)
			b = &v->tx[i];
	BUG_ON(!b || len > VCON_BUF_SIZE);
	flags = spin_lock_irqsave(&v->tx_lock);
	if (!len) {
		v->tx_free[v->ntx_free++] = b;
	} else {
		/* Cannot fail: there are no more buffers than descriptors. */
		BUG_ON(virtq_add(&v->txq, b->pa, (uint32_t)len, false, b));
		v->tx_inflight++;
	}
	spin_unlock_irqrestore(&v->tx_lock, flags);
}

void virtio_console_push(void)
{
	struct vcon *v = vcon;
	uint64_t flags;

	if (!v)
		return;
	flags = spin_lock_irqsave(&v->tx_lock);
	virtq_kick(&v->txq);
	spin_unlock_irqrestore(&v->tx_lock, flags);
}

void virtio_console_tx_wake(bool on)
{
	uint64_t flags;

	if (!vcon)
		return;
	flags = spin_lock_irqsave(&vcon->tx_lock);
	vcon->tx_waiters += on ? 1 : -1;
	virtq_set_interrupts(&vcon->txq, vcon->tx_waiters != 0);
	spin_unlock_irqrestore(&vcon->tx_lock, flags);
}

bool virtio_console_flush(void)
{
	uint64_t until;
	bool done = false;

	if (!vcon)
		return true;
	virtio_console_push();
	until = time_monotonic_ns() + VCON_FLUSH_NS;
	while (!done && time_monotonic_ns() < until) {
		uint64_t flags = spin_lock_irqsave(&vcon->tx_lock);
		vcon_tx_reclaim(vcon);
		done = !vcon->tx_inflight;
		spin_unlock_irqrestore(&vcon->tx_lock, flags);
		cpu_pause();
	}
	return done;
}
