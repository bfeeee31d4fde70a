/*
 * Page-table management.  Tables are reached through the direct map.  Each
 * address space has its own root; its lower half is built on demand by
 * core/vm.c through paging_map(), its upper half is the kernel's: the
 * kernel's root is built once here, every top-level entry of its half made
 * at boot (then sealed), and each new root copies those entries, so all
 * roots share the kernel's lower tables.
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
#define TABLE_ENTRIES  512
#define LEVEL_PT       0 /* levels of the walk: a page table's entries map pages */
#define LEVEL_PML4     3
#define PRUNE_BATCH    32 /* page tables freed per TLB flush */

extern char __kernel_start[], __text_end[], __rodata_start[], __rodata_end[], __data_start[],
	__kernel_end[];

#define PML4_KERNEL_FIRST 256 /* the first top-level entry of the upper half */

static struct pgtable kernel_pt;       /* the kernel's root: its half is every root's */
static bool kernel_sealed;	       /* set by paging_init: no new top-level entry */
static uint64_t mmio_next = MMIO_BASE; /* boot only */

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

static uint64_t *walk(uint64_t *pml4, uint64_t va, int create)
{
	uint64_t tf = va < USER_TOP ? TABLE_FLAGS : (PTE_P | PTE_W);
	uint64_t *t;

	/* A kernel top-level entry made now would be in this root alone. */
	if (va >= USER_TOP && kernel_sealed && create && !(pml4[PML4_INDEX(va)] & PTE_P))
		panic("paging: %#lx needs a kernel top-level entry after boot", va);
	t = next_level(&pml4[PML4_INDEX(va)], create, tf);
	if (t)
		t = next_level(&t[PDPT_INDEX(va)], create, tf);
	if (t)
		t = next_level(&t[PD_INDEX(va)], create, tf);
	return t ? &t[PT_INDEX(va)] : NULL;
}

static int set_entry(uint64_t *pml4, uint64_t va, uint64_t entry)
{
	uint64_t *pte = walk(pml4, va, 1);

	if (!pte)
		return -ENOMEM;
	*pte = entry;
	paging_flush(va);
	return 0;
}

int paging_set(struct pgtable *pt, uint64_t va, uint64_t entry)
{
	return set_entry(pt->pml4, va, entry);
}

int paging_map(struct pgtable *pt, uint64_t va, uint64_t pa, uint64_t flags)
{
	return set_entry(pt->pml4, va, (pa & PTE_ADDR_MASK) | flags | PTE_P);
}

uint64_t *paging_leaf_table(struct pgtable *pt, uint64_t va, bool create)
{
	uint64_t *t;

	if (va >= USER_TOP)
		return NULL; /* the kernel's half is not copied this way */
	t = next_level(&pt->pml4[PML4_INDEX(va)], create, TABLE_FLAGS);
	if (t)
		t = next_level(&t[PDPT_INDEX(va)], create, TABLE_FLAGS);
	if (t)
		t = next_level(&t[PD_INDEX(va)], create, TABLE_FLAGS);
	return t;
}

uint64_t *paging_pte(struct pgtable *pt, uint64_t va)
{
	return walk(pt->pml4, va, 0);
}

int paging_map_kernel(uint64_t va, uint64_t pa, uint64_t flags)
{
	return set_entry(kernel_pt.pml4, va, (pa & PTE_ADDR_MASK) | flags | PTE_P);
}

uint64_t paging_unmap_kernel(uint64_t va)
{
	uint64_t *pte = walk(kernel_pt.pml4, va, 0), old = 0;

	if (pte && (*pte & PTE_P)) {
		old = *pte;
		*pte = 0;
		paging_flush(va);
	}
	return old;
}

uint64_t paging_kernel_pa(uint64_t va)
{
	uint64_t *pte;

	if (va < KHEAP_BASE || va >= MMIO_BASE)
		return 0; /* the direct map has 2 MiB pages: virt_to_phys serves it */
	pte = walk(kernel_pt.pml4, va, 0);
	return pte && (*pte & PTE_P) ? (*pte & PTE_ADDR_MASK) | (va & (PAGE_SIZE - 1)) : 0;
}

int paging_create(struct pgtable *pt)
{
	if (!(pt->pml4 = table_alloc()))
		return -ENOMEM;
	memcpy(&pt->pml4[PML4_KERNEL_FIRST], &kernel_pt.pml4[PML4_KERNEL_FIRST],
	       (TABLE_ENTRIES - PML4_KERNEL_FIRST) * sizeof(uint64_t));
	return 0;
}

void paging_destroy(struct pgtable *pt)
{
	for (unsigned i = 0; i < PML4_KERNEL_FIRST; i++)
		BUG_ON(pt->pml4[i]); /* paging_prune emptied the lower half */
	mem_free_frame(virt_to_phys(pt->pml4));
	pt->pml4 = NULL;
}

void paging_activate(const struct pgtable *pt)
{
	write_cr3(virt_to_phys(pt->pml4));
}

void paging_flush(uint64_t va)
{
	invlpg(va);
}

void paging_flush_all(void)
{
	write_cr3(read_cr3()); /* the kernel's entries are global: they stay */
}

/* The bytes of address space one entry of a table at `level` maps. */
static uint64_t entry_span(int level)
{
	return PAGE_SIZE << (9 * level);
}

