/*
 * Kernel heap.  Every block starts with a 16-byte header naming its size
 * class (or, for large blocks, its page count), so kfree needs no size.
 *
 * A large block's virtual range (its pages and the guard page after them)
 * is reused by the next large block of the same page count: were every
 * allocation to take fresh addresses, the page tables under the KHEAP area
 * would grow with the number of allocations ever made, a leak of one frame
 * per 2 MiB of addresses (the soak found it: a 4 KiB bounce buffer per
 * socket read cost a page-table frame every ~170 requests).
 */
#include "core/heap.h"
#include "arch/x86_64/paging.h"
#include "core/kernel.h"
#include "core/mem.h"
#include "core/fault_inject.h"
#include "core/spinlock.h"

#define HDR	    16
#define MIN_SHIFT   5  /* 32-byte blocks, header included */
#define MAX_SHIFT   11 /* 2048-byte blocks; larger ones take whole pages */
#define NCLASSES    (MAX_SHIFT - MIN_SHIFT + 1)
#define LARGE_CLASS 0xffu
#define KHEAP_END   MMIO_BASE /* the KHEAP area ends where MMIO starts (kernel.h) */

struct block_hdr {
	uint32_t class; /* index into free_lists, or LARGE_CLASS */
	uint32_t pages; /* for large blocks: pages mapped */
	uint64_t pad;
};

struct free_block {
	struct free_block *next;
};

/* A free virtual range of the KHEAP area: `pages` pages, then a guard page.
 * The range is unmapped, so its record lives in a small block of its own. */
struct free_range {
	struct free_range *next;
	uint64_t va;
	uint64_t pages;
};

#define RANGE_LISTS 64 /* page counts 1..63 have a list each; larger share the last */

static struct spinlock heap_lock;
static struct free_block *free_lists[NCLASSES];	    /* guarded by heap_lock */
static uint64_t kheap_next = KHEAP_BASE;	    /* guarded by heap_lock */
static struct free_range *free_ranges[RANGE_LISTS]; /* guarded by heap_lock */
/* What the heap holds, for /proc/meminfo and the leak checks of `make soak`
 * (guarded by heap_lock): bytes in live blocks (headers included; a large
 * block counts its pages), and frames taken from the frame allocator. */
static uint64_t live_bytes, held_frames;

/* Cut a fresh frame into blocks of class `c`; heap_lock held. */
static int refill(unsigned c)
{
	uint64_t pa = mem_alloc_frame(0);
	size_t bsize = (size_t)1 << (c + MIN_SHIFT);
	char *page;

	if (!pa)
		return -ENOMEM;
	held_frames++;
	page = phys_to_virt(pa);
	for (size_t off = 0; off + bsize <= PAGE_SIZE; off += bsize) {
		struct free_block *b = (struct free_block *)(page + off);
		b->next = free_lists[c];
		free_lists[c] = b;
	}
	return 0;
}

/* Add (or, negative, remove) a block's bytes and frames to the totals. */
static void heap_account(int64_t bytes, int64_t frames)
{
	uint64_t flags = spin_lock_irqsave(&heap_lock);

	live_bytes += bytes;
	held_frames += frames;
	spin_unlock_irqrestore(&heap_lock, flags);
}

static unsigned range_list(uint64_t pages)
{
	return pages < RANGE_LISTS ? (unsigned)pages : RANGE_LISTS - 1;
}

/* A virtual range for `pages` pages and a guard page: a freed one of that
 * size if there is one, else fresh addresses; 0 if the area has no room. */
static uint64_t range_get(uint64_t pages)
{
	uint64_t flags = spin_lock_irqsave(&heap_lock), va;
	struct free_range **pp = &free_ranges[range_list(pages)], *r;

	while ((r = *pp) && r->pages != pages) /* the last list mixes sizes */
		pp = &r->next;
	if (r) {
		*pp = r->next;
		va = r->va;
	} else if ((pages + 1) * PAGE_SIZE > KHEAP_END - kheap_next) {
		va = 0;
	} else {
		va = kheap_next;
		kheap_next += (pages + 1) * PAGE_SIZE;
	}
	spin_unlock_irqrestore(&heap_lock, flags);
	kfree(r); /* a small block: no recursion into large ones */
	return va;
}

