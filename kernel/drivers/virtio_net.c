/*
 * The virtio-net driver (spec 5.1) and the netdev_* interface the network
 * stack above uses: one receive queue, one transmit queue, fixed-size
 * buffers in DMA frames, interrupt-driven receive (no polling: an idle
 * instance stays halted), no offloads yet (no CSUM, no GSO, no MRG_RXBUF).
 *
 * Receive: VNET_RX_BUFS buffers of VNET_BUF_SIZE bytes stay posted; the
 * device's interrupt harvests them, hands each frame to the registered
 * callback and posts the buffer again.  Transmit: netdev_send copies the
 * frame behind a zeroed virtio-net header into a free slot; slots the device
 * has finished with are reclaimed on the next send (no TX interrupts).
 *
 * Also here: the boot self-test of monos.nettest=1 (an ARP exchange with
 * QEMU's user networking), so the driver can be proven end to end before
 * any TCP/IP stack exists.
 */
#include "arch/x86_64/apic.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/mem.h"
#include "core/time.h"
#include "drivers/virtio.h"

/* Feature bits and layout of the network device (spec 5.1.3, 5.1.4). */
#define VIRTIO_NET_F_MAC      5
#define VIRTIO_NET_CONFIG_MAC 0 /* offset of mac[6] in the config space */
#define VIRTIO_NET_RXQ	      0 /* receiveq1 */
#define VIRTIO_NET_TXQ	      1 /* transmitq1 */

/* struct virtio_net_hdr with VERSION_1 (spec 5.1.6): 12 bytes.  All zero
 * on transmit: no checksum offload, no GSO. */
struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};
_Static_assert(sizeof(struct virtio_net_hdr) == 12, "virtio_net_hdr is 12 bytes");

#define VNET_HDR_LEN   sizeof(struct virtio_net_hdr)
#define VNET_BUF_SIZE  2048 /* >= header + NETDEV_FRAME_MAX; 2 per frame */
#define VNET_RX_BUFS   128  /* posted receive buffers: 256 KiB */
#define VNET_TX_BUFS   128  /* transmit slots: 256 KiB (a full ring drops frames) */
#define VNET_TX_WAIT_NS 5000000ull /* how long a send waits for a free slot */
#define VNET_RING_SIZE 256  /* descriptors asked for; the device may offer fewer */
/* Locally administered, for a device that offers no MAC (spec 5.1.5). */
static const uint8_t vnet_default_mac[NETDEV_ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };

/* One DMA buffer: VNET_BUF_SIZE bytes, half a frame. */
struct vnet_buf {
	void *va;
	uint64_t pa;
};

struct vnet {
	struct virtio_dev *dev;
	struct virtq rxq; /* guarded by rx_lock */
	struct virtq txq; /* guarded by tx_lock, with tx_free */
	struct spinlock rx_lock, tx_lock;
	struct vnet_buf rx[VNET_RX_BUFS];
	struct vnet_buf tx[VNET_TX_BUFS];
	struct vnet_buf *tx_free[VNET_TX_BUFS]; /* a stack of idle slots */
	unsigned ntx_free;
	uint8_t mac[NETDEV_ETH_ALEN];
};

static struct vnet *vnet;	/* the network device; set once at boot */
static netdev_rx_fn vnet_rx_fn; /* read in interrupt context, set anywhere */

/* Carve `n` buffers out of fresh frames, two per frame. */
static int vnet_alloc_bufs(struct vnet_buf *b, unsigned n)
{
	for (unsigned i = 0; i < n; i += PAGE_SIZE / VNET_BUF_SIZE) {
		uint64_t pa = mem_alloc_frame(0);

		if (!pa)
			return -ENOMEM; /* boot: what was taken stays taken */
		for (unsigned j = 0; j < PAGE_SIZE / VNET_BUF_SIZE && i + j < n; j++) {
			b[i + j].pa = pa + j * VNET_BUF_SIZE;
			b[i + j].va = phys_to_virt(b[i + j].pa);
		}
	}
	return 0;
}

