/*
 * Kernel heap.  Every block starts with a 16-byte header naming its size
 * class (or, for large blocks, its page count), so kfree needs no size.
 */
#include "core/heap.h"
#include "arch/x86_64/paging.h"
#include "core/kernel.h"
#include "core/mem.h"
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

static struct spinlock heap_lock;
static struct free_block *free_lists[NCLASSES]; /* guarded by heap_lock */
static uint64_t kheap_next = KHEAP_BASE;	/* guarded by heap_lock */

/* Cut a fresh frame into blocks of class `c`; heap_lock held. */
static int refill(unsigned c)
{
	uint64_t pa = mem_alloc_frame(0);
	size_t bsize = (size_t)1 << (c + MIN_SHIFT);
	char *page;

	if (!pa)
		return -ENOMEM;
	page = phys_to_virt(pa);
	for (size_t off = 0; off + bsize <= PAGE_SIZE; off += bsize) {
		struct free_block *b = (struct free_block *)(page + off);
		b->next = free_lists[c];
		free_lists[c] = b;
	}
	return 0;
}

/*
 * Whole pages at the KHEAP cursor, which only moves forward.  A request the
 * free frames cannot meet is refused before the cursor moves: a huge size
 * (a tmpfs page array for an offset near 2^63) once carried it past the
 * area's end into non-canonical addresses, and size + HDR could wrap.
 */
static void *large_alloc(size_t size)
{
	size_t pages;
	uint64_t flags, va;
	struct block_hdr *h;

	if (size / PAGE_SIZE >= mem_total_frames() - mem_used_frames())
		return NULL;
	pages = ALIGN_UP(size + HDR, PAGE_SIZE) / PAGE_SIZE;
	flags = spin_lock_irqsave(&heap_lock);
	va = kheap_next;
	if ((pages + 1) * PAGE_SIZE > KHEAP_END - va) {
		spin_unlock_irqrestore(&heap_lock, flags);
		return NULL;
	}
	kheap_next += (pages + 1) * PAGE_SIZE; /* + the guard page */
	spin_unlock_irqrestore(&heap_lock, flags);
	for (size_t i = 0; i < pages; i++) {
		uint64_t pa = mem_alloc_frame(0);
		if (!pa || paging_map(va + i * PAGE_SIZE, pa, PTE_W | PTE_NX | PTE_G)) {
			if (pa)
				mem_free_frame(pa);
			while (i--)
				mem_free_frame(paging_unmap(va + i * PAGE_SIZE) & PTE_ADDR_MASK);
			return NULL;
		}
	}
	h = (struct block_hdr *)va;
	h->class = LARGE_CLASS;
	h->pages = pages;
	return (char *)h + HDR;
}

void *kmalloc(size_t size)
{
	unsigned c = 0;
	uint64_t flags;
	struct block_hdr *h;

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
		for (uint32_t i = 0, n = h->pages; i < n; i++)
			mem_free_frame(paging_unmap(va + i * PAGE_SIZE) & PTE_ADDR_MASK);
		return; /* the virtual range is not reused: the area is vast */
	}
	c = h->class; /* read before the free-list link overwrites it */
	BUG_ON(c >= NCLASSES);
	flags = spin_lock_irqsave(&heap_lock);
	((struct free_block *)h)->next = free_lists[c];
	free_lists[c] = (struct free_block *)h;
	spin_unlock_irqrestore(&heap_lock, flags);
}
