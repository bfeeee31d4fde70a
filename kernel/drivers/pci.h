/*
 * PCI: finding the functions on the buses behind the host bridge, reading
 * and writing their configuration space, sizing their BARs, walking their
 * capability lists and programming MSI-X tables, for the drivers of PCI
 * devices (virtio_pci.c).
 *
 * Configuration space goes through the legacy mechanism #1 (ports 0xCF8 and
 * 0xCFC), which q35 keeps beside its ECAM window: it reaches the first 256
 * bytes of every function, where every capability monos reads lives, and
 * needs no ACPI table (MCFG) to find.  References: "PCI Local Bus
 * Specification 3.0" (6.1 the header, 6.2.5 BARs, 6.7 capability lists,
 * 6.8.2 MSI-X) and "PCI-to-PCI Bridge Architecture Specification 1.2" (3.2,
 * the type 1 header).  BARs are used where the firmware (SeaBIOS on q35)
 * placed them; monos assigns none.
 */
#ifndef DRIVERS_PCI_H
#define DRIVERS_PCI_H

#include <stdbool.h>
#include <stdint.h>

/* Configuration header registers (type 0 unless said), byte offsets. */
#define PCI_VENDOR_ID	    0x00
#define PCI_DEVICE_ID	    0x02
#define PCI_COMMAND	    0x04
#define PCI_STATUS	    0x06
#define PCI_CLASS_REVISION  0x08 /* class, subclass, prog-if, revision */
#define PCI_HEADER_TYPE	    0x0e
#define PCI_BAR0	    0x10
#define PCI_SUBSYSTEM_ID    0x2e
#define PCI_CAPABILITY_LIST 0x34
#define PCI_SECONDARY_BUS   0x19 /* type 1 (bridge) header */

#define PCI_COMMAND_IO	       0x0001
#define PCI_COMMAND_MEMORY     0x0002
#define PCI_COMMAND_MASTER     0x0004 /* the device may read and write RAM (DMA, MSI) */
#define PCI_COMMAND_INTX_OFF   0x0400 /* the INTx pin stays quiet */
#define PCI_STATUS_CAP_LIST    0x0010
#define PCI_HEADER_MULTI_FUNC  0x80
#define PCI_HEADER_LAYOUT_MASK 0x7f
#define PCI_HEADER_BRIDGE      0x01

/* Capability ids (PCI Code and ID Assignment Specification, 2). */
#define PCI_CAP_ID_MSIX	  0x11
#define PCI_CAP_ID_VENDOR 0x09

#define PCI_BARS 6 /* in a type 0 header */

/* One function found by the scan.  Written at boot only. */
struct pci_dev {
	uint8_t bus, slot, func;
	uint16_t vendor, device;
	uint32_t class_rev; /* class << 24 | subclass << 16 | prog-if << 8 | revision */
	uint8_t header;	    /* PCI_HEADER_TYPE without the multi-function bit */
	char name[16];	    /* "00:03.0" (bus:slot.function), for the log */
};

/* What a BAR decodes: its bus address and size; `io` for a port range. */
struct pci_bar {
	uint64_t base, size;
	bool io;
};

/* A function's MSI-X table, mapped (pci_msix_init). */
struct pci_msix {
	const struct pci_dev *dev;
	volatile uint32_t *table; /* entries of PCI_MSIX_ENTRY_SIZE bytes */
	unsigned entries;	  /* table size, 1..2048 */
	uint8_t cap;		  /* offset of the capability in config space */
};

/*
 * pci_read8/16/32, pci_write16/32 - the configuration register at byte
 * offset `off` (< 256, aligned to the access size) of function `d`.  A
 * function that does not exist reads as all ones.  Boot only (the address
 * port is shared state, unlocked).
 */
uint8_t pci_read8(const struct pci_dev *d, unsigned off);
uint16_t pci_read16(const struct pci_dev *d, unsigned off);
uint32_t pci_read32(const struct pci_dev *d, unsigned off);
void pci_write16(const struct pci_dev *d, unsigned off, uint16_t v);
void pci_write32(const struct pci_dev *d, unsigned off, uint32_t v);

/*
 * pci_read_bar - what BAR `index` (0..5) of the type 0 function `d`
 * decodes, sized by the usual write-ones probe with decoding off meanwhile.
 * Returns 0, -ENOENT for an unimplemented BAR, the upper half of a 64-bit
 * one or a BAR the firmware left unassigned (base 0), -EINVAL for a bad
 * index.  Boot only.
 */
int pci_read_bar(const struct pci_dev *d, unsigned index, struct pci_bar *bar);

/*
 * pci_find_cap - the config offset of the first capability with id `id`
 * after the one at `after` (0: from the start of the list), or 0 when there
 * is none.  A list that loops or points into the header ends the walk.
 * Boot only.
 */
unsigned pci_find_cap(const struct pci_dev *d, uint8_t id, unsigned after);

/* pci_set_command - set the PCI_COMMAND bits `set` of `d` (others kept). */
void pci_set_command(const struct pci_dev *d, uint16_t set);

/*
 * pci_msix_init - find the MSI-X capability of `d`, map its table
 * uncached, mask every entry, then enable MSI-X (which also silences INTx).
 * Until an entry is programmed with pci_msix_set nothing is delivered.
 * Returns 0, -ENOENT without MSI-X, -EIO when the table's BAR is not
 * usable.  Boot only, memory decoding enabled by the caller.
 */
int pci_msix_init(const struct pci_dev *d, struct pci_msix *m);

/*
 * pci_msix_set - make entry `entry` deliver interrupt vector `vec` to this
 * CPU (apic_msi_message) and unmask it.  Returns 0 or -EINVAL for an entry
 * past the table.  Boot only.
 */
int pci_msix_set(struct pci_msix *m, unsigned entry, unsigned vec);

/* A driver of PCI functions. */
struct pci_driver {
	const char *name;
	/* Take over `d`: 0, -ENODEV when `d` is not one of its devices (the
	 * scan then moves on quietly), other -errno after logging why. */
	int (*probe)(const struct pci_dev *d);
};

/*
 * pci_probe_all - offer every function found on the buses to `drv`.  The
 * buses are enumerated on the first call (bus 0 and the buses behind its
 * PCI-to-PCI bridges); without the legacy configuration mechanism (microvm)
 * no function is found.  Returns how many functions the driver took.  Boot
 * only, after apic_init and the heap.
 */
int pci_probe_all(const struct pci_driver *drv);

#endif
