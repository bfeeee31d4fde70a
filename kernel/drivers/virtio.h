/*
 * virtio 1.x: the transport-independent core (split virtqueues, the device
 * initialisation handshake, driver matching), the transports that find
 * devices (virtio-mmio, virtio-pci) and the network device's small API for
 * the network stack above.
 *
 * References are to "Virtual I/O Device (VIRTIO) Version 1.1" (the spec):
 * 2.1 device status, 2.2 feature bits, 2.7 split virtqueues, 3.1 device
 * initialisation, 4.1 virtio over PCI, 4.2 virtio over MMIO, 5.1 network
 * device, 5.3 console device.
 *
 * Layering: a transport (virtio_mmio.c, virtio_pci.c) finds a device, fills
 * a struct virtio_dev with its ops and calls virtio_probe(); the core hands
 * the device to the driver registered for its device id (virtio_net.c); the
 * driver sets up its queues through the transport ops and receives the
 * device's interrupts through its `interrupt` callback.
 */
#ifndef DRIVERS_VIRTIO_H
#define DRIVERS_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/spinlock.h"

/* Device status bits (spec 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER	  2u
#define VIRTIO_STATUS_DRIVER_OK	  4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED	  128u

/* Device-independent feature bits (spec 6). */
#define VIRTIO_F_VERSION_1 32 /* modern device: little endian, any layout */

/* Device ids (spec 5). */
#define VIRTIO_ID_NET	  1
#define VIRTIO_ID_BLK	  2
#define VIRTIO_ID_CONSOLE 3

/* Interrupt reasons the transport reports (spec 4.2.2, InterruptStatus). */
#define VIRTIO_IRQ_USED	  1u /* a queue has new used buffers */
#define VIRTIO_IRQ_CONFIG 2u /* the configuration space changed */

/* ---- Split virtqueues (virtio_ring.c, spec 2.7) ---- */

#define VIRTQ_MAX_SIZE 256 /* so each part of a queue fits in one frame */

struct virtq_desc; /* the layouts are private to virtio_ring.c */
struct virtq_avail;
struct virtq_used;
struct virtio_dev;

/*
 * One split virtqueue: three parts in DMA frames (physical = what the
 * device sees) plus the driver's bookkeeping.  A buffer is one descriptor
 * or a chain of them (virtq_add_chain: virtio-blk's header, data, status);
 * no indirect descriptors.  What the device writes back is checked: a used
 * element naming a descriptor that is not the head of a posted buffer
 * stops the queue (`broken`) instead of the kernel.  Guarded by the lock
 * of the driver that owns the queue.
 */
struct virtq {
	struct virtio_dev *dev;
	unsigned index; /* queue number within the device */
	unsigned size;	/* descriptors, a power of 2, <= VIRTQ_MAX_SIZE */
	struct virtq_desc *desc;
	struct virtq_avail *avail; /* the "driver area" */
	struct virtq_used *used;   /* the "device area" */
	uint64_t desc_pa, avail_pa, used_pa;
	void **token;	    /* per descriptor: the caller's cookie, NULL when free */
	uint16_t *chain;    /* per head descriptor: the length of its chain */
	uint16_t *link;	    /* per descriptor: the next one, free or in a chain */
	bool broken;	    /* the device returned a bad id: the queue is dead */
	uint16_t free_head; /* first free descriptor (free ones chain by .next) */
	uint16_t num_free;
	uint16_t avail_idx; /* our copy of avail->idx */
	uint16_t last_used; /* used->idx we have harvested up to */
	uint16_t added;	    /* buffers added since the last kick */
};

/*
 * virtq_init - allocate and zero the parts of queue `index` of `dev` for
 * `size` descriptors (a power of 2, clamped to VIRTQ_MAX_SIZE by the caller).
 * Returns 0 or -ENOMEM (nothing left allocated).  Boot context.
 */
int virtq_init(struct virtq *q, struct virtio_dev *dev, unsigned index, unsigned size);

