/*
 * The boot sequence: the one file that knows every subsystem.  The PVH entry
 * (arch/x86_64/entry.S) calls init_main() on the boot stack, in the higher
 * half, interrupts off; it never returns.
 */
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/pvh.h"
#include "core/console.h"
#include "core/kernel.h"
#include "core/mem.h"
#include "core/time.h"
#include <lib/cmdline.h>

#define LOW_MEMORY_END 0x100000ul /* below 1 MiB: BIOS areas, never handed out */
#define MAX_MEMMAP 64

extern char __kernel_end[];

static const struct pvh_start_info *start_info;
static const char *cmdline = "";
static struct mem_range initrd;

static void init_memory(void)
{
	struct mem_range ram[MAX_MEMMAP], reserved[4];
	const struct pvh_memmap_entry *map = phys_to_virt(start_info->memmap_paddr);
	unsigned nram = 0, nres = 0;

	if (start_info->version < 1 || !start_info->memmap_entries)
		panic("boot: the loader gave no memory map (PVH start info v%u)",
		      start_info->version);
	for (unsigned i = 0; i < start_info->memmap_entries && nram < MAX_MEMMAP; i++)
		if (map[i].type == PVH_MEMMAP_RAM)
			ram[nram++] = (struct mem_range){map[i].addr, map[i].addr + map[i].size};
	/* Low memory, then the kernel image from its load address (the boot
	 * code and boot page tables sit below __kernel_start). */
	reserved[nres++] = (struct mem_range){0, LOW_MEMORY_END};
	reserved[nres++] = (struct mem_range){LOW_MEMORY_END,
					      ALIGN_UP(virt_to_phys(__kernel_end), PAGE_SIZE)};
	if (start_info->nr_modules) {
		const struct pvh_module *m = phys_to_virt(start_info->modlist_paddr);
		initrd = (struct mem_range){m->paddr, m->paddr + m->size};
		reserved[nres++] = (struct mem_range){ALIGN_DOWN(initrd.start, PAGE_SIZE),
						      ALIGN_UP(initrd.end, PAGE_SIZE)};
	}
	mem_init(ram, nram, reserved, nres);
	paging_init();
}

void init_main(uint32_t start_info_phys)
{
	start_info = phys_to_virt(start_info_phys);
	if (start_info->magic == PVH_START_MAGIC && start_info->cmdline_paddr)
		cmdline = phys_to_virt(start_info->cmdline_paddr);
	console_init(cmdline_flag(cmdline, "monos.channel"));
	if (start_info->magic != PVH_START_MAGIC)
		panic("boot: no PVH start info (magic %#x)", start_info->magic);
	cpu_init();
	idt_init();
	init_memory();
	apic_init();
	time_init();
	klog("monos: tsc %lu kHz, %lu MiB RAM, initrd %lu bytes\n", time_tsc_khz(),
	     mem_total_frames() >> 8, initrd.end - initrd.start);
	struct monos_chan_exit e = {.kind = MONOS_EXIT_STATUS, .status = 0};
	console_exit(&e);
}