/* The entry of `table` (at `level`) that maps `va`. */
static uint64_t *entry_of(uint64_t *table, int level, uint64_t va)
{
	return &table[(va >> (12 + 9 * level)) % TABLE_ENTRIES];
}

static uint64_t *child_table(uint64_t e)
{
	return phys_to_virt(e & PTE_ADDR_MASK);
}

/* Walk [start, end) in `table` at `level`; see paging_walk. */
static int walk_range(uint64_t *table, int level, uint64_t start, uint64_t end, paging_walk_fn fn,
		      void *arg)
{
	uint64_t span = entry_span(level);

	for (uint64_t va = start, next; va < end; va = next) {
		uint64_t *e = entry_of(table, level, va);
		int r = 0;

		next = MIN(ALIGN_DOWN(va, span) + span, end);
		if (level == LEVEL_PT && *e)
			r = fn(va, e, arg);
		else if (level > LEVEL_PT && (*e & PTE_P))
			r = walk_range(child_table(*e), level - 1, va, next, fn, arg);
		if (r)
			return r;
	}
	return 0;
}

int paging_walk(struct pgtable *pt, uint64_t start, uint64_t end, paging_walk_fn fn, void *arg)
{
	return walk_range(pt->pml4, LEVEL_PML4, start, MIN(end, USER_TOP), fn, arg);
}

/* Page tables unhooked from their parents, freed after one TLB flush. */
struct table_batch {
	unsigned n;
	uint64_t frames[PRUNE_BATCH];
};

static void batch_free(struct table_batch *b)
{
	if (!b->n)
		return;
	paging_flush_all(); /* no walk may still reach the tables */
	for (unsigned i = 0; i < b->n; i++)
		mem_free_frame(b->frames[i]);
	b->n = 0;
}

static bool table_empty(const uint64_t *table)
{
	for (unsigned i = 0; i < TABLE_ENTRIES; i++)
		if (table[i])
			return false;
	return true;
}

/* Prune the tables below `table` (at `level`) over [start, end). */
static void prune_range(uint64_t *table, int level, uint64_t start, uint64_t end,
			struct table_batch *b)
{
	uint64_t span = entry_span(level);

	if (level == LEVEL_PT)
		return; /* leaves: the caller's */
	for (uint64_t va = start, next; va < end; va = next) {
		uint64_t *e = entry_of(table, level, va);

		next = MIN(ALIGN_DOWN(va, span) + span, end);
		if (!(*e & PTE_P))
			continue;
		prune_range(child_table(*e), level - 1, va, next, b);
		/* A table wholly inside the range is empty by now (the caller
		 * cleared its leaves, the loop freed its tables): only the
		 * tables at the range's two ends need looking at. */
		if (next - va != span && !table_empty(child_table(*e)))
			continue;
		if (b->n == PRUNE_BATCH)
			batch_free(b);
		b->frames[b->n++] = *e & PTE_ADDR_MASK;
		*e = 0;
	}
}

void paging_prune(struct pgtable *pt, uint64_t start, uint64_t end)
{
	struct table_batch b = { 0 };

	/* The PML4 itself stays: the kernel's half lives in it. */
	prune_range(pt->pml4, LEVEL_PML4, start, MIN(end, USER_TOP), &b);
	batch_free(&b);
}

/* The direct map: every 2 MiB of [0, mem_top()), read-write, NX, global. */
static void map_direct(void)
{
	uint64_t end = ALIGN_UP(mem_top(), LARGE_PAGE);

	for (uint64_t pa = 0; pa < end; pa += LARGE_PAGE) {
		uint64_t va = DIRECT_MAP_BASE + pa;
		uint64_t *pdpt = next_level(&kernel_pt.pml4[PML4_INDEX(va)], 1, PTE_P | PTE_W);
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
		if (paging_map_kernel(va, va - KERNEL_VBASE, flags))
			boot_out_of_memory("the kernel's page tables");
	}
}

/* The top-level entries of the regions that grow after boot (the kernel
 * heap, device registers), made now so that every root copies them. */
static void make_kernel_entries(void)
{
	static const uint64_t regions[] = { KHEAP_BASE, MMIO_BASE };

	for (unsigned i = 0; i < ARRAY_SIZE(regions); i++)
		if (!next_level(&kernel_pt.pml4[PML4_INDEX(regions[i])], 1, PTE_P | PTE_W))
			boot_out_of_memory("the kernel's page tables");
}

void paging_init(void)
{
	kernel_pt.pml4 = table_alloc();
	if (!kernel_pt.pml4)
		boot_out_of_memory("the page tables");
	map_direct();
	map_kernel();
	make_kernel_entries();
	kernel_sealed = true;
	paging_activate(&kernel_pt);
}

void *paging_map_mmio(uint64_t pa, size_t size)
{
	uint64_t off = pa & (PAGE_SIZE - 1), va = mmio_next;

	size = ALIGN_UP(size + off, PAGE_SIZE);
	for (uint64_t i = 0; i < size; i += PAGE_SIZE)
		if (paging_map_kernel(va + i, pa - off + i,
				      PTE_W | PTE_PCD | PTE_PWT | PTE_NX | PTE_G))
			boot_out_of_memory("device registers"); /* drivers probe at boot only */
	mmio_next += size + PAGE_SIZE;				/* a guard page between devices */
	return (void *)(va + off);
}