/* One part of a buffer: `len` bytes at physical `pa`, written by the
 * device (it returns data) or read by it. */
struct virtq_buf {
	uint64_t pa;
	uint32_t len;
	bool device_writes;
};

/*
 * virtq_add_chain - post one buffer made of the `n` parts `bufs`, in order
 * (the device-readable ones first, as the spec asks, 2.7.4.2); `token` (not
 * NULL) comes back from virtq_get_used.  Not visible to the device before
 * virtq_kick.  Returns 0, -ENOSPC when fewer than `n` descriptors are free,
 * -EINVAL when `n` is 0 or more than the queue holds.  Caller holds the
 * queue's lock.
 */
int virtq_add_chain(struct virtq *q, const struct virtq_buf *bufs, unsigned n, void *token);

/*
 * virtq_add - post one buffer of `len` bytes at physical `pa`, device-
 * writable if `device_writes` (receive) else device-readable (transmit);
 * `token` (not NULL) comes back from virtq_get_used.  Not visible to the
 * device before virtq_kick.  Returns 0, or -ENOSPC when every descriptor is
 * in use.  Caller holds the queue's lock.
 */
int virtq_add(struct virtq *q, uint64_t pa, uint32_t len, bool device_writes, void *token);

/*
 * virtq_kick - publish the buffers added since the last kick and notify the
 * device unless it asked not to be (VIRTQ_USED_F_NO_NOTIFY).  Caller holds
 * the queue's lock.
 */
void virtq_kick(struct virtq *q);

/*
 * virtq_kick_if_idle - as virtq_kick, but notify only if the device had
 * used every buffer made visible before: while it holds one it is still
 * working, and a device that looks at the ring again before it waits (the
 * receive side of QEMU's virtio-serial) then finds the new ones by itself.
 * A notification is a VM exit and a wake-up of QEMU's I/O thread.  Caller
 * holds the queue's lock.
 */
void virtq_kick_if_idle(struct virtq *q);

/*
 * virtq_get_used - take the next buffer the device has finished with:
 * returns its token and the bytes the device says it wrote into it in *len
 * (the device's word: check it against the buffer), or NULL when none is
 * pending or the queue is broken.  Caller holds the queue's lock.
 */
void *virtq_get_used(struct virtq *q, uint32_t *len);

/* virtq_set_interrupts - ask the device for interrupts on used buffers
 * (the default) or not (VIRTQ_AVAIL_F_NO_INTERRUPT, a hint).  Lock held. */
void virtq_set_interrupts(struct virtq *q, bool on);

/* ---- Devices, transports and drivers (virtio_ring.c) ---- */

/*
 * What a transport offers.  Every op is called with the device's driver
 * serialising its own calls (boot, or under the driver's locks).
 */
struct virtio_transport_ops {
	const char *name;			     /* "mmio", "pci" */
	uint8_t (*get_status)(struct virtio_dev *d); /* 0 after reset */
	void (*set_status)(struct virtio_dev *d, uint8_t status);
	uint64_t (*get_features)(struct virtio_dev *d); /* offered by the device */
	void (*set_features)(struct virtio_dev *d, uint64_t features);
	/* Read `len` bytes of device config at `off`, consistently (2.4.1). */
	void (*read_config)(struct virtio_dev *d, unsigned off, void *buf, unsigned len);
	/* The device's maximum size for queue `index`, 0 if it has none. */
	unsigned (*queue_max)(struct virtio_dev *d, unsigned index);
	/* Tell the device where the parts of `q` are and enable it: 0/-errno. */
	int (*queue_enable)(struct virtio_dev *d, struct virtq *q);
	void (*notify)(struct virtio_dev *d, unsigned index);
	/* Route the device's interrupt; from then on `driver->interrupt` runs. */
	int (*enable_irq)(struct virtio_dev *d);
};

struct virtio_driver;

