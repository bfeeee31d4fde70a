/*
 * The Multiboot2 door (GRUB booting a disk that `monos export` wrote):
 * entry.S's multiboot2_entry32 reaches multiboot2_entry_main() in the higher
 * half with the boot information's physical address.  The information is
 * checked (multiboot2.c) and copied into a PVH start info of the kernel's
 * own, so that init_main() reads one protocol whichever loader ran: the
 * memory map as is (both use the E820 types), the modules, the command
 * line, and GRUB's copy of the ACPI RSDP (power.c reads it at exit).
 *
 * Until paging_init the boot page tables map the first GiB only: the
 * information must lie there (GRUB puts it low).  The first module is the
 * image (the cpio archives, concatenated); init_main reserves it.
 */
#include "arch/x86_64/multiboot2.h"
#include "arch/x86_64/pvh.h"
#include "core/console.h"
#include "core/kernel.h"
#include "init/main.h"
#include <lib/string.h>

#define BOOT_MAPPED_END	 (1ul << 30) /* entry.S maps the first GiB */
#define MB2_CMDLINE_MAX	 1024	     /* grub.cfg's options are about 150 bytes */
#define MB2_RSDP_MAX	 36	     /* the ACPI 2.0 RSDP (ACPI 6.4, 5.2.5.3) */
#define PVH_START_INFO_V 1	     /* the layout with a memory map */

/* Called by entry.S only, on the boot stack, interrupts off. */
void multiboot2_entry_main(uint32_t mbi_phys);

/* The start info handed to init_main, and what it points to. */
static struct pvh_start_info mb2_start;
static struct pvh_memmap_entry mb2_map[MULTIBOOT2_MAX_MMAP];
static struct pvh_module mb2_modules[MULTIBOOT2_MAX_MODULES];
static char mb2_cmdline[MB2_CMDLINE_MAX];
static uint8_t mb2_rsdp[MB2_RSDP_MAX];

bool multiboot2_booted;

static void mb2_fail(const char *why)
{
	console_init(false);
	panic("boot: the Multiboot2 boot information %s", why);
}

static void mb2_copy(const struct multiboot2_info *in)
{
	for (unsigned i = 0; i < in->nmmap; i++)
		mb2_map[i] = (struct pvh_memmap_entry){ in->mmap[i].addr, in->mmap[i].len,
							in->mmap[i].type, 0 };
	for (unsigned i = 0; i < in->nmodules; i++)
		mb2_modules[i] =
			(struct pvh_module){ in->modules[i].start,
					     in->modules[i].end - in->modules[i].start, 0, 0 };
	if (in->cmdline) {
		size_t n = strnlen(in->cmdline, sizeof(mb2_cmdline) - 1);

		memcpy(mb2_cmdline, in->cmdline, n); /* the rest is .bss: NUL */
		mb2_start.cmdline_paddr = virt_to_phys(mb2_cmdline);
	}
	if (in->rsdp) {
		memcpy(mb2_rsdp, in->rsdp, MIN(in->rsdp_len, sizeof(mb2_rsdp)));
		mb2_start.rsdp_paddr = virt_to_phys(mb2_rsdp);
	}
	mb2_start.magic = PVH_START_MAGIC;
	mb2_start.version = PVH_START_INFO_V;
	mb2_start.memmap_paddr = virt_to_phys(mb2_map);
	mb2_start.memmap_entries = in->nmmap;
	mb2_start.modlist_paddr = virt_to_phys(mb2_modules);
	mb2_start.nr_modules = in->nmodules;
}

void multiboot2_entry_main(uint32_t mbi_phys)
{
	struct multiboot2_info mb2_info; /* 2 KiB of the 16 KiB boot stack */

	if (mbi_phys >= BOOT_MAPPED_END - MULTIBOOT2_MAX_SIZE)
		mb2_fail("lies above the first GiB");
	if (multiboot2_parse(phys_to_virt(mbi_phys), MULTIBOOT2_MAX_SIZE, &mb2_info))
		mb2_fail("is malformed");
	mb2_copy(&mb2_info);
	multiboot2_booted = true;
	init_main((uint32_t)virt_to_phys(&mb2_start));
}
