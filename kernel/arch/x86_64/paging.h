/*
 * Page tables.  Each address space has a root (PML4): its lower half is a
 * program's, its upper half the kernel's, the same in every root (design.md
 * contract 16: the kernel's top-level entries are all made at boot, and a
 * new root copies them; the kernel mapped supervisor-only, NX).  4-level
 * paging, Intel SDM vol. 3A, 4.5.
 *
 * A last-level table of the program's half may be shared by several roots
 * after a fork (paging_share_user): its frame's reference count counts the
 * roots, and each of their directory entries for it lacks PTE_W, so no
 * write goes through it.  Whatever hands out a leaf entry to change
 * (paging_map, paging_set, paging_pte, paging_walk) first gives the root a
 * table of its own: the last sharer takes the table back (PTE_W again), the
 * others a copy, where every writable private entry becomes PTE_COW on both
 * sides.  So a fork costs one entry per 2 MiB, and a child that execs or
 * exits copies nothing (the "on-demand fork" of Zhao et al., EuroSys 2021).
 */
#ifndef ARCH_X86_64_PAGING_H
#define ARCH_X86_64_PAGING_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include "arch/x86_64/asm.h"

#define PTE_NX	      (1ull << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000ull
/* Software bits (ignored by the CPU, SDM table 4-19): */
#define PTE_COW		(1ull << 9)  /* read-only now, copy on the first write */
#define PTE_IMAGE	(1ull << 10) /* a file's page mapped in place in a private area */
#define PTE_SHARED_PAGE (1ull << 11) /* a page of a MAP_SHARED area: never copied */
/* A leaf entry of the program's half is "in use" when it is not zero: present,
 * or not present but holding a frame kept while its area is PROT_NONE. */

/* An address space's page tables: its root, reached through the direct map. */
struct pgtable {
	uint64_t *pml4;
};

/*
 * Build the kernel's final page tables: the direct map of all RAM (NX),
 * the kernel image with per-section rights (text RX, rodata R, data RW), and
 * nothing in the lower half.  Called once by init after mem_init().
 */
void paging_init(void);

/* Map `size` bytes of device registers at physical `pa` uncached; returns
 * the virtual address.  Boot only (no unmapping). */
void *paging_map_mmio(uint64_t pa, size_t size);

/* A new root with the kernel's half and an empty lower half: 0 or -ENOMEM. */
int paging_create(struct pgtable *pt);

/* Free a root whose lower half paging_prune has emptied; it must not be
 * active. */
void paging_destroy(struct pgtable *pt);

/* Make `pt` the CPU's address space (CR3). */
void paging_activate(const struct pgtable *pt);

/*
 * The program's half of root `pt`.  paging_map maps the 4 KiB page at `va`
 * to frame `pa` with PTE bits `flags` (PTE_P is implied), replacing what was
 * there (the caller handles the old frame); paging_set stores the raw entry
 * `entry` (present or not).  Both allocate page tables as needed, flush `va`
 * (which only matters while `pt` is active), and return 0 or -ENOMEM.
 */
int paging_map(struct pgtable *pt, uint64_t va, uint64_t pa, uint64_t flags);
int paging_set(struct pgtable *pt, uint64_t va, uint64_t entry);

/* The PTE of `va` in `pt`, or NULL if no page table covers it (or its
 * shared table could not be copied: out of memory), for the caller to read
 * or change.  Large pages are never used below the direct map, so this is
 * always a 4 KiB entry.  paging_pte_peek is the same for reading only: it
 * never copies a shared table, and its entry's PTE_W may not be the truth. */
uint64_t *paging_pte(struct pgtable *pt, uint64_t va);
const uint64_t *paging_pte_peek(const struct pgtable *pt, uint64_t va);

/* Give root `to` (empty below) every last-level table of `from`'s program
 * half, shared (see the top): what fork does instead of copying entries.
 * Flushes nothing: `from`'s entries lost PTE_W, so its caller flushes when
 * `from` is active.  0 or -ENOMEM (what was shared stays shared:
 * paging_free_user undoes it). */
int paging_share_user(struct pgtable *to, struct pgtable *from);

/* Free the program's half of `pt`, which runs on no CPU: each table shared
 * with another root loses one reference, each other last-level table drops
 * its entries' frame references, then every table is freed.  After it,
 * paging_destroy may free the root. */
void paging_free_user(struct pgtable *pt);

/* The kernel's half, seen by every root: map a page at `va` (as paging_map),
 * or remove the mapping at `va` (if any), flush it and return the old PTE. */
int paging_map_kernel(uint64_t va, uint64_t pa, uint64_t flags);
uint64_t paging_unmap_kernel(uint64_t va);

/* The physical address behind kernel heap address `va` (KHEAP: large
 * kmalloc blocks, mapped page by page), or 0 when none is mapped there or
 * `va` lies outside that area.  Any context. */
uint64_t paging_kernel_pa(uint64_t va);

/* Flush the TLB entry of `va` on this CPU (and, with SMP, on all). */
void paging_flush(uint64_t va);

/* Flush every non-global TLB entry (all of the program's half, and the
 * paging-structure caches) on this CPU (and, with SMP, on all). */
void paging_flush_all(void);

/*
 * The one page-table walker of the program's half (design.md contract 15).
 * Calls fn(va, pte, arg) for each leaf entry in use (see above) in
 * [start, end), in address order, skipping absent tables whole: the cost
 * follows the tables that exist, not the size of the range.  fn may rewrite
 * or clear *pte (and may map pages outside [start, end)); flushing is its
 * caller's business.  A non-zero return from fn stops the walk and is
 * returned, as is -ENOMEM when a shared table could not be copied.  The
 * range is clipped to the lower half.  Syscall context.
 */
typedef int (*paging_walk_fn)(uint64_t va, uint64_t *pte, void *arg);
int paging_walk(struct pgtable *pt, uint64_t start, uint64_t end, paging_walk_fn fn, void *arg);

/* Give `pt` last-level tables of its own over [start, end), changing no
 * mapping: 0, or -ENOMEM.  What an operation that must not fail half-way
 * calls before it changes anything. */
int paging_own(struct pgtable *pt, uint64_t start, uint64_t end);

/*
 * Free the program's page tables under [start, end) that hold no entry any
 * more.  The caller MUST have cleared (and flushed) every leaf entry in
 * [start, end) first, or left the table shared with another root: a table
 * wholly inside the range is let go without looking at it.  Parents' entries are cleared, the TLB flushed, then the
 * tables freed, in that order.  Cost follows the tables that exist.
 * Syscall context.
 */
void paging_prune(struct pgtable *pt, uint64_t start, uint64_t end);

#endif
