/*
 * The Multiboot2 boot protocol as GRUB 2 speaks it (the Multiboot2
 * Specification, version 2.0, sections 3.1 and 3.6): the header the kernel
 * carries (entry.S) and the boot information the loader leaves in memory,
 * EBX holding its physical address and EAX MULTIBOOT2_BOOT_MAGIC at entry.
 *
 * multiboot2_parse is pure code (no kernel calls): it is built into the
 * kernel and into the host fuzz target tests/fuzz/fuzz_multiboot2.c.
 */
#ifndef ARCH_X86_64_MULTIBOOT2_H
#define ARCH_X86_64_MULTIBOOT2_H

#define MULTIBOOT2_HEADER_MAGIC 0xe85250d6u /* spec 3.1.1 */
#define MULTIBOOT2_BOOT_MAGIC	0x36d76289u /* EAX at entry, spec 3.3 */
#define MULTIBOOT2_ARCH_I386	0	    /* 32-bit protected mode */

/* Header tags (spec 3.1.3 onwards). */
#define MULTIBOOT2_HEADER_TAG_END   0
#define MULTIBOOT2_HEADER_TAG_ENTRY 3

/* Boot information tags (spec 3.6). */
#define MULTIBOOT2_TAG_END	0
#define MULTIBOOT2_TAG_CMDLINE	1
#define MULTIBOOT2_TAG_MODULE	3
#define MULTIBOOT2_TAG_MMAP	6
#define MULTIBOOT2_TAG_ACPI_OLD 14 /* a copy of the ACPI 1.0 RSDP */
#define MULTIBOOT2_TAG_ACPI_NEW 15 /* a copy of the ACPI 2.0+ RSDP */
#define MULTIBOOT2_TAG_ALIGN	8

#define MULTIBOOT2_MMAP_RAM 1 /* "available RAM" */

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

#define MULTIBOOT2_MAX_MODULES 8
#define MULTIBOOT2_MAX_MMAP    64
#define MULTIBOOT2_MAX_SIZE    (1u << 20) /* a larger boot information is refused */

struct multiboot2_module {
	uint32_t start, end; /* physical, [start, end) */
	const char *string;  /* NUL terminated inside the information */
};

struct multiboot2_mmap {
	uint64_t addr, len;
	uint32_t type;
};

/* What the kernel takes from the boot information.  Pointers point into
 * the information itself; absent items are NULL or zero. */
struct multiboot2_info {
	const char *cmdline;
	struct multiboot2_module modules[MULTIBOOT2_MAX_MODULES];
	unsigned nmodules, modules_dropped; /* past MULTIBOOT2_MAX_MODULES */
	struct multiboot2_mmap mmap[MULTIBOOT2_MAX_MMAP];
	unsigned nmmap;
	const uint8_t *rsdp; /* the newest RSDP copy given */
	uint32_t rsdp_len;
};

/*
 * multiboot2_parse - read the boot information at `mbi`, of which `avail`
 * bytes may be read, into `out`.  Every tag is checked against the total
 * size and its own size: strings must be NUL terminated inside their tag,
 * memory map entries whole, modules' end not before their start.  Returns
 * 0, or -1 when the information is malformed (then `out` is undefined).
 * Pure: any context, host or kernel.
 */
int multiboot2_parse(const void *mbi, size_t avail, struct multiboot2_info *out);

/* multiboot2_booted - set by multiboot2_entry.c (the kernel only) before
 * init_main: GRUB booted this kernel from a disk, not QEMU's PVH loader. */
extern _Bool multiboot2_booted;
#endif /* __ASSEMBLER__ */

#endif
