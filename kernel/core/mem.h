/*
 * Physical memory: page frames handed out lazily.  Nothing touches a frame
 * before it is handed out, so boot costs the same whatever the RAM size.
 */
#ifndef CORE_MEM_H
#define CORE_MEM_H

#include <stdint.h>
#include <stddef.h>

/* A physical range the allocator must never hand out (kernel, initrd...). */
struct mem_range {
	uint64_t start, end; /* [start, end), page aligned by mem_init */
};

/*
 * Take the RAM ranges of the boot memory map minus `reserved`.  Called once
 * by init, before paging_init().  Panics if no usable RAM remains.
 */
void mem_init(const struct mem_range *ram, unsigned nram, const struct mem_range *reserved,
	      unsigned nreserved);

/*
 * Allocate one 4 KiB frame; returns its physical address, or 0 when memory is
 * exhausted.  The content is undefined unless `zero` is set.  Frames come
 * lowest address first until the first free, so the first ones lie in the
 * boot map's first GiB.  Any context; takes the allocator's lock.
 */
uint64_t mem_alloc_frame(int zero);

/* Give back a frame that mem_alloc_frame() returned (drop the caller's
 * reference: the frame is freed when it was the last); panics on an address
 * that cannot be one (unaligned, outside RAM, reserved) or a frame already
 * free.  Any context. */
void mem_free_frame(uint64_t pa);

/*
 * Frames are reference-counted (design.md contract 17): a frame is freed
 * when its last holder lets go.  mem_frame_get takes one more reference,
 * mem_frame_put drops one; both ignore a frame the allocator does not manage
 * (the image, the kernel), so a page-table entry can take and drop its
 * frame's reference whatever it maps.  mem_frame_refs is the count (0 for
 * an unmanaged frame): copy on write reuses a frame no one else holds.
 * Any context.
 */
void mem_frame_get(uint64_t pa);
void mem_frame_put(uint64_t pa);
/* mem_frame_get for the frame of each non-zero entry of `entries` (the
 * frame's address: entry & `addr_mask`), under the lock once: fork's copy of
 * a page table. */
void mem_frames_get(const uint64_t *entries, unsigned n, uint64_t addr_mask);
/* The same for mem_frame_put: the end of an address space no CPU runs in
 * (no TLB flush stands between its entries and the frames). */
void mem_frames_put(const uint64_t *entries, unsigned n, uint64_t addr_mask);
unsigned mem_frame_refs(uint64_t pa);

/* Whether `pa` is a frame of the allocator (not the image, not MMIO). */
int mem_is_managed(uint64_t pa);

/* Totals, in frames: RAM the allocator manages and frames now handed out. */
uint64_t mem_total_frames(void);
uint64_t mem_used_frames(void);

/* The highest RAM address + 1: the direct map covers [0, mem_top()). */
uint64_t mem_top(void);

#endif
