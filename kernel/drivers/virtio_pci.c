/*
 * The virtio-pci transport, modern interface only (spec 4.1): virtio
 * devices found by the PCI scan (pci.c), their registers located by the
 * vendor capabilities (common, notify, device configuration) in memory BARs
 * mapped uncached, their interrupts delivered as MSI-X messages.
 *
 * Interrupts: two MSI-X entries per device, one shared by every queue and
 * one for configuration changes.  The driver interface says "a queue has
 * used buffers" without naming the queue, and virtio-net harvests both of
 * its rings on each interrupt, so one vector per queue would buy nothing
 * until multi-queue; a separate configuration vector tells the two reasons
 * apart without the ISR register, which MSI-X leaves unused (4.1.4.5).  A
 * table with a single entry serves both, reported as both reasons.  INTx is
 * not used: on q35 its pin reaches the IOAPIC through the chipset's PIRQ
 * routing, which only ACPI tables describe, so a device without MSI-X is
 * logged and skipped.
 */
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/paging.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "drivers/pci.h"
#include "drivers/virtio.h"
#include <lib/fmt.h>

/* PCI ids (spec 4.1.2): modern devices are 0x1040 + the virtio device id;
 * transitional ones 0x1000-0x103f, with the virtio id in the subsystem id. */
#define VPCI_VENDOR	     0x1af4
#define VPCI_MODERN_BASE     0x1040
#define VPCI_MODERN_LAST     0x107f
#define VPCI_TRANSITIONAL_LO 0x1000
#define VPCI_TRANSITIONAL_HI 0x103f

/* The vendor capability (struct virtio_pci_cap, spec 4.1.4), byte offsets. */
#define VPCI_CAP_LEN	    2
#define VPCI_CAP_CFG_TYPE   3
#define VPCI_CAP_BAR	    4
#define VPCI_CAP_OFFSET	    8
#define VPCI_CAP_LENGTH	    12
#define VPCI_CAP_NOTIFY_MUL 16 /* notify_off_multiplier, NOTIFY_CFG only */
#define VPCI_CAP_MIN_LEN    16
#define VPCI_NOTIFY_CAP_LEN 20

#define VPCI_CFG_COMMON 1
#define VPCI_CFG_NOTIFY 2
#define VPCI_CFG_ISR	3 /* INTx only: unused with MSI-X */
#define VPCI_CFG_DEVICE 4

/* struct virtio_pci_common_cfg (spec 4.1.4.3), byte offsets. */
#define COMMON_DFSELECT	   0x00
#define COMMON_DF	   0x04
#define COMMON_GFSELECT	   0x08
#define COMMON_GF	   0x0c
#define COMMON_MSIX_CONFIG 0x10
#define COMMON_NUM_QUEUES  0x12
#define COMMON_STATUS	   0x14
#define COMMON_CFG_GEN	   0x15
#define COMMON_Q_SELECT	   0x16
#define COMMON_Q_SIZE	   0x18
#define COMMON_Q_MSIX	   0x1a
#define COMMON_Q_ENABLE	   0x1c
#define COMMON_Q_NOFF	   0x1e
#define COMMON_Q_DESC	   0x20
#define COMMON_Q_DRIVER	   0x28
#define COMMON_Q_DEVICE	   0x30
#define COMMON_MIN_LEN	   0x38

#define VPCI_NO_VECTOR	  0xffff  /* VIRTIO_MSI_NO_VECTOR (4.1.5.1.2) */
#define VPCI_MAX_QUEUES	  8	  /* queues monos drives per device */
#define VPCI_RESET_SPINS  1000000 /* status reads while a reset completes */
#define VPCI_ENTRY_QUEUES 0	  /* MSI-X table entries we use */
#define VPCI_ENTRY_CONFIG 1

struct vpci_dev {
	struct virtio_dev vdev;
	const struct pci_dev *pci;
	volatile uint8_t *common, *notify, *device;
	uint32_t notify_len, notify_mul, device_len;
	uint16_t notify_off[VPCI_MAX_QUEUES]; /* per queue, from queue_enable */
	struct pci_msix msix;
	uint16_t config_entry; /* VPCI_ENTRY_CONFIG, or the shared entry 0 */
	bool irq_on;	       /* vectors allocated and entries programmed */
	unsigned nvec;	       /* vectors whose handler context is this device */
};

static struct vpci_dev *to_vpci(struct virtio_dev *d)
{
	return d->transport;
}