struct virtio_dev {
	const struct virtio_transport_ops *ops;
	void *transport;		    /* the transport's own state */
	const struct virtio_driver *driver; /* set by virtio_probe */
	void *priv;			    /* the driver's own state */
	uint32_t device_id;
	uint64_t features; /* negotiated (device's offer & driver's wish) */
	char name[24];	   /* "virtio-mmio@0xfeb00000", for the log */
};

struct virtio_driver {
	uint32_t device_id;
	const char *name;
	/* Take over `d` after virtio_negotiate; 0, or -errno (device left failed). */
	int (*probe)(struct virtio_dev *d);
	/* Interrupt context, interrupts off; `why` is VIRTIO_IRQ_* bits, already
	 * acknowledged at the device and the interrupt controller. */
	void (*interrupt)(struct virtio_dev *d, unsigned why);
};

/* virtio_register_driver - add `drv` (static storage) to the drivers probed
 * for new devices.  Boot only, before the transports scan. */
void virtio_register_driver(const struct virtio_driver *drv);

/*
 * virtio_probe - called by a transport for each device it finds: resets it,
 * and if a registered driver takes its device id, calls its probe.  Returns
 * 0, -ENODEV when no driver wants the device (left reset), or the probe's
 * error (the device is then marked FAILED).  Boot only.
 */
int virtio_probe(struct virtio_dev *d);

/*
 * virtio_negotiate - the feature part of the handshake (spec 3.1.1): offer
 * `wanted` | VIRTIO_F_VERSION_1 & what the device offers, set FEATURES_OK
 * and check the device kept it.  d->features holds the result.  Returns 0,
 * -ENODEV for a device without VERSION_1 (legacy), -EIO if the device
 * refused.  Called by a driver's probe.
 */
int virtio_negotiate(struct virtio_dev *d, uint64_t wanted);

/*
 * virtio_setup_queue - size (min of the device's maximum and `want`, a power
 * of 2), allocate and enable queue `index`.  Returns 0, -ENOENT when the
 * device has no such queue, -ENOMEM.  Called by a driver's probe.
 */
int virtio_setup_queue(struct virtio_dev *d, struct virtq *q, unsigned index, unsigned want);

/* virtio_ready - set DRIVER_OK: the device is live.  End of a probe. */
void virtio_ready(struct virtio_dev *d);

static inline bool virtio_has(const struct virtio_dev *d, unsigned bit)
{
	return (d->features >> bit) & 1;
}

/* ---- The virtio-mmio transport (virtio_mmio.c, spec 4.2) ---- */

/*
 * virtio_mmio_init - find the devices of every `virtio_mmio.device=` option
 * on the kernel command line `cmdline` and probe each.  A malformed option
 * or a device that fails is logged and skipped.  Returns the number of
 * devices a driver took.  Boot only, after the drivers registered.
 */
int virtio_mmio_init(const char *cmdline);

/* ---- The virtio-pci transport (virtio_pci.c, spec 4.1) ---- */

/*
 * virtio_pci_init - find the virtio functions on the PCI buses (pci.c) and
 * probe each through its modern interface, interrupts by MSI-X.  Other PCI
 * functions are ignored quietly; a virtio function without the modern
 * capabilities or without MSI-X is logged and skipped.  Returns the number
 * of devices a driver took (0 where there is no PCI, as on microvm).  Boot
 * only, after apic_init and after the drivers registered.
 */
int virtio_pci_init(void);

/* ---- The network device (virtio_net.c, spec 5.1) ---- */

#define NETDEV_MTU	 1500
#define NETDEV_FRAME_MAX 1514 /* Ethernet header + MTU, no FCS */
#define NETDEV_ETH_ALEN	 6

/* virtio_net_init - register the virtio-net driver.  Boot, before the
 * transports scan. */
void virtio_net_init(void);

/*
 * The network stack's interface to "the" network device (the first one
 * found).  The receive callback runs in interrupt context, interrupts off,
 * once per received Ethernet frame of `len` bytes (no virtio header); the
 * frame is valid only during the call (copy it).  It may call netdev_send.
 */