/* Keep the unmapped range at `va` for reuse.  Without memory for its
 * record the range is simply not reused (addresses are plentiful). */
static void range_put(uint64_t va, uint64_t pages)
{
	struct free_range *r = kmalloc(sizeof(*r));
	uint64_t flags;

	if (!r)
		return;
	r->va = va;
	r->pages = pages;
	flags = spin_lock_irqsave(&heap_lock);
	r->next = free_ranges[range_list(pages)];
	free_ranges[range_list(pages)] = r;
	spin_unlock_irqrestore(&heap_lock, flags);
}

/*
 * Whole pages and a guard page.  A request the free frames cannot meet is
 * refused before any range is taken: a huge size (a tmpfs page array for an
 * offset near 2^63) once carried the KHEAP cursor past the area's end into
 * non-canonical addresses, and size + HDR could wrap.
 */
static void *large_alloc(size_t size)
{
	size_t pages;
	uint64_t va;
	struct block_hdr *h;

	if (size / PAGE_SIZE >= mem_total_frames() - mem_used_frames())
		return NULL;
	pages = ALIGN_UP(size + HDR, PAGE_SIZE) / PAGE_SIZE;
	if (!(va = range_get(pages)))
		return NULL;
	for (size_t i = 0; i < pages; i++) {
		uint64_t pa = mem_alloc_frame(0);
		if (!pa || paging_map_kernel(va + i * PAGE_SIZE, pa, PTE_W | PTE_NX | PTE_G)) {
			if (pa)
				mem_free_frame(pa);
			while (i--)
				mem_free_frame(paging_unmap_kernel(va + i * PAGE_SIZE) &
					       PTE_ADDR_MASK);
			range_put(va, pages);
			return NULL;
		}
	}
	h = (struct block_hdr *)va;
	h->class = LARGE_CLASS;
	h->pages = pages;
	heap_account(pages * PAGE_SIZE, pages);
	return (char *)h + HDR;
}

void *kmalloc(size_t size)
{
	unsigned c = 0;
	uint64_t flags;
	struct block_hdr *h;

	if (fault_inject_alloc())
		return NULL;
	if (size > ((size_t)1 << MAX_SHIFT) - HDR)
		return large_alloc(size);
	while (((size_t)1 << (c + MIN_SHIFT)) < size + HDR)
		c++;
	flags = spin_lock_irqsave(&heap_lock);
	if (!free_lists[c] && refill(c)) {
		spin_unlock_irqrestore(&heap_lock, flags);
		return NULL;
	}
	h = (struct block_hdr *)free_lists[c];
	free_lists[c] = free_lists[c]->next;
	live_bytes += (size_t)1 << (c + MIN_SHIFT);
	spin_unlock_irqrestore(&heap_lock, flags);
	h->class = c;
	return (char *)h + HDR;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);
	if (p)
		memset(p, 0, size);
	return p;
}

void kfree(void *p)
{
	struct block_hdr *h;
	uint64_t flags;
	unsigned c;

	if (!p)
		return;
	h = (struct block_hdr *)((char *)p - HDR);
	if (h->class == LARGE_CLASS) {
		uint64_t va = (uint64_t)h;
		uint32_t n = h->pages;
		for (uint32_t i = 0; i < n; i++)
			mem_free_frame(paging_unmap_kernel(va + i * PAGE_SIZE) & PTE_ADDR_MASK);
		heap_account(-(int64_t)n * PAGE_SIZE, -(int64_t)n);
		range_put(va, n);
		return;
	}
	c = h->class; /* read before the free-list link overwrites it */
	BUG_ON(c >= NCLASSES);
	flags = spin_lock_irqsave(&heap_lock);
	((struct free_block *)h)->next = free_lists[c];
	free_lists[c] = (struct free_block *)h;
	live_bytes -= (size_t)1 << (c + MIN_SHIFT);
	spin_unlock_irqrestore(&heap_lock, flags);
}

void heap_stats(struct heap_stats *st)
{
	uint64_t flags = spin_lock_irqsave(&heap_lock);

	st->live_bytes = live_bytes;
	st->frames = held_frames;
	spin_unlock_irqrestore(&heap_lock, flags);
}

char *kstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = kmalloc(n);

	return d ? memcpy(d, s, n) : NULL;
}