/* Accessors of the common configuration, at its natural widths. */
static uint8_t common_r8(struct vpci_dev *v, unsigned off)
{
	return *(volatile uint8_t *)(v->common + off);
}
static uint16_t common_r16(struct vpci_dev *v, unsigned off)
{
	return *(volatile uint16_t *)(v->common + off);
}
static uint32_t common_r32(struct vpci_dev *v, unsigned off)
{
	return *(volatile uint32_t *)(v->common + off);
}
static void common_w8(struct vpci_dev *v, unsigned off, uint8_t x)
{
	*(volatile uint8_t *)(v->common + off) = x;
}
static void common_w16(struct vpci_dev *v, unsigned off, uint16_t x)
{
	*(volatile uint16_t *)(v->common + off) = x;
}
static void common_w32(struct vpci_dev *v, unsigned off, uint32_t x)
{
	*(volatile uint32_t *)(v->common + off) = x;
}
/* 64-bit fields as two 32-bit halves, low first (allowed by 4.1.3.1). */
static void common_w64(struct vpci_dev *v, unsigned off, uint64_t x)
{
	common_w32(v, off, (uint32_t)x);
	common_w32(v, off + 4, (uint32_t)(x >> 32));
}

static uint8_t vpci_get_status(struct virtio_dev *d)
{
	return common_r8(to_vpci(d), COMMON_STATUS);
}

/* A reset completes when the status reads 0 again (4.1.4.3.2). */
static void vpci_set_status(struct virtio_dev *d, uint8_t status)
{
	struct vpci_dev *v = to_vpci(d);
	unsigned spins = VPCI_RESET_SPINS;

	common_w8(v, COMMON_STATUS, status);
	if (status)
		return;
	while (common_r8(v, COMMON_STATUS) && --spins)
		cpu_pause();
	if (!spins)
		klog("monos: %s: the device did not finish its reset\n", d->name);
	/* The device forgets its MSI-X entry numbers (queue_enable and
	 * enable_irq write them again); the table and vectors stay ours. */
}

static uint64_t vpci_get_features(struct virtio_dev *d)
{
	struct vpci_dev *v = to_vpci(d);
	uint64_t f;

	common_w32(v, COMMON_DFSELECT, 1);
	f = (uint64_t)common_r32(v, COMMON_DF) << 32;
	common_w32(v, COMMON_DFSELECT, 0);
	return f | common_r32(v, COMMON_DF);
}

static void vpci_set_features(struct virtio_dev *d, uint64_t features)
{
	struct vpci_dev *v = to_vpci(d);

	common_w32(v, COMMON_GFSELECT, 1);
	common_w32(v, COMMON_GF, (uint32_t)(features >> 32));
	common_w32(v, COMMON_GFSELECT, 0);
	common_w32(v, COMMON_GF, (uint32_t)features);
}

/* Byte by byte, retried while the generation moves (2.4.1); bytes past
 * the device's configuration window read as 0. */
static void vpci_read_config(struct virtio_dev *d, unsigned off, void *buf, unsigned len)
{
	struct vpci_dev *v = to_vpci(d);
	uint8_t gen;

	do {
		gen = common_r8(v, COMMON_CFG_GEN);
		for (unsigned i = 0; i < len; i++)
			((uint8_t *)buf)[i] = off + i < v->device_len ? v->device[off + i] : 0;
	} while (gen != common_r8(v, COMMON_CFG_GEN));
}

static unsigned vpci_queue_max(struct virtio_dev *d, unsigned index)
{
	struct vpci_dev *v = to_vpci(d);

	if (index >= VPCI_MAX_QUEUES || index >= common_r16(v, COMMON_NUM_QUEUES))
		return 0;
	common_w16(v, COMMON_Q_SELECT, (uint16_t)index);
	if (common_r16(v, COMMON_Q_ENABLE))
		return 0; /* in use already: the device was not reset */
	return common_r16(v, COMMON_Q_SIZE);
}

/*
 * Parts, size and MSI-X entry of the selected queue, then its notify
 * address.  The entry is named before it is programmed (vpci_enable_irq):
 * nothing is delivered before DRIVER_OK and the unmasking anyway.
 */
static int vpci_queue_enable(struct virtio_dev *d, struct virtq *q)
{
	struct vpci_dev *v = to_vpci(d);
	uint16_t noff;

	common_w16(v, COMMON_Q_SELECT, (uint16_t)q->index);
	common_w16(v, COMMON_Q_SIZE, (uint16_t)q->size);
	common_w64(v, COMMON_Q_DESC, q->desc_pa);
	common_w64(v, COMMON_Q_DRIVER, q->avail_pa);
	common_w64(v, COMMON_Q_DEVICE, q->used_pa);
	common_w16(v, COMMON_Q_MSIX, VPCI_ENTRY_QUEUES);
	if (common_r16(v, COMMON_Q_MSIX) != VPCI_ENTRY_QUEUES) {
		klog("monos: %s: queue %u refused its MSI-X entry\n", d->name, q->index);
		return -EIO;
	}
	/* The doorbell must lie inside the notify window (4.1.4.4). */
	noff = common_r16(v, COMMON_Q_NOFF);
	if ((uint64_t)noff * v->notify_mul + sizeof(uint16_t) > v->notify_len)
		return -EIO;
	v->notify_off[q->index] = noff;
	common_w16(v, COMMON_Q_ENABLE, 1);
	return 0;
}

