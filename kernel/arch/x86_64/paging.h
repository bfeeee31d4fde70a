/*
 * Page tables.  One address space: the program's lower half and the kernel's
 * upper half in one PML4 (design.md: the kernel mapped supervisor-only, NX).
 * 4-level paging, Intel SDM vol. 3A, 4.5.
 */
#ifndef ARCH_X86_64_PAGING_H
#define ARCH_X86_64_PAGING_H

#include <stddef.h>
#include <stdint.h>
#include "arch/x86_64/asm.h"

#define PTE_NX	      (1ull << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000ull
/* Software bits (ignored by the CPU, SDM table 4-19): */
#define PTE_COW	   (1ull << 9)	/* read-only now, copy on the first write */
#define PTE_IMAGE  (1ull << 10) /* maps a page of the image: never freed */
#define PTE_SHARED (1ull << 11) /* a tmpfs file's own page (MAP_SHARED): not ours to free */
/* A leaf entry of the program's half is "in use" when it is not zero: present,
 * or not present but holding a frame kept while its area is PROT_NONE. */

/*
 * Build the kernel's final page tables: the direct map of all RAM (NX),
 * the kernel image with per-section rights (text RX, rodata R, data RW), and
 * nothing in the lower half.  Called once by init after mem_init().
 */
void paging_init(void);

/* Map `size` bytes of device registers at physical `pa` uncached; returns
 * the virtual address.  Boot only (no unmapping). */
void *paging_map_mmio(uint64_t pa, size_t size);

/*
 * Map the 4 KiB page at `va` to frame `pa` with PTE bits `flags` (PTE_P is
 * implied), replacing what was there (the caller frees the old frame).
 * Returns 0, or -ENOMEM when a page table cannot be allocated.
 */
int paging_map(uint64_t va, uint64_t pa, uint64_t flags);

/* Store the raw entry `entry` at `va` (present or not), allocating page
 * tables as paging_map does; flushes `va`.  0 or -ENOMEM. */
int paging_set(uint64_t va, uint64_t entry);

/* The PTE of `va`, or NULL if no page table covers it.  Large pages are
 * never used below the direct map, so this is always a 4 KiB entry. */
uint64_t *paging_pte(uint64_t va);

/* Remove the mapping at `va` (if any) and flush it; returns the old PTE. */
uint64_t paging_unmap(uint64_t va);

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
 * returned.  The range is clipped to the lower half.  Syscall context.
 */
typedef int (*paging_walk_fn)(uint64_t va, uint64_t *pte, void *arg);
int paging_walk(uint64_t start, uint64_t end, paging_walk_fn fn, void *arg);

/*
 * Free the program's page tables under [start, end) that hold no entry any
 * more.  The caller MUST have cleared (and flushed) every leaf entry in
 * [start, end) first: a table wholly inside the range is freed without
 * looking at it.  Parents' entries are cleared, the TLB flushed, then the
 * tables freed, in that order.  Cost follows the tables that exist.
 * Syscall context.
 */
void paging_prune(uint64_t start, uint64_t end);

#endif
