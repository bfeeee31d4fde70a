/*
 * PCI: configuration space through the legacy ports, enumeration of bus 0
 * and the buses behind its bridges, BAR sizing, capability lists and MSI-X
 * tables (pci.h says what each is for and cites the specifications).
 *
 * Everything here runs at boot, on one CPU, before the scheduler: the
 * address port 0xCF8 is shared state and takes no lock.
 */
#include "drivers/pci.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/paging.h"
#include "core/kernel.h"
#include <lib/fmt.h>

/* Configuration mechanism #1 (PCI 3.0, 3.2.2.3.2): write the address of a
 * dword to CONFIG_ADDRESS, then move it through CONFIG_DATA + (off & 3). */
#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA	   0xcfc
#define PCI_CONFIG_ENABLE  0x80000000u
#define PCI_BUS_SHIFT	   16
#define PCI_SLOT_SHIFT	   11
#define PCI_FUNC_SHIFT	   8
#define PCI_CONFIG_SIZE	   256	/* what the legacy ports reach */
#define PCI_HEADER_END	   0x40 /* capabilities live after the header */
#define PCI_NO_VENDOR	   0xffff

#define PCI_BUSES    256
#define PCI_SLOTS    32
#define PCI_FUNCS    8
#define PCI_MAX_DEVS 64 /* functions remembered; q35 plain has about 6 */

/* BAR low bits (PCI 3.0, 6.2.5.1). */
#define PCI_BAR_IO	 0x1u
#define PCI_BAR_MEM_TYPE 0x6u
#define PCI_BAR_MEM_64	 0x4u
#define PCI_BAR_IO_MASK	 0x3u
#define PCI_BAR_MEM_MASK 0xfu
#define PCI_IO_SPACE_TOP 0xffff0000u /* ports are 16 bits: upper bits read 0 */

/* The MSI-X capability (PCI 3.0, 6.8.2) and its table entries. */
#define MSIX_CONTROL	     2
#define MSIX_TABLE	     4
#define MSIX_CONTROL_SIZE    0x07ff /* table size - 1 */
#define MSIX_CONTROL_MASKALL 0x4000
#define MSIX_CONTROL_ENABLE  0x8000
#define MSIX_TABLE_BIR	     0x7u
#define MSIX_ENTRY_SIZE	     16
#define MSIX_ENTRY_WORDS     (MSIX_ENTRY_SIZE / 4)
#define MSIX_ENTRY_ADDR_LO   0
#define MSIX_ENTRY_ADDR_HI   1
#define MSIX_ENTRY_DATA	     2
#define MSIX_ENTRY_CTRL	     3
#define MSIX_ENTRY_CTRL_MASK 0x1u

/* The functions found, in scan order (bus 0 first, then each bridge's
 * bus depth first); filled once by the first pci_probe_all. */
static struct pci_dev pci_devs[PCI_MAX_DEVS];
static unsigned pci_ndevs;
static bool pci_scanned;

/* Select the dword holding `off` and return the data port for it. */
static uint16_t pci_select(unsigned bus, unsigned slot, unsigned func, unsigned off)
{
	outl(PCI_CONFIG_ADDRESS, PCI_CONFIG_ENABLE | bus << PCI_BUS_SHIFT |
					     slot << PCI_SLOT_SHIFT | func << PCI_FUNC_SHIFT |
					     (off & (PCI_CONFIG_SIZE - 4)));
	return PCI_CONFIG_DATA + (off & 3);
}

uint8_t pci_read8(const struct pci_dev *d, unsigned off)
{
	return inb(pci_select(d->bus, d->slot, d->func, off));
}

uint16_t pci_read16(const struct pci_dev *d, unsigned off)
{
	return inw(pci_select(d->bus, d->slot, d->func, off));
}

uint32_t pci_read32(const struct pci_dev *d, unsigned off)
{
	return inl(pci_select(d->bus, d->slot, d->func, off));
}

void pci_write16(const struct pci_dev *d, unsigned off, uint16_t v)
{
	outw(pci_select(d->bus, d->slot, d->func, off), v);
}

void pci_write32(const struct pci_dev *d, unsigned off, uint32_t v)
{
	outl(pci_select(d->bus, d->slot, d->func, off), v);
}

void pci_set_command(const struct pci_dev *d, uint16_t set)
{
	pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | set);
}