/* Post every receive buffer that fits; the ring may be smaller than the pool. */
static void vnet_post_rx(struct vnet *n)
{
	for (unsigned i = 0; i < VNET_RX_BUFS; i++)
		if (virtq_add(&n->rxq, n->rx[i].pa, VNET_BUF_SIZE, true, &n->rx[i]))
			break;
	virtq_kick(&n->rxq);
}

/* Take back the transmit slots the device is done with.  tx_lock held. */
static void vnet_tx_reclaim(struct vnet *n)
{
	struct vnet_buf *b;
	uint32_t len;

	while ((b = virtq_get_used(&n->txq, &len)))
		n->tx_free[n->ntx_free++] = b;
}

/*
 * Hand every received frame to the callback, then post its buffer again.
 * The lock is dropped around the callback: it may send (an ARP reply, a
 * TCP ACK), and it must never hold rx_lock while the stack takes its own.
 */
static void vnet_rx_harvest(struct vnet *n)
{
	struct vnet_buf *b;
	uint64_t flags;
	uint32_t len;

	for (;;) {
		flags = spin_lock_irqsave(&n->rx_lock);
		b = virtq_get_used(&n->rxq, &len);
		spin_unlock_irqrestore(&n->rx_lock, flags);
		if (!b)
			break;
		netdev_rx_fn fn = __atomic_load_n(&vnet_rx_fn, __ATOMIC_ACQUIRE);
		if (fn && len > VNET_HDR_LEN && len <= VNET_BUF_SIZE)
			fn((uint8_t *)b->va + VNET_HDR_LEN, len - VNET_HDR_LEN);
		flags = spin_lock_irqsave(&n->rx_lock);
		virtq_add(&n->rxq, b->pa, VNET_BUF_SIZE, true, b); /* its slot came free */
		spin_unlock_irqrestore(&n->rx_lock, flags);
	}
	flags = spin_lock_irqsave(&n->rx_lock);
	virtq_kick(&n->rxq);
	spin_unlock_irqrestore(&n->rx_lock, flags);
}

static void vnet_interrupt(struct virtio_dev *d, unsigned why)
{
	struct vnet *n = d->priv;
	uint64_t flags;

	if (!(why & VIRTIO_IRQ_USED))
		return; /* config change (link status): nothing to do yet */
	vnet_rx_harvest(n);
	flags = spin_lock_irqsave(&n->tx_lock);
	vnet_tx_reclaim(n);
	spin_unlock_irqrestore(&n->tx_lock, flags);
}

/* Queues and buffers of a device whose features are negotiated. */
static int vnet_setup(struct vnet *n)
{
	int err;

	err = virtio_setup_queue(n->dev, &n->rxq, VIRTIO_NET_RXQ, VNET_RING_SIZE);
	if (!err)
		err = virtio_setup_queue(n->dev, &n->txq, VIRTIO_NET_TXQ, VNET_RING_SIZE);
	if (!err)
		err = vnet_alloc_bufs(n->rx, VNET_RX_BUFS);
	if (!err)
		err = vnet_alloc_bufs(n->tx, VNET_TX_BUFS);
	if (err)
		return err;
	/* No more slots than descriptors, so a send never lacks one. */
	for (unsigned i = 0; i < MIN((unsigned)VNET_TX_BUFS, n->txq.size); i++)
		n->tx_free[n->ntx_free++] = &n->tx[i];
	/* Transmit completions are reclaimed on the next send: no interrupts. */
	virtq_set_interrupts(&n->txq, false);
	return 0;
}