static void vpci_notify(struct virtio_dev *d, unsigned index)
{
	struct vpci_dev *v = to_vpci(d);

	*(volatile uint16_t *)(v->notify + v->notify_off[index] * v->notify_mul) = (uint16_t)index;
}

/* Hand one interrupt to the driver, after the EOI: a message the device
 * sends while the driver harvests is then a new interrupt, not lost. */
static void vpci_deliver(struct regs *r, unsigned why)
{
	struct vpci_dev *v = apic_vector_ctx((unsigned)r->nr);

	lapic_eoi();
	if (v && v->vdev.driver && v->vdev.driver->interrupt)
		v->vdev.driver->interrupt(&v->vdev, why);
}

static void vpci_queue_irq(struct regs *r)
{
	struct vpci_dev *v = apic_vector_ctx((unsigned)r->nr);
	bool shared = v && v->config_entry == VPCI_ENTRY_QUEUES;

	vpci_deliver(r, shared ? VIRTIO_IRQ_USED | VIRTIO_IRQ_CONFIG : VIRTIO_IRQ_USED);
}

static void vpci_config_irq(struct regs *r)
{
	vpci_deliver(r, VIRTIO_IRQ_CONFIG);
}

/* A vector for MSI-X `entry` of `v`, its handler `fn`: the vector or -errno. */
static int vpci_route(struct vpci_dev *v, unsigned entry, void (*fn)(struct regs *r))
{
	int vec = apic_alloc_vector(fn, v), err;

	if (vec < 0)
		return vec;
	v->nvec++; /* from now on the vector's handler may look v up */
	err = pci_msix_set(&v->msix, entry, (unsigned)vec);
	return err ? err : vec;
}

/* Vectors and table entries, once per device (a reset keeps both). */
static int vpci_route_all(struct vpci_dev *v)
{
	int qvec, cvec;

	qvec = vpci_route(v, VPCI_ENTRY_QUEUES, vpci_queue_irq);
	if (qvec < 0)
		return qvec;
	cvec = qvec;
	if (v->config_entry != VPCI_ENTRY_QUEUES) {
		cvec = vpci_route(v, v->config_entry, vpci_config_irq);
		if (cvec < 0)
			return cvec;
	}
	v->irq_on = true;
	klog("monos: %s: MSI-X (%u entries): queues on vector %#x, config on %#x\n", v->vdev.name,
	     v->msix.entries, qvec, cvec);
	return 0;
}

static int vpci_enable_irq(struct virtio_dev *d)
{
	struct vpci_dev *v = to_vpci(d);
	int err;

	if (!v->irq_on && (err = vpci_route_all(v)))
		return err;
	common_w16(v, COMMON_MSIX_CONFIG, v->config_entry);
	if (common_r16(v, COMMON_MSIX_CONFIG) != v->config_entry) {
		klog("monos: %s: the device refused its MSI-X configuration entry\n", d->name);
		return -EIO;
	}
	return 0;
}

static const struct virtio_transport_ops vpci_ops = {
	.name = "pci",
	.get_status = vpci_get_status,
	.set_status = vpci_set_status,
	.get_features = vpci_get_features,
	.set_features = vpci_set_features,
	.read_config = vpci_read_config,
	.queue_max = vpci_queue_max,
	.queue_enable = vpci_queue_enable,
	.notify = vpci_notify,
	.enable_irq = vpci_enable_irq,
};

/*
 * Map the region the vendor capability at `cap` points at: 0, or -EIO for
 * a capability too short, in a BAR that is not memory, or past its end.
 */
static int vpci_map_cap(const struct pci_dev *p, unsigned cap, volatile uint8_t **va, uint32_t *len)
{
	uint8_t bar_index = pci_read8(p, cap + VPCI_CAP_BAR);
	uint32_t off = pci_read32(p, cap + VPCI_CAP_OFFSET);
	struct pci_bar bar;

	*len = pci_read32(p, cap + VPCI_CAP_LENGTH);
	if (pci_read8(p, cap + VPCI_CAP_LEN) < VPCI_CAP_MIN_LEN || bar_index >= PCI_BARS ||
	    pci_read_bar(p, bar_index, &bar) || bar.io || !*len || (uint64_t)off + *len > bar.size)
		return -EIO;
	*va = paging_map_mmio(bar.base + off, *len);
	return 0;
}

