/*
 * The virtio-mmio transport (spec 4.2, version 2 "modern" register layout):
 * devices described on the kernel command line as
 * `virtio_mmio.device=SIZE@ADDR:IRQ` (one option per device, written by
 * QEMU's microvm with acpi=off, Firecracker and our monitor), their
 * registers mapped uncached, their interrupt an IOAPIC pin.
 *
 * The interrupt line is level in nature (high while InterruptStatus is not
 * zero) but the IOAPIC pin is programmed edge-triggered (ioapic_route), so
 * the handler acknowledges the status first and lets the driver harvest
 * after: anything used after the ACK raises the line again, a new edge.
 */
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/paging.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "drivers/virtio.h"
#include <lib/cmdline.h>
#include <lib/fmt.h>

/* Registers (spec 4.2.2), byte offsets. */
#define MMIO_MAGIC		 0x000
#define MMIO_VERSION		 0x004
#define MMIO_DEVICE_ID		 0x008
#define MMIO_DEVICE_FEATURES	 0x010
#define MMIO_DEVICE_FEATURES_SEL 0x014
#define MMIO_DRIVER_FEATURES	 0x020
#define MMIO_DRIVER_FEATURES_SEL 0x024
#define MMIO_QUEUE_SEL		 0x030
#define MMIO_QUEUE_NUM_MAX	 0x034
#define MMIO_QUEUE_NUM		 0x038
#define MMIO_QUEUE_READY	 0x044
#define MMIO_QUEUE_NOTIFY	 0x050
#define MMIO_INTERRUPT_STATUS	 0x060
#define MMIO_INTERRUPT_ACK	 0x064
#define MMIO_STATUS		 0x070
#define MMIO_QUEUE_DESC_LOW	 0x080
#define MMIO_QUEUE_DESC_HIGH	 0x084
#define MMIO_QUEUE_DRIVER_LOW	 0x090
#define MMIO_QUEUE_DRIVER_HIGH	 0x094
#define MMIO_QUEUE_DEVICE_LOW	 0x0a0
#define MMIO_QUEUE_DEVICE_HIGH	 0x0a4
#define MMIO_CONFIG_GENERATION	 0x0fc
#define MMIO_CONFIG		 0x100

#define MMIO_MAGIC_VALUE 0x74726976 /* "virt", little endian */
#define MMIO_VERSION_1X	 2	    /* 1 is the legacy layout */
#define MMIO_MIN_SIZE	 0x200	    /* registers plus a little config */
#define MMIO_NO_DEVICE	 0	    /* device id of an empty transport */

struct mmio_dev {
	struct virtio_dev vdev;
	volatile uint8_t *regs;
	uint64_t size; /* bytes of the register window */
	unsigned irq;  /* IOAPIC pin */
	unsigned vec;  /* from apic_alloc_vector once the driver enables it, or 0 */
};

static uint32_t mmio_read(struct mmio_dev *m, unsigned reg)
{
	return *(volatile uint32_t *)(m->regs + reg);
}

static void mmio_write(struct mmio_dev *m, unsigned reg, uint32_t v)
{
	*(volatile uint32_t *)(m->regs + reg) = v;
}

static struct mmio_dev *to_mmio(struct virtio_dev *d)
{
	return d->transport;
}

static uint8_t mmio_get_status(struct virtio_dev *d)
{
	return (uint8_t)mmio_read(to_mmio(d), MMIO_STATUS);
}

static void mmio_set_status(struct virtio_dev *d, uint8_t status)
{
	mmio_write(to_mmio(d), MMIO_STATUS, status);
}

/* Features are read and written 32 bits at a time through a selector. */
static uint64_t mmio_get_features(struct virtio_dev *d)
{
	struct mmio_dev *m = to_mmio(d);
	uint64_t f;

	mmio_write(m, MMIO_DEVICE_FEATURES_SEL, 1);
	f = (uint64_t)mmio_read(m, MMIO_DEVICE_FEATURES) << 32;
	mmio_write(m, MMIO_DEVICE_FEATURES_SEL, 0);
	return f | mmio_read(m, MMIO_DEVICE_FEATURES);
}

