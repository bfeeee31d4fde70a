/*
 * Page-table management.  Tables are reached through the direct map.  The
 * program's half is built on demand by core/vm.c through paging_map(); the
 * kernel's half is built once here and shared by everything.
 */
#include "arch/x86_64/paging.h"
#include "arch/x86_64/cpu.h"
#include "core/kernel.h"
#include "core/mem.h"

#define PML4_INDEX(va) (((va) >> 39) & 511)
#define PDPT_INDEX(va) (((va) >> 30) & 511)
#define PD_INDEX(va)   (((va) >> 21) & 511)
#define PT_INDEX(va)   (((va) >> 12) & 511)
#define LARGE_PAGE     (2ul << 20)
#define TABLE_FLAGS    (PTE_P | PTE_W | PTE_U) /* rights are set at the leaves */

extern char __kernel_start[], __text_end[], __rodata_start[], __rodata_end[], __data_start[],
	__kernel_end[];

static uint64_t *pml4;
static uint64_t mmio_next = MMIO_BASE;

static uint64_t *table_alloc(void)
{
	uint64_t pa = mem_alloc_frame(1);
	return pa ? phys_to_virt(pa) : NULL;
}

/* The table one level down from entry `e`, allocating it if `create`. */
static uint64_t *next_level(uint64_t *e, int create, uint64_t table_flags)
{
	if (!(*e & PTE_P)) {
		uint64_t *t;
		if (!create || !(t = table_alloc()))
			return NULL;
		*e = virt_to_phys(t) | table_flags;
	}
	return phys_to_virt(*e & PTE_ADDR_MASK);
}

static uint64_t *walk(uint64_t va, int create)
{
	uint64_t tf = va < USER_TOP ? TABLE_FLAGS : (PTE_P | PTE_W);
	uint64_t *t = next_level(&pml4[PML4_INDEX(va)], create, tf);
	if (t)
		t = next_level(&t[PDPT_INDEX(va)], create, tf);
	if (t)
		t = next_level(&t[PD_INDEX(va)], create, tf);
	return t ? &t[PT_INDEX(va)] : NULL;
}

int paging_map(uint64_t va, uint64_t pa, uint64_t flags)
{
	uint64_t *pte = walk(va, 1);

	if (!pte)
		return -ENOMEM;
	*pte = (pa & PTE_ADDR_MASK) | flags | PTE_P;
	paging_flush(va);
	return 0;
}

uint64_t *paging_pte(uint64_t va)
{
	return walk(va, 0);
}

uint64_t paging_unmap(uint64_t va)
{
	uint64_t *pte = walk(va, 0), old = 0;

	if (pte && (*pte & PTE_P)) {
		old = *pte;
		*pte = 0;
		paging_flush(va);
	}
	return old;
}

void paging_flush(uint64_t va)
{
	invlpg(va);
}

/* The direct map: every 2 MiB of [0, mem_top()), read-write, NX, global. */
static void map_direct(void)
{
	uint64_t end = ALIGN_UP(mem_top(), LARGE_PAGE);

	for (uint64_t pa = 0; pa < end; pa += LARGE_PAGE) {
		uint64_t va = DIRECT_MAP_BASE + pa;
		uint64_t *pdpt = next_level(&pml4[PML4_INDEX(va)], 1, PTE_P | PTE_W);
		uint64_t *pd = pdpt ? next_level(&pdpt[PDPT_INDEX(va)], 1, PTE_P | PTE_W) : NULL;
		if (!pd)
			boot_out_of_memory("the direct map");
		pd[PD_INDEX(va)] = pa | PTE_P | PTE_W | PTE_PS | PTE_G | PTE_NX;
	}
}

/* The kernel image, 4 KiB at a time, each section with its own rights. */
static void map_kernel(void)
{
	for (uint64_t va = (uint64_t)__kernel_start; va < (uint64_t)__kernel_end; va += PAGE_SIZE) {
		uint64_t flags = PTE_G;
		if (va >= (uint64_t)__data_start)
			flags |= PTE_W | PTE_NX;
		else if (va >= (uint64_t)__rodata_start)
			flags |= PTE_NX;
		if (paging_map(va, va - KERNEL_VBASE, flags))
			boot_out_of_memory("the kernel's page tables");
	}
}

void paging_init(void)
{
	pml4 = table_alloc();
	if (!pml4)
		boot_out_of_memory("the page tables");
	map_direct();
	map_kernel();
	write_cr3(virt_to_phys(pml4));
}

void *paging_map_mmio(uint64_t pa, size_t size)
{
	uint64_t off = pa & (PAGE_SIZE - 1), va = mmio_next;

	size = ALIGN_UP(size + off, PAGE_SIZE);
	for (uint64_t i = 0; i < size; i += PAGE_SIZE)
		if (paging_map(va + i, pa - off + i, PTE_W | PTE_PCD | PTE_PWT | PTE_NX | PTE_G))
			boot_out_of_memory("device registers"); /* drivers probe at boot only */
	mmio_next += size + PAGE_SIZE;				/* a guard page between devices */
	return (void *)(va + off);
}