static int vnet_probe(struct virtio_dev *d)
{
	struct vnet *n;
	int err;

	if (vnet)
		return -EBUSY; /* one network device for now */
	err = virtio_negotiate(d, 1ull << VIRTIO_NET_F_MAC);
	if (err)
		return err;
	n = kzalloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->dev = d;
	d->priv = n;
	err = vnet_setup(n);
	if (err)
		return err; /* boot: the partial device is abandoned, marked FAILED */
	if (virtio_has(d, VIRTIO_NET_F_MAC))
		d->ops->read_config(d, VIRTIO_NET_CONFIG_MAC, n->mac, NETDEV_ETH_ALEN);
	else
		memcpy(n->mac, vnet_default_mac, NETDEV_ETH_ALEN);
	err = d->ops->enable_irq(d);
	if (err)
		return err;
	virtio_ready(d);
	vnet_post_rx(n);
	vnet = n;
	klog("monos: %s: virtio-net, mac %02x:%02x:%02x:%02x:%02x:%02x, queues %u/%u\n", d->name,
	     n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5], n->rxq.size,
	     n->txq.size);
	return 0;
}

static const struct virtio_driver vnet_driver = {
	.device_id = VIRTIO_ID_NET,
	.name = "virtio-net",
	.probe = vnet_probe,
	.interrupt = vnet_interrupt,
};

void virtio_net_init(void)
{
	virtio_register_driver(&vnet_driver);
}

bool netdev_present(void)
{
	return vnet != NULL;
}

const uint8_t *netdev_mac(void)
{
	return vnet ? vnet->mac : NULL;
}

void netdev_set_rx(netdev_rx_fn fn)
{
	__atomic_store_n(&vnet_rx_fn, fn, __ATOMIC_RELEASE);
}

int netdev_send(const void *frame, size_t len)
{
	struct vnet *n = vnet;
	struct vnet_buf *b;
	uint64_t flags;

	if (!n)
		return -ENODEV;
	if (len > NETDEV_FRAME_MAX)
		return -EMSGSIZE;
	flags = spin_lock_irqsave(&n->tx_lock);
	vnet_tx_reclaim(n);
	if (!n->ntx_free) {
		/* Every slot in flight: the device (QEMU's I/O thread) is
		 * behind.  Wait a little for it rather than drop the frame,
		 * which would cost TCP a retransmission timeout. */
		uint64_t until = time_monotonic_ns() + VNET_TX_WAIT_NS;
		virtq_kick(&n->txq);
		while (!n->ntx_free && time_monotonic_ns() < until) {
			cpu_pause();
			vnet_tx_reclaim(n);
		}
	}
	if (!n->ntx_free) {
		spin_unlock_irqrestore(&n->tx_lock, flags);
		return -ENOBUFS;
	}
	b = n->tx_free[--n->ntx_free];
	memset(b->va, 0, VNET_HDR_LEN);
	memcpy((uint8_t *)b->va + VNET_HDR_LEN, frame, len);
	/* Cannot fail: there are no more slots than descriptors. */
	BUG_ON(virtq_add(&n->txq, b->pa, (uint32_t)(VNET_HDR_LEN + len), false, b));
	virtq_kick(&n->txq);
	spin_unlock_irqrestore(&n->tx_lock, flags);
	return 0;
}

/*
 * The self-test (monos.nettest=1).  An ARP request (RFC 826) for the
 * gateway of QEMU's user networking, from the static address monos takes
 * there (design.md, 10); slirp answers for 10.0.2.2 itself.
 */
#define ETH_TYPE_ARP	0x0806
#define ETH_TYPE_IPV4	0x0800
#define ETH_HLEN	14
#define ETH_ZLEN	60 /* shortest frame without the FCS: pad to it */
#define ARP_HTYPE_ETHER 1
#define ARP_OP_REQUEST	1
#define ARP_OP_REPLY	2
#define NETTEST_WAIT_NS NSEC_PER_SEC /* per exchange */
#define NETTEST_ROUNDS	600	     /* > VNET_RING_SIZE + VNET_RX_BUFS */
static const uint8_t nettest_ip[4] = { 10, 0, 2, 15 };
static const uint8_t nettest_gw[4] = { 10, 0, 2, 2 };