static void mmio_set_features(struct virtio_dev *d, uint64_t features)
{
	struct mmio_dev *m = to_mmio(d);

	mmio_write(m, MMIO_DRIVER_FEATURES_SEL, 1);
	mmio_write(m, MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	mmio_write(m, MMIO_DRIVER_FEATURES_SEL, 0);
	mmio_write(m, MMIO_DRIVER_FEATURES, (uint32_t)features);
}

/* Byte by byte, retried while the generation moves (spec 2.4.1). */
static void mmio_read_config(struct virtio_dev *d, unsigned off, void *buf, unsigned len)
{
	struct mmio_dev *m = to_mmio(d);
	uint32_t gen;

	do {
		gen = mmio_read(m, MMIO_CONFIG_GENERATION);
		for (unsigned i = 0; i < len; i++)
			((uint8_t *)buf)[i] = m->regs[MMIO_CONFIG + off + i];
	} while (gen != mmio_read(m, MMIO_CONFIG_GENERATION));
}

static unsigned mmio_queue_max(struct virtio_dev *d, unsigned index)
{
	struct mmio_dev *m = to_mmio(d);

	mmio_write(m, MMIO_QUEUE_SEL, index);
	if (mmio_read(m, MMIO_QUEUE_READY))
		return 0; /* in use already: the device was not reset */
	return mmio_read(m, MMIO_QUEUE_NUM_MAX);
}

static void mmio_write64(struct mmio_dev *m, unsigned low_reg, uint64_t v)
{
	mmio_write(m, low_reg, (uint32_t)v);
	mmio_write(m, low_reg + 4, (uint32_t)(v >> 32));
}

static int mmio_queue_enable(struct virtio_dev *d, struct virtq *q)
{
	struct mmio_dev *m = to_mmio(d);

	mmio_write(m, MMIO_QUEUE_SEL, q->index);
	mmio_write(m, MMIO_QUEUE_NUM, q->size);
	mmio_write64(m, MMIO_QUEUE_DESC_LOW, q->desc_pa);
	mmio_write64(m, MMIO_QUEUE_DRIVER_LOW, q->avail_pa);
	mmio_write64(m, MMIO_QUEUE_DEVICE_LOW, q->used_pa);
	mmio_write(m, MMIO_QUEUE_READY, 1);
	return mmio_read(m, MMIO_QUEUE_READY) == 1 ? 0 : -EIO;
}

static void mmio_notify(struct virtio_dev *d, unsigned index)
{
	mmio_write(to_mmio(d), MMIO_QUEUE_NOTIFY, index);
}

/* The IDT handler of every virtio-mmio device: the vector names the device. */
static void mmio_irq(struct regs *r)
{
	struct mmio_dev *m = apic_vector_ctx((unsigned)r->nr);
	uint32_t why;

	lapic_eoi();
	if (!m)
		return;
	why = mmio_read(m, MMIO_INTERRUPT_STATUS);
	if (!why)
		return;
	mmio_write(m, MMIO_INTERRUPT_ACK, why);
	if (m->vdev.driver && m->vdev.driver->interrupt)
		m->vdev.driver->interrupt(&m->vdev, why);
}

static int mmio_enable_irq(struct virtio_dev *d)
{
	struct mmio_dev *m = to_mmio(d);
	int vec;

	/* A vector is taken only now, so devices no driver wants use none. */
	if (!m->vec) {
		vec = apic_alloc_vector(mmio_irq, m);
		if (vec < 0)
			return vec;
		m->vec = (unsigned)vec;
	}
	if (ioapic_route(m->irq, m->vec, mmio_irq)) {
		klog("virtio-mmio: IRQ %u does not exist: device ignored\n", m->irq);
		return -EINVAL;
	}
	return 0;
}

static const struct virtio_transport_ops mmio_ops = {
	.name = "mmio",
	.get_status = mmio_get_status,
	.set_status = mmio_set_status,
	.get_features = mmio_get_features,
	.set_features = mmio_set_features,
	.read_config = mmio_read_config,
	.queue_max = mmio_queue_max,
	.queue_enable = mmio_queue_enable,
	.notify = mmio_notify,
	.enable_irq = mmio_enable_irq,
};

/*
 * Map and identify the device of one command-line entry and hand it to the
 * core.  Returns 0 when a driver took it, -ENODEV for an empty transport, a
 * device no driver wants or one whose driver failed (virtio_probe logged
 * that), other -errno for a transport it cannot use (logged by the caller).
 */
static int mmio_probe_one(uint64_t size, uint64_t addr, unsigned irq)
{
	struct mmio_dev *m;
	int err;

	if (size < MMIO_MIN_SIZE)
		return -EINVAL;
	m = kzalloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->regs = paging_map_mmio(addr, size);
	m->size = size;
	m->irq = irq;
	if (mmio_read(m, MMIO_MAGIC) != MMIO_MAGIC_VALUE)
		err = -ENODEV;
	else if (mmio_read(m, MMIO_VERSION) != MMIO_VERSION_1X)
		err = -EPROTONOSUPPORT; /* legacy: QEMU lacks force-legacy=false */
	else
		err = mmio_read(m, MMIO_DEVICE_ID) == MMIO_NO_DEVICE ? -ENODEV : 0;
	if (err)
		goto out_free; /* the mapping stays: boot-only, a page of VA */
	m->vdev.ops = &mmio_ops;
	m->vdev.transport = m;
	m->vdev.device_id = mmio_read(m, MMIO_DEVICE_ID);
	fmt_snprintf(m->vdev.name, sizeof(m->vdev.name), "virtio-mmio@%#lx", addr);
	err = virtio_probe(&m->vdev);
	if (!err)
		return 0;
	/* A driver's failure was logged by virtio_probe: report "not taken".
	 * A vector already handed out keeps pointing at m: m stays (boot-only,
	 * a few bytes) and the handler sees a device with no driver. */
	err = -ENODEV;
	if (m->vec)
		return err;
out_free:
	kfree(m);
	return err;
}

/*
 * The next "virtio_mmio.device=" value at or after `p` in the command line
 * `start`, or NULL; its length in *len.
 */
static const char *mmio_next_option(const char *start, const char *p, size_t *len)
{
	static const char key[] = "virtio_mmio.device=";
	const char *hit;

	while ((hit = strstr(p, key))) {
		/* A whole word only: at the start or after a space. */
		bool word = hit == start || hit[-1] == ' ' || hit[-1] == '\t' || hit[-1] == '\n';
		p = hit + sizeof(key) - 1;
		if (!word)
			continue;
		*len = strcspn(p, " \t\n");
		return p;
	}
	return NULL;
}

int virtio_mmio_init(const char *cmdline)
{
	const char *v = cmdline;
	size_t len;
	int found = 0;

	/* cmdline_find() gives the last occurrence only; devices may be many. */
	while ((v = mmio_next_option(cmdline, v, &len))) {
		uint64_t size, addr;
		unsigned irq;
		int err = cmdline_parse_mmio(v, len, &size, &addr, &irq);

		if (!err)
			err = mmio_probe_one(size, addr, irq);
		if (!err)
			found++;
		else if (err != -ENODEV)
			klog("monos: virtio_mmio.device=%.*s: %s\n", (int)len, v, errno_name(-err));
		v += len;
	}
	return found;
}