/*
 * Find and map the common, notify and device regions, the first capability
 * of each type (4.1.4: the driver uses the first it can).  Returns 0, or
 * -EPROTONOSUPPORT when the common or notify region is missing (a device
 * with the legacy interface only), -EIO when one cannot be used.
 */
static int vpci_map_regions(struct vpci_dev *v)
{
	const struct pci_dev *p = v->pci;
	uint32_t common_len = 0;
	int err = 0;

	for (unsigned cap = 0; !err && (cap = pci_find_cap(p, PCI_CAP_ID_VENDOR, cap));) {
		switch (pci_read8(p, cap + VPCI_CAP_CFG_TYPE)) {
		case VPCI_CFG_COMMON:
			if (!v->common)
				err = vpci_map_cap(p, cap, &v->common, &common_len);
			break;
		case VPCI_CFG_NOTIFY:
			if (v->notify)
				break;
			if (pci_read8(p, cap + VPCI_CAP_LEN) < VPCI_NOTIFY_CAP_LEN)
				return -EIO;
			v->notify_mul = pci_read32(p, cap + VPCI_CAP_NOTIFY_MUL);
			err = vpci_map_cap(p, cap, &v->notify, &v->notify_len);
			break;
		case VPCI_CFG_DEVICE:
			if (!v->device)
				err = vpci_map_cap(p, cap, &v->device, &v->device_len);
			break;
		}
	}
	if (err)
		return err;
	if (!v->common || !v->notify)
		return -EPROTONOSUPPORT;
	return common_len < COMMON_MIN_LEN ? -EIO : 0;
}

/* The virtio device id of PCI function `p`, or 0 if it is no virtio device. */
static uint32_t vpci_device_id(const struct pci_dev *p)
{
	if (p->vendor != VPCI_VENDOR || p->header != 0)
		return 0;
	if (p->device >= VPCI_MODERN_BASE && p->device <= VPCI_MODERN_LAST)
		return p->device - VPCI_MODERN_BASE;
	/* Transitional: driven through its modern interface like the rest. */
	if (p->device >= VPCI_TRANSITIONAL_LO && p->device <= VPCI_TRANSITIONAL_HI)
		return pci_read16(p, PCI_SUBSYSTEM_ID);
	return 0;
}

/*
 * Registers and MSI-X of a virtio function: 0, or -errno after a log line
 * naming what the device lacks.
 */
static int vpci_attach(struct vpci_dev *v)
{
	int err;

	/* Memory for the registers, bus mastering for the rings and for the
	 * MSI-X messages (memory writes by the device); INTx stays quiet. */
	pci_set_command(v->pci, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_OFF);
	err = vpci_map_regions(v);
	if (err == -EPROTONOSUPPORT)
		klog("monos: %s: legacy virtio only (no modern capabilities): skipped\n",
		     v->vdev.name);
	else if (err)
		klog("monos: %s: unusable virtio capabilities: skipped\n", v->vdev.name);
	if (err)
		return err;
	err = pci_msix_init(v->pci, &v->msix);
	if (err) {
		klog("monos: %s: %s: skipped (monos needs MSI-X on PCI)\n", v->vdev.name,
		     err == -ENOENT ? "no MSI-X capability" : "MSI-X table unusable");
		return err;
	}
	v->config_entry =
		v->msix.entries > VPCI_ENTRY_CONFIG ? VPCI_ENTRY_CONFIG : VPCI_ENTRY_QUEUES;
	return 0;
}

/* The PCI driver's probe: every virtio function, whatever its type. */
static int vpci_probe(const struct pci_dev *p)
{
	uint32_t id = vpci_device_id(p);
	struct vpci_dev *v;
	int err;

	if (!id)
		return -ENODEV; /* not virtio: the host bridge, LPC, SATA... */
	v = kzalloc(sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->pci = p;
	v->vdev.ops = &vpci_ops;
	v->vdev.transport = v;
	v->vdev.device_id = id;
	fmt_snprintf(v->vdev.name, sizeof(v->vdev.name), "virtio-pci@%s", p->name);
	err = vpci_attach(v);
	if (!err)
		err = virtio_probe(&v->vdev);
	if (!err)
		return 0;
	/* Mappings stay (boot-only address space); vectors handed out keep
	 * pointing at v, so v stays too once it has them. */
	if (!v->nvec)
		kfree(v);
	return err;
}

static const struct pci_driver vpci_driver = {
	.name = "virtio-pci",
	.probe = vpci_probe,
};

int virtio_pci_init(void)
{
	return pci_probe_all(&vpci_driver);
}