struct arp_eth_ipv4 {
	uint8_t dst[NETDEV_ETH_ALEN], src[NETDEV_ETH_ALEN];
	uint8_t ethertype[2];
	uint8_t htype[2], ptype[2], hlen, plen, op[2];
	uint8_t sha[NETDEV_ETH_ALEN], spa[4], tha[NETDEV_ETH_ALEN], tpa[4];
} __attribute__((packed));
_Static_assert(sizeof(struct arp_eth_ipv4) == ETH_HLEN + 28, "ARP frame layout");

static volatile bool nettest_answered;
static uint8_t nettest_mac[NETDEV_ETH_ALEN];

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The receive callback while the test runs: wait for the gateway's reply. */
static void nettest_rx(const void *frame, size_t len)
{
	const struct arp_eth_ipv4 *a = frame;

	if (len < sizeof(*a) || get_be16(a->ethertype) != ETH_TYPE_ARP ||
	    get_be16(a->op) != ARP_OP_REPLY || memcmp(a->spa, nettest_gw, 4) ||
	    memcmp(a->tpa, nettest_ip, 4))
		return;
	memcpy(nettest_mac, a->sha, NETDEV_ETH_ALEN);
	nettest_answered = true;
}

static int nettest_send_request(void)
{
	uint8_t frame[ETH_ZLEN] = { 0 };
	struct arp_eth_ipv4 *a = (struct arp_eth_ipv4 *)frame;

	memset(a->dst, 0xff, NETDEV_ETH_ALEN); /* broadcast */
	memcpy(a->src, vnet->mac, NETDEV_ETH_ALEN);
	put_be16(a->ethertype, ETH_TYPE_ARP);
	put_be16(a->htype, ARP_HTYPE_ETHER);
	put_be16(a->ptype, ETH_TYPE_IPV4);
	a->hlen = NETDEV_ETH_ALEN;
	a->plen = 4;
	put_be16(a->op, ARP_OP_REQUEST);
	memcpy(a->sha, vnet->mac, NETDEV_ETH_ALEN);
	memcpy(a->spa, nettest_ip, 4);
	memcpy(a->tpa, nettest_gw, 4);
	return netdev_send(frame, sizeof(frame));
}

/* One request, and a halted wait for its reply: 0, -ETIMEDOUT or -errno. */
static int nettest_exchange(void)
{
	uint64_t deadline = time_monotonic_ns() + NETTEST_WAIT_NS;
	int err;

	nettest_answered = false;
	err = nettest_send_request();
	/* Halt between interrupts: the reply arrives through the RX interrupt. */
	while (!err && !nettest_answered && time_monotonic_ns() < deadline) {
		time_arm_timer(deadline);
		time_idle();
	}
	time_disarm_timer();
	if (err)
		return err;
	return nettest_answered ? 0 : -ETIMEDOUT;
}

void virtio_net_selftest(void)
{
	netdev_rx_fn saved = vnet_rx_fn;
	unsigned rounds = 0;
	int err;

	if (!vnet) {
		klog("monos: nettest: no network device\n");
		return;
	}
	netdev_set_rx(nettest_rx);
	err = nettest_exchange();
	if (err == -ETIMEDOUT)
		klog("monos: nettest: no ARP reply\n");
	else if (err)
		klog("monos: nettest: cannot send: %s\n", errno_name(-err));
	else
		klog("monos: nettest: %u.%u.%u.%u is at %02x:%02x:%02x:%02x:%02x:%02x\n",
		     nettest_gw[0], nettest_gw[1], nettest_gw[2], nettest_gw[3], nettest_mac[0],
		     nettest_mac[1], nettest_mac[2], nettest_mac[3], nettest_mac[4],
		     nettest_mac[5]);
	/* More round trips than either ring has entries: buffers must be
	 * recycled and ring indices wrap for these to succeed. */
	while (!err && rounds < NETTEST_ROUNDS && !(err = nettest_exchange()))
		rounds++;
	if (rounds)
		klog("monos: nettest: %u/%u ARP round trips\n", rounds, NETTEST_ROUNDS);
	netdev_set_rx(saved);
}