/* Write all ones to the BAR dword at `off`, read what sticks, restore it. */
static uint32_t pci_bar_probe(const struct pci_dev *d, unsigned off, uint32_t *orig)
{
	uint32_t mask;

	*orig = pci_read32(d, off);
	pci_write32(d, off, ~0u);
	mask = pci_read32(d, off);
	pci_write32(d, off, *orig);
	return mask;
}

/* Whether BAR `index` is the upper half of a 64-bit memory BAR. */
static bool pci_bar_is_upper(const struct pci_dev *d, unsigned index)
{
	uint32_t prev;

	if (index == 0)
		return false;
	prev = pci_read32(d, PCI_BAR0 + 4 * (index - 1));
	return !(prev & PCI_BAR_IO) && (prev & PCI_BAR_MEM_TYPE) == PCI_BAR_MEM_64;
}

int pci_read_bar(const struct pci_dev *d, unsigned index, struct pci_bar *bar)
{
	unsigned off = PCI_BAR0 + 4 * index;
	uint16_t cmd;
	uint32_t lo, hi = 0, mask_lo, mask_hi = ~0u;
	uint64_t mask;

	if (index >= PCI_BARS || d->header != 0)
		return -EINVAL;
	if (pci_bar_is_upper(d, index))
		return -ENOENT;
	/* Decoding off while the BAR holds all ones, so it claims nothing. */
	cmd = pci_read16(d, PCI_COMMAND);
	pci_write16(d, PCI_COMMAND, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	mask_lo = pci_bar_probe(d, off, &lo);
	bar->io = lo & PCI_BAR_IO;
	if (!bar->io && (lo & PCI_BAR_MEM_TYPE) == PCI_BAR_MEM_64 && index + 1 < PCI_BARS)
		mask_hi = pci_bar_probe(d, off + 4, &hi);
	pci_write16(d, PCI_COMMAND, cmd);

	/* The bits that stayed 0 under the ones are the size's; the flag bits
	 * at the bottom are masked out, and a 32-bit BAR reads as if its upper
	 * half were all ones (its size is below 4 GiB). */
	if (bar->io) {
		mask = PCI_IO_SPACE_TOP | (mask_lo & ~PCI_BAR_IO_MASK);
		bar->base = lo & ~PCI_BAR_IO_MASK;
	} else {
		mask = (uint64_t)mask_hi << 32 | (mask_lo & ~PCI_BAR_MEM_MASK);
		bar->base = (uint64_t)hi << 32 | (lo & ~PCI_BAR_MEM_MASK);
	}
	/* The size is the lowest address bit the device lets software set. */
	bar->size = (~mask + 1) & mask;
	if (!bar->size || !bar->base)
		return -ENOENT; /* not implemented, or not placed by the firmware */
	return 0;
}

unsigned pci_find_cap(const struct pci_dev *d, uint8_t id, unsigned after)
{
	/* At most this many 4-byte capabilities fit after the header, so a
	 * longer walk means a loop in the list. */
	unsigned guard = (PCI_CONFIG_SIZE - PCI_HEADER_END) / 4;
	unsigned off;

	if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	off = after ? pci_read8(d, after + 1) : pci_read8(d, PCI_CAPABILITY_LIST);
	while (guard-- && off >= PCI_HEADER_END) {
		off &= ~3u; /* the low bits are reserved */
		if (pci_read8(d, off) == id)
			return off;
		off = pci_read8(d, off + 1);
	}
	return 0;
}

int pci_msix_init(const struct pci_dev *d, struct pci_msix *m)
{
	unsigned cap = pci_find_cap(d, PCI_CAP_ID_MSIX, 0);
	struct pci_bar bar;
	uint16_t ctrl;
	uint32_t where;
	uint64_t bytes;

	if (!cap)
		return -ENOENT;
	ctrl = pci_read16(d, cap + MSIX_CONTROL);
	where = pci_read32(d, cap + MSIX_TABLE);
	m->dev = d;
	m->cap = (uint8_t)cap;
	m->entries = (ctrl & MSIX_CONTROL_SIZE) + 1u;
	bytes = (uint64_t)m->entries * MSIX_ENTRY_SIZE;
	if (pci_read_bar(d, where & MSIX_TABLE_BIR, &bar) || bar.io ||
	    (where & ~MSIX_TABLE_BIR) + bytes > bar.size)
		return -EIO;
	m->table = paging_map_mmio(bar.base + (where & ~MSIX_TABLE_BIR), bytes);
	/* Every entry masked first, so enabling delivers nothing stale. */
	for (unsigned e = 0; e < m->entries; e++)
		m->table[e * MSIX_ENTRY_WORDS + MSIX_ENTRY_CTRL] |= MSIX_ENTRY_CTRL_MASK;
	ctrl = (uint16_t)((ctrl | MSIX_CONTROL_ENABLE) & ~MSIX_CONTROL_MASKALL);
	pci_write16(d, cap + MSIX_CONTROL, ctrl);
	return 0;
}

int pci_msix_set(struct pci_msix *m, unsigned entry, unsigned vec)
{
	volatile uint32_t *e = m->table + entry * MSIX_ENTRY_WORDS;
	uint64_t addr;
	uint32_t data;

	if (entry >= m->entries)
		return -EINVAL;
	apic_msi_message(vec, &addr, &data);
	/* The message may change only while the entry is masked (6.8.3.5). */
	e[MSIX_ENTRY_CTRL] |= MSIX_ENTRY_CTRL_MASK;
	e[MSIX_ENTRY_ADDR_LO] = (uint32_t)addr;
	e[MSIX_ENTRY_ADDR_HI] = (uint32_t)(addr >> 32);
	e[MSIX_ENTRY_DATA] = data;
	e[MSIX_ENTRY_CTRL] &= ~MSIX_ENTRY_CTRL_MASK;
	return 0;
}

static void pci_scan_bus(unsigned bus, uint8_t *seen);

/* Remember one function; follow it if it is a bridge to another bus. */
static void pci_add(unsigned bus, unsigned slot, unsigned func, uint8_t *seen)
{
	struct pci_dev *d;
	unsigned secondary;

	if (pci_ndevs >= PCI_MAX_DEVS) {
		klog("pci: more than %u functions: %02x:%02x.%u and later ignored\n", PCI_MAX_DEVS,
		     bus, slot, func);
		return;
	}
	d = &pci_devs[pci_ndevs++];
	*d = (struct pci_dev){ .bus = (uint8_t)bus, .slot = (uint8_t)slot, .func = (uint8_t)func };
	d->vendor = pci_read16(d, PCI_VENDOR_ID);
	d->device = pci_read16(d, PCI_DEVICE_ID);
	d->class_rev = pci_read32(d, PCI_CLASS_REVISION);
	d->header = pci_read8(d, PCI_HEADER_TYPE) & PCI_HEADER_LAYOUT_MASK;
	fmt_snprintf(d->name, sizeof(d->name), "%02x:%02x.%u", bus, slot, func);
	if (d->header != PCI_HEADER_BRIDGE)
		return;
	/* The firmware numbered the buses; 0 means it left this one out. */
	secondary = pci_read8(d, PCI_SECONDARY_BUS);
	if (secondary && !seen[secondary])
		pci_scan_bus(secondary, seen);
}

/* Every function of every slot of `bus`, depth first through bridges. */
static void pci_scan_bus(unsigned bus, uint8_t *seen)
{
	seen[bus] = 1;
	for (unsigned slot = 0; slot < PCI_SLOTS; slot++) {
		struct pci_dev probe = { .bus = (uint8_t)bus, .slot = (uint8_t)slot };
		unsigned funcs = 1;

		/* Function 0 exists in every present slot, and only its
		 * header says whether functions 1-7 are worth a look. */
		if (pci_read16(&probe, PCI_VENDOR_ID) == PCI_NO_VENDOR)
			continue;
		if (pci_read8(&probe, PCI_HEADER_TYPE) & PCI_HEADER_MULTI_FUNC)
			funcs = PCI_FUNCS;
		for (unsigned func = 0; func < funcs; func++) {
			probe.func = (uint8_t)func;
			if (pci_read16(&probe, PCI_VENDOR_ID) != PCI_NO_VENDOR)
				pci_add(bus, slot, func, seen);
		}
	}
}

/* Whether mechanism #1 answers: its address register reads back what was
 * written.  Where nothing decodes the port (microvm) it reads all ones. */
static bool pci_present(void)
{
	outl(PCI_CONFIG_ADDRESS, PCI_CONFIG_ENABLE);
	return inl(PCI_CONFIG_ADDRESS) == PCI_CONFIG_ENABLE;
}

int pci_probe_all(const struct pci_driver *drv)
{
	static uint8_t seen[PCI_BUSES];
	int taken = 0;

	if (!pci_scanned) {
		pci_scanned = true;
		if (pci_present())
			pci_scan_bus(0, seen);
	}
	for (unsigned i = 0; i < pci_ndevs; i++)
		if (drv->probe(&pci_devs[i]) == 0)
			taken++;
	return taken;
}
