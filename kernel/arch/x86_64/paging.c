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
#define LEVEL_PD       1 /* a directory's entries point to last-level tables */
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

/* Whether directory entry `pde` of the program's half points to a
 * last-level table shared by several roots: only then does it lack PTE_W. */
static bool leaf_shared(uint64_t pde)
{
	return (pde & PTE_P) && !(pde & PTE_W);
}

/* Entry `e` of a shared table as each root sees it once one of them has a
 * copy: a page of a private area, writable or not now (PROT_NONE keeps its
 * frame, mprotect may allow writes later), is copied on the first write. */
static uint64_t cow_entry(uint64_t e)
{
	if (e && !(e & PTE_SHARED_PAGE))
		return (e & ~(uint64_t)PTE_W) | PTE_COW;
	return e;
}

/*
 * Give the root holding directory entry `pde` (which maps `va`) a last-level
 * table of its own, and return it; NULL when out of memory (nothing
 * changed).  The last sharer takes the table back.  Otherwise the entries
 * are marked copy-on-write in the shared table too: its other roots reach
 * it read-only only, so they see no change until they take it, and then
 * they must not write in place to frames the copy now also holds.
 */
static uint64_t *leaf_own(uint64_t *pde, uint64_t va)
{
	uint64_t pa = *pde & PTE_ADDR_MASK, *old = child_table(*pde), *t;

	if (mem_frame_refs(pa) == 1) {
		*pde |= PTE_W;
		paging_flush(va);
		return old;
	}
	if (!(t = table_alloc()))
		return NULL;
	for (unsigned i = 0; i < TABLE_ENTRIES; i++)
		t[i] = old[i] = cow_entry(old[i]);
	mem_frames_get(t, TABLE_ENTRIES, PTE_ADDR_MASK);
	*pde = virt_to_phys(t) | TABLE_FLAGS;
	paging_flush(va);   /* the directory entry changed: paging-structure caches */
	mem_free_frame(pa); /* this root's reference; the others keep it */
	return t;
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
	if (t && va < USER_TOP && leaf_shared(t[PD_INDEX(va)]))
		t = leaf_own(&t[PD_INDEX(va)], va);
	else if (t)
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

uint64_t *paging_pte(struct pgtable *pt, uint64_t va)
{
	return walk(pt->pml4, va, 0);
}

const uint64_t *paging_pte_peek(const struct pgtable *pt, uint64_t va)
{
	uint64_t *t = pt->pml4;

	if (va >= USER_TOP)
		return NULL;
	for (int level = LEVEL_PML4; level > LEVEL_PT; level--) {
		uint64_t e = *entry_of(t, level, va);

		if (!(e & PTE_P))
			return NULL;
		t = child_table(e);
	}
	return entry_of(t, LEVEL_PT, va);
}

/* Share the last-level tables below `from` (a table at `level`, its first
 * `n` entries) into `to`, the same table of the other root. */
static int share_level(uint64_t *to, uint64_t *from, int level, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t *t;

		if (!(from[i] & PTE_P))
			continue;
		if (level == LEVEL_PD) {
			from[i] &= ~(uint64_t)PTE_W;
			to[i] = from[i];
			mem_frame_get(from[i] & PTE_ADDR_MASK);
			continue;
		}
		t = next_level(&to[i], 1, TABLE_FLAGS);
		if (!t || share_level(t, child_table(from[i]), level - 1, TABLE_ENTRIES))
			return -ENOMEM;
	}
	return 0;
}

int paging_share_user(struct pgtable *to, struct pgtable *from)
{
	return share_level(to->pml4, from->pml4, LEVEL_PML4, PML4_KERNEL_FIRST);
}

/* Free the tables below `table` (at `level`, its first `n` entries). */
static void free_level(uint64_t *table, int level, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t pa = table[i] & PTE_ADDR_MASK;

		if (!(table[i] & PTE_P))
			continue;
		if (level > LEVEL_PD)
			free_level(child_table(table[i]), level - 1, TABLE_ENTRIES);
		else if (mem_frame_refs(pa) == 1) /* no other root shares it */
			mem_frames_put(child_table(table[i]), TABLE_ENTRIES, PTE_ADDR_MASK);
		table[i] = 0;
		mem_free_frame(pa);
	}
}

void paging_free_user(struct pgtable *pt)
{
	free_level(pt->pml4, LEVEL_PML4, PML4_KERNEL_FIRST);
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
		else if (level == LEVEL_PD && leaf_shared(*e) && !leaf_own(e, va))
			r = -ENOMEM;
		else if (level > LEVEL_PT && (*e & PTE_P) && (fn || level > LEVEL_PD))
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

int paging_own(struct pgtable *pt, uint64_t start, uint64_t end)
{
	return paging_walk(pt, start, end, NULL, NULL); /* no fn: stops at the directories */
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
	uint64_t *pd = NULL;

	/* A directory's table is looked up once per 512 entries it holds. */
	for (uint64_t pa = 0; pa < end; pa += LARGE_PAGE) {
		uint64_t va = DIRECT_MAP_BASE + pa;
		if (!pd || PD_INDEX(va) == 0) {
			uint64_t *pdpt =
				next_level(&kernel_pt.pml4[PML4_INDEX(va)], 1, PTE_P | PTE_W);
			pd = pdpt ? next_level(&pdpt[PDPT_INDEX(va)], 1, PTE_P | PTE_W) : NULL;
			if (!pd)
				boot_out_of_memory("the direct map");
		}
		pd[PD_INDEX(va)] = pa | PTE_P | PTE_W | PTE_PS | PTE_G | PTE_NX;
	}
}

/* The kernel image, 4 KiB at a time, each section with its own rights; a
 * last-level table is looked up once per 512 pages it maps.  Nothing is
 * flushed: these tables are not in use until paging_init activates them. */
static void map_kernel(void)
{
	uint64_t *pt = NULL;

	for (uint64_t va = (uint64_t)__kernel_start; va < (uint64_t)__kernel_end; va += PAGE_SIZE) {
		uint64_t flags = PTE_G | PTE_P;
		if (va >= (uint64_t)__data_start)
			flags |= PTE_W | PTE_NX;
		else if (va >= (uint64_t)__rodata_start)
			flags |= PTE_NX;
		if (!pt || PT_INDEX(va) == 0) {
			uint64_t *pte = walk(kernel_pt.pml4, va, 1);
			if (!pte)
				boot_out_of_memory("the kernel's page tables");
			pt = pte - PT_INDEX(va);
		}
		pt[PT_INDEX(va)] = ((va - KERNEL_VBASE) & PTE_ADDR_MASK) | flags;
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