typedef void (*netdev_rx_fn)(const void *frame, size_t len);

/* netdev_present - whether a network device is up. */
bool netdev_present(void);

/*
 * netdev_send - queue the Ethernet frame `frame` of `len` bytes (header
 * included, at most NETDEV_FRAME_MAX) for transmission; the bytes are
 * copied, so the caller may reuse them at once.  Returns 0, -ENODEV without
 * a device, -EMSGSIZE if too long, -ENOBUFS when the transmit ring is full.
 * Any context.
 */
int netdev_send(const void *frame, size_t len);

/* netdev_mac - the device's MAC address (6 bytes), or NULL without one. */
const uint8_t *netdev_mac(void);

/* netdev_set_rx - where received frames go (NULL: they are dropped).  Any
 * context. */
void netdev_set_rx(netdev_rx_fn fn);

/*
 * virtio_net_selftest - kernel option monos.nettest=1: send an ARP request
 * for 10.0.2.2 from 10.0.2.15 and wait up to a second (halting) for the
 * reply of QEMU's user networking; logs the answer or its absence.  Boot
 * only, interrupts off, before the scheduler starts.
 */
void virtio_net_selftest(void);

/* ---- The block device (virtio_blk.c, spec 5.2) ---- */

/* virtio_blk_init - register the virtio-blk driver: each device it takes
 * becomes a block device (drivers/blk.h).  Boot, before the transports
 * scan. */
void virtio_blk_init(void);

/* ---- The console device (virtio_console.c, spec 5.3) ---- */

/*
 * The consumer of received bytes: called with `n` > 0 bytes, interrupts
 * off, from the device's interrupt or from virtio_console_rx_resume; returns
 * how many it took (0..n).  The rest stays in the driver, and no more
 * arrive, until virtio_console_rx_resume is called.
 */
typedef size_t (*virtio_console_rx_fn)(const uint8_t *p, size_t n);

/* virtio_console_init - register the driver; received bytes go to `rx`.
 * Boot, before the transports scan.  Allocates nothing. */
void virtio_console_init(virtio_console_rx_fn rx);

/* virtio_console_present - whether a console device is up (then the
 * functions below act; without one they do nothing). */
bool virtio_console_present(void);

/* virtio_console_rx_resume - the consumer has room again: hand it what
 * waits.  Any context, no console lock held. */
void virtio_console_rx_resume(void);

#define VIRTIO_CONSOLE_BUF_SIZE 4096 /* bytes of one transmit buffer */

/* virtio_console_tx_free - transmit buffers free now (those the device has
 * sent are taken back first).  Any context. */
unsigned virtio_console_tx_free(void);

/* virtio_console_tx_get - a free transmit buffer of VIRTIO_CONSOLE_BUF_SIZE
 * bytes, the caller's until virtio_console_tx_put; NULL when the host holds
 * every one.  Any context. */
void *virtio_console_tx_get(void);

/* virtio_console_tx_put - hand `buf` back with its first `len` bytes to
 * send, in the order of the calls (0: unused, nothing sent).  Sent at the
 * next virtio_console_push.  Any context. */
void virtio_console_tx_put(void *buf, size_t len);

/* virtio_console_push - notify the device of the buffers put since the
 * last push.  Any context. */
void virtio_console_push(void);

/* virtio_console_tx_wake - a writer starts (on) or stops (off) sleeping
 * for room: while any sleeps, the device interrupts when it returns
 * transmit buffers, and each interrupt calls sched_wake_all.  Calls pair
 * up.  Any context. */
void virtio_console_tx_wake(bool on);

/* virtio_console_flush - push, then wait until the device has taken every
 * byte (the host has it).  Bounded (a host that stopped reading cannot hold
 * the kernel forever): false if it timed out.  Any context. */
bool virtio_console_flush(void);

#endif
